using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    internal static class SnapshotNames
    {
        /// <summary>Checks a snapshot name against Proxmox's rule before anything runs.</summary>
        public static PhoenixException? Check(int vmId, string name)
        {
            var reason = ProxmoxNames.ValidateSnapshotName(name);
            if (reason == null) return null;
            return new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidSnapshotName,
                $"VM {vmId}: {reason}. A snapshot name starts with a letter, has 2 to 40 letters, digits, '-' or '_', and is not 'current' or 'pending'.",
                vmId);
        }
    }
}
