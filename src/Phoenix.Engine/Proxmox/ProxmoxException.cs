using System;
using System.Collections.Generic;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>What went wrong on the Proxmox side; <see cref="PhoenixException.Reason"/> is its name.</summary>
    public enum ProxmoxErrorReason
    {
        /// <summary><c>VM is locked (&lt;lock&gt;)</c>: a task holds the VM, or a crashed one left its lock.</summary>
        VmLocked,
        /// <summary><c>can't lock file '/var/lock/qemu-server/lock-N.conf' - got timeout</c>: another command holds the config file.</summary>
        LockTimeout,
        /// <summary>The VM's configuration file does not exist on this node.</summary>
        VmNotFound,
        /// <summary>The VMID is taken.</summary>
        AlreadyExists,
        /// <summary><c>snapshot 'x' does not exist</c>.</summary>
        SnapshotNotFound,
        /// <summary><c>snapshot name 'x' already used</c>.</summary>
        SnapshotExists,
        /// <summary>A reserved or malformed snapshot name.</summary>
        InvalidSnapshotName,
        /// <summary><c>400 Parameter verification failed.</c>: see <see cref="ProxmoxException.Parameters"/>.</summary>
        ParameterVerificationFailed,
        /// <summary>The command line itself was wrong (unknown option or command, argument count).</summary>
        InvalidCommandLine,
        /// <summary>The storage cannot make a linked clone of this volume.</summary>
        LinkedCloneNotSupported,
        /// <summary>The storage cannot make a full clone of this volume (typically of a snapshot).</summary>
        FullCloneNotSupported,
        /// <summary>The storage cannot snapshot this volume.</summary>
        SnapshotNotSupported,
        /// <summary><c>VM &lt;id&gt; is not running</c>.</summary>
        NotRunning,
        /// <summary><c>VM &lt;id&gt; already running</c>.</summary>
        AlreadyRunning,
        /// <summary>The operation needs a stopped VM.</summary>
        VmRunning,
        /// <summary><c>No QEMU guest agent configured</c>.</summary>
        AgentNotConfigured,
        /// <summary><c>QEMU guest agent is not running</c>.</summary>
        AgentNotRunning,
        /// <summary><c>Agent error: ...</c>: the guest agent answered with an error.</summary>
        GuestAgentError,
        /// <summary>The operation is not allowed on (or into) a template.</summary>
        TemplateOperation,
        /// <summary>A template's base volume is still used by linked clones.</summary>
        BaseVolumeInUse,
        /// <summary>A cicustom snippet is missing or not in a snippets directory.</summary>
        SnippetsNotFound,
        /// <summary>A storage does not exist or is disabled.</summary>
        StorageNotFound,
        /// <summary>The VM has protection enabled.</summary>
        ProtectionEnabled,
        /// <summary>A graceful shutdown did not finish in time.</summary>
        ShutdownTimeout,
        /// <summary>The command did not answer in the time Phoenix gave it.</summary>
        CommandTimeout,
        /// <summary>qm, pvesm or pvesh is not installed: not a Proxmox VE host.</summary>
        NotAProxmoxHost,
        /// <summary>The command succeeded but its output could not be read.</summary>
        UnexpectedOutput,
        /// <summary>
        /// <c>cluster not ready - no quorum?</c>, or the cluster filesystem refusing a config write (read-only without quorum):
        /// fewer than half of the cluster's nodes are up, and Proxmox refuses changes on every node.
        /// </summary>
        NoQuorum,
        /// <summary>Any other failure.</summary>
        RemoteCommandFailed,
    }

    /// <summary>
    /// A failed Proxmox command, classified. <see cref="PhoenixException.Target"/> is the VMID
    /// (an <see cref="int"/>) when the failure concerns a VM. The message names the VM, says what
    /// to do and quotes Proxmox's own text (<see cref="ProxmoxMessage"/>).
    /// </summary>
    public sealed class ProxmoxException : PhoenixException
    {
        public ProxmoxException(ProxmoxErrorReason reason, PhoenixErrorKind kind, string message, int? vmId,
            string proxmoxMessage, int exitCode = -1, string? command = null, Exception? inner = null)
            : base(kind, reason.ToString(), message, vmId.HasValue ? (object)vmId.Value : null, inner)
        {
            ProxmoxReason = reason;
            VmId = vmId;
            ProxmoxMessage = proxmoxMessage;
            ExitCode = exitCode;
            Command = command;
        }

        /// <summary>The classification.</summary>
        public ProxmoxErrorReason ProxmoxReason { get; }

        /// <summary>The VM concerned, when known.</summary>
        public int? VmId { get; }

        /// <summary>What Proxmox printed (stderr, or the task log when stderr was empty), trimmed.</summary>
        public string ProxmoxMessage { get; }

        /// <summary>The exit code of the command (-1 when it did not finish).</summary>
        public int ExitCode { get; }

        /// <summary>The command as logs show it (secrets redacted).</summary>
        public string? Command { get; }

        /// <summary>The lock name for <see cref="ProxmoxErrorReason.VmLocked"/> (clone, snapshot, backup, ...).</summary>
        public string? LockName { get; init; }

        /// <summary>The snapshot concerned, when the text names one.</summary>
        public string? SnapshotName { get; init; }

        /// <summary>The volume concerned (clone features, base volumes, snippets), when the text names one.</summary>
        public string? VolumeId { get; init; }

        /// <summary>The storage concerned, when the text names one.</summary>
        public string? StorageId { get; init; }

        /// <summary>For <see cref="ProxmoxErrorReason.ParameterVerificationFailed"/>: each parameter and Proxmox's complaint, in order.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = Array.Empty<KeyValuePair<string, string>>();

        /// <summary>
        /// True when waiting may clear the failure: locks and lock timeouts. <see cref="ProxmoxHost"/>
        /// retries these under its <see cref="RetryPolicy"/>.
        /// </summary>
        public bool IsTransient { get; init; }

        /// <summary>How long Phoenix waited for a lock before giving up (zero when it did not wait).</summary>
        public TimeSpan Waited { get; init; }
    }
}
