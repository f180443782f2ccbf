using System;

namespace Phoenix.Engine.Errors
{
    /// <summary>What kind of failure an engine error is; the cmdlets map it to an ErrorCategory.</summary>
    public enum PhoenixErrorKind
    {
        /// <summary>Bad input from the user (config, parameter).</summary>
        InvalidArgument,
        /// <summary>Input that cannot be read or parsed (broken JSON, bad template).</summary>
        InvalidData,
        /// <summary>Something asked for does not exist (VM, snapshot, file, feature).</summary>
        NotFound,
        /// <summary>Something exists already in a way that conflicts.</summary>
        AlreadyExists,
        /// <summary>The object is in a state that forbids the operation (locked, running, template).</summary>
        InvalidOperation,
        /// <summary>The host could not be reached or the connection broke.</summary>
        ConnectionError,
        /// <summary>Authentication or host-key verification failed.</summary>
        SecurityError,
        /// <summary>A wait ran out of time.</summary>
        OperationTimeout,
        /// <summary>A remote command failed.</summary>
        RemoteCommandFailed,
        /// <summary>The host lacks something it needs (a storage without snippets, ...).</summary>
        NotInstalled,
    }

    /// <summary>
    /// The engine's error. <see cref="Reason"/> is a short PascalCase word that, with the cmdlet name,
    /// makes the PowerShell error ID; <see cref="Target"/> is the VM, host or file concerned.
    /// Messages never carry secrets.
    /// </summary>
    public class PhoenixException : Exception
    {
        public PhoenixException(PhoenixErrorKind kind, string reason, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            Kind = kind;
            Reason = reason;
            Target = target;
        }

        public PhoenixErrorKind Kind { get; }
        public string Reason { get; }
        public object? Target { get; }

        /// <summary>What the user can do about it, when known.</summary>
        public string? RecommendedAction { get; set; }
    }
}
