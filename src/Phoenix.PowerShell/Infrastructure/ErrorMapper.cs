using System;
using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// The one place engine exceptions become error records. The error ID is the engine's reason;
    /// PowerShell appends the cmdlet, so FullyQualifiedErrorId reads `Reason,Phoenix.PowerShell.Commands.XCommand`.
    /// The target is the VM or host the error is about, never the cmdlet.
    /// </summary>
    public static class ErrorMapper
    {
        public static ErrorRecord ToErrorRecord(Exception error, object? fallbackTarget = null)
        {
            // Proxmox's quorum refusal names no VM (or a clone source): the VM the cmdlet worked on is put first.
            if (error is ProxmoxException { ProxmoxReason: ProxmoxErrorReason.NoQuorum } q && fallbackTarget is int vmId &&
                !q.Message.StartsWith("VM ", StringComparison.Ordinal))
                error = new PhoenixException(q.Kind, q.Reason, $"VM {vmId}: {q.Message}", vmId, q) { RecommendedAction = q.RecommendedAction };
            if (error is PhoenixException p)
            {
                var record = new ErrorRecord(p, p.Reason, ToCategory(p.Kind), p.Target ?? fallbackTarget);
                if (!string.IsNullOrEmpty(p.RecommendedAction))
                {
                    record.ErrorDetails = new ErrorDetails(p.Message) { RecommendedAction = p.RecommendedAction };
                }
                return record;
            }
            if (error is TimeoutException)
                return new ErrorRecord(error, ErrorIds.OperationTimedOut, ErrorCategory.OperationTimeout, fallbackTarget);
            if (error is System.IO.FileNotFoundException)
                return new ErrorRecord(error, ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, fallbackTarget);
            if (error is ArgumentException)
                return new ErrorRecord(error, ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, fallbackTarget);
            return new ErrorRecord(error, ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, fallbackTarget);
        }

        public static ErrorCategory ToCategory(PhoenixErrorKind kind)
        {
            switch (kind)
            {
                case PhoenixErrorKind.InvalidArgument: return ErrorCategory.InvalidArgument;
                case PhoenixErrorKind.InvalidData: return ErrorCategory.InvalidData;
                case PhoenixErrorKind.NotFound: return ErrorCategory.ObjectNotFound;
                case PhoenixErrorKind.AlreadyExists: return ErrorCategory.ResourceExists;
                case PhoenixErrorKind.InvalidOperation: return ErrorCategory.InvalidOperation;
                case PhoenixErrorKind.ConnectionError: return ErrorCategory.ConnectionError;
                case PhoenixErrorKind.SecurityError: return ErrorCategory.SecurityError;
                case PhoenixErrorKind.OperationTimeout: return ErrorCategory.OperationTimeout;
                case PhoenixErrorKind.RemoteCommandFailed: return ErrorCategory.InvalidResult;
                case PhoenixErrorKind.NotInstalled: return ErrorCategory.NotInstalled;
                default: return ErrorCategory.NotSpecified;
            }
        }
    }
}
