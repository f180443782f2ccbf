using System;
using System.Collections.Generic;
using System.Threading;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator.Guest
{
    /// <summary>Where one VM's guest lives, handed to every <see cref="IGuestRunner"/> call.</summary>
    public sealed class GuestContext
    {
        /// <summary>Creates a context; the simulator does this, runners only read it.</summary>
        public GuestContext(int vmId, string nodeName, IStateStore store, ISimulatorClock clock)
        {
            VmId = vmId;
            NodeName = nodeName;
            Store = store;
            Clock = clock;
            GuestRoot = "/var/lib/phoenix-sim/guests/" + vmId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            GuestDirectory = store.HostPath(GuestRoot);
        }

        /// <summary>The VM.</summary>
        public int VmId { get; }

        /// <summary>The node the VM is on.</summary>
        public string NodeName { get; }

        /// <summary>The node's state store (the guest's files are part of it).</summary>
        public IStateStore Store { get; }

        /// <summary>The simulator's clock.</summary>
        public ISimulatorClock Clock { get; }

        /// <summary>Node path of this VM's guest folder: <c>/var/lib/phoenix-sim/guests/&lt;vmid&gt;</c>.</summary>
        public string GuestRoot { get; }

        /// <summary>
        /// The real folder behind <see cref="GuestRoot"/> when the node is kept in a folder (null in memory).
        /// An isolating runner keeps the guest's filesystem in <c>fs/</c> below it (for example overlay upper
        /// directories for /etc, /tmp, /var, /opt, /usr/local); the default snapshot hooks copy <c>fs/</c>.
        /// </summary>
        public string? GuestDirectory { get; }

        /// <summary>Node path of the guest's files: <c>&lt;GuestRoot&gt;/fs</c>.</summary>
        public string FilesRoot => GuestRoot + "/fs";

        /// <summary>Node path where the default hooks keep a snapshot's copy of <c>fs/</c>.</summary>
        public string SnapshotRoot(string snapshot) => GuestRoot + "/snapshots/" + snapshot;
    }

    /// <summary>One <c>qm guest exec</c>, as the guest agent receives it.</summary>
    public sealed class GuestExecRequest
    {
        /// <summary>Creates a request.</summary>
        public GuestExecRequest(GuestContext guest, IReadOnlyList<string> command, byte[]? inputData, TimeSpan timeout,
            IReadOnlyList<CannedGuestResult> plannedResults, CancellationToken cancellationToken)
        {
            Guest = guest;
            Command = command;
            InputData = inputData;
            Timeout = timeout;
            PlannedResults = plannedResults;
            CancellationToken = cancellationToken;
        }

        /// <summary>The guest.</summary>
        public GuestContext Guest { get; }

        /// <summary>Program and arguments (empty when only input data was sent).</summary>
        public IReadOnlyList<string> Command { get; }

        /// <summary>The bytes of <c>--pass-stdin</c>, or null.</summary>
        public byte[]? InputData { get; }

        /// <summary>How long <c>qm</c> waits before it returns the pid instead (zero: forever).</summary>
        public TimeSpan Timeout { get; }

        /// <summary>Canned answers from the fault plan, consulted before the runner's own.</summary>
        public IReadOnlyList<CannedGuestResult> PlannedResults { get; }

        /// <summary>Cancelled when the caller gives up.</summary>
        public CancellationToken CancellationToken { get; }
    }

    /// <summary>What guest-exec-status reports for a process.</summary>
    public sealed class GuestExecStatus
    {
        /// <summary>True once the process has ended.</summary>
        public bool Exited { get; set; }

        /// <summary>The exit code after a normal exit.</summary>
        public int? ExitCode { get; set; }

        /// <summary>The signal that killed it, if one did.</summary>
        public int? Signal { get; set; }

        /// <summary>Captured standard output.</summary>
        public byte[] OutData { get; set; } = Array.Empty<byte>();

        /// <summary>Captured standard error.</summary>
        public byte[] ErrData { get; set; } = Array.Empty<byte>();
    }

    /// <summary>A canned answer for guest commands whose command line matches <see cref="Pattern"/>.</summary>
    public sealed class CannedGuestResult
    {
        /// <summary>A regular expression tried against the command joined with spaces.</summary>
        public string Pattern { get; set; } = ".*";

        /// <summary>Exit code.</summary>
        public int ExitCode { get; set; }

        /// <summary>Standard output.</summary>
        public string Stdout { get; set; } = "";

        /// <summary>Standard error.</summary>
        public string Stderr { get; set; } = "";

        /// <summary>How long the command "runs" (on the simulator's clock).</summary>
        public TimeSpan Duration { get; set; }
    }

    /// <summary>
    /// A guest-side failure that the agent reports as <c>Agent error: &lt;Description&gt;</c>
    /// (for example a program that does not exist).
    /// </summary>
    public sealed class GuestAgentException : Exception
    {
        /// <summary>Creates the error.</summary>
        public GuestAgentException(string description) : base(description) { }
    }

    /// <summary>
    /// Runs what <c>qm guest exec</c> asks a VM to run. The default,
    /// <see cref="RecordingGuestRunner"/>, never runs anything on the machine. An isolating runner
    /// (a mount namespace per VM) can replace it through <see cref="SimulatorOptions.GuestRunner"/>.
    /// Runners are called from several threads and, in the fake host, from several processes that
    /// share one state folder, so they must keep their state in the guest folder, not in memory.
    /// </summary>
    public interface IGuestRunner
    {
        /// <summary>guest-exec: starts the command and returns its pid. Throws <see cref="GuestAgentException"/> on a guest-side failure.</summary>
        int StartExec(GuestExecRequest request);

        /// <summary>guest-exec-status: null when the pid is unknown (or already reaped after reporting its exit).</summary>
        GuestExecStatus? GetExecStatus(GuestContext guest, int pid);

        /// <summary>A snapshot was taken: keep the guest's files of this moment.</summary>
        void OnSnapshot(GuestContext guest, string snapshot);

        /// <summary>A rollback: bring back the files kept by <see cref="OnSnapshot"/>.</summary>
        void OnRollback(GuestContext guest, string snapshot);

        /// <summary>A snapshot was deleted.</summary>
        void OnDeleteSnapshot(GuestContext guest, string snapshot);

        /// <summary>A clone: the new VM's files start as the source's (or as the source snapshot's).</summary>
        void OnClone(GuestContext source, string? snapshot, GuestContext target);

        /// <summary>The VM stopped: its running processes are gone.</summary>
        void OnStop(GuestContext guest);

        /// <summary>The VM was destroyed: remove everything of its guest.</summary>
        void OnDestroy(GuestContext guest);
    }
}
