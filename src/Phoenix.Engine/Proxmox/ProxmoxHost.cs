using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>Options of <c>qm clone</c>; null leaves the choice to Proxmox.</summary>
    public sealed record CloneOptions
    {
        /// <summary>The new VM's name (a DNS name).</summary>
        public string? Name { get; init; }

        /// <summary>True for a full clone, false for a linked one, null for Proxmox's default (linked from a template, full otherwise).</summary>
        public bool? Full { get; init; }

        /// <summary>The source snapshot to clone from.</summary>
        public string? SnapName { get; init; }

        /// <summary>The target storage (full clones only).</summary>
        public string? Storage { get; init; }

        /// <summary>The target format raw|qcow2|vmdk (full clones only).</summary>
        public string? Format { get; init; }

        /// <summary>The target node.</summary>
        public string? Target { get; init; }

        /// <summary>A description for the new VM.</summary>
        public string? Description { get; init; }

        /// <summary>A resource pool for the new VM.</summary>
        public string? Pool { get; init; }
    }

    /// <summary>How <see cref="ProxmoxHost.GuestExecAsync"/> runs a command in a guest.</summary>
    public sealed record GuestExecOptions
    {
        /// <summary>Bytes for the program's standard input (at most 1 MiB).</summary>
        public byte[]? StandardInput { get; init; }

        /// <summary>True when the standard input is a secret (logs show only its length anyway).</summary>
        public bool StandardInputIsSecret { get; init; }

        /// <summary>How long qm waits before it answers with the pid (qm's <c>--timeout</c>; null = Proxmox's 30 s, 0 = forever).</summary>
        public int? TimeoutSeconds { get; init; }

        /// <summary>
        /// False to start the program with <c>--synchronous 0</c>: qm answers with its pid at once (see <see cref="FollowStarted"/>).
        /// True (the default): qm waits for the program, up to <see cref="TimeoutSeconds"/>.
        /// </summary>
        public bool Synchronous { get; init; } = true;

        /// <summary>True to follow a pid answer of a synchronous qm (its timeout passed) with <c>qm guest exec-status</c> until the program ends.</summary>
        public bool FollowPid { get; init; } = true;

        /// <summary>
        /// With <see cref="Synchronous"/> false: follow the started program with <c>qm guest exec-status</c> until it ends, asked at
        /// once and then after short waits that grow to <see cref="PollInterval"/> (false: answer with its pid). For a short program
        /// (a read that answers at once): a synchronous qm asks for its end right after starting it, finds it rarely ended yet and
        /// asks again only a second later, so two short commands (exec-status's own start is the program's time) answer sooner.
        /// A read-only program whose pid the agent no longer knows when asked (it was restarted between the two commands) is
        /// started once more.
        /// </summary>
        public bool FollowStarted { get; init; }

        /// <summary>How long to follow a pid before giving up (null = until cancelled).</summary>
        public TimeSpan? FollowLimit { get; init; }

        /// <summary>
        /// How often exec-status is asked while following (1 s, as qm itself polls); the longest wait after a <c>--synchronous 0</c>
        /// start. Zero or less is taken as 0.2 s (never a busy loop).
        /// </summary>
        public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// True when the program changes nothing in the guest (it only reads): the command is marked read-only
        /// (<see cref="CommandIntent"/>), so -WhatIf runs it for real and plans from what it answers.
        /// </summary>
        public bool ReadOnly { get; init; }

        /// <summary>What the program does, in a few words, for plans (<see cref="RemoteCommand.Description"/>); null: the command line.</summary>
        public string? Description { get; init; }
    }

    /// <summary>
    /// The Proxmox VE node behind one connection: every qm/pvesm/pvesh operation Phoenix needs, with
    /// outputs parsed and failures classified. Locks are waited out under <see cref="RetryPolicy"/>
    /// and reported through <see cref="Waiting"/>; a lock that outlasts the limit is reported with
    /// the <c>qm unlock</c> advice and is never removed by Phoenix. Over a <see cref="PlanRecorder"/>
    /// (see <see cref="IsDryRun"/>) reads run and changes are only recorded. Safe for concurrent use.
    /// </summary>
    public sealed class ProxmoxHost
    {
        private static readonly Regex ImportedVolume = new Regex(@"imported disk as '(?:unused\d+:)?(?<vol>[^']+)'", RegexOptions.CultureInvariant);

        private RetryPolicy _retryPolicy;

        public ProxmoxHost(IHostConnection connection, RetryPolicy? retryPolicy = null)
        {
            Connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _retryPolicy = retryPolicy ?? new RetryPolicy();
        }

        /// <summary>The connection commands run over (a <see cref="PlanRecorder"/> for -WhatIf).</summary>
        public IHostConnection Connection { get; }

        /// <summary>How locks are waited out.</summary>
        public RetryPolicy RetryPolicy
        {
            get => _retryPolicy;
            set => _retryPolicy = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>True when changes are recorded instead of run (-WhatIf).</summary>
        public bool IsDryRun => Connection is PlanRecorder;

        /// <summary>Raised before each lock wait, from the thread that runs the command.</summary>
        public event EventHandler<ProxmoxWaitEventArgs>? Waiting;

        // ---- VMs ------------------------------------------------------------------------------

        /// <summary>The VMs of this node (<c>qm list</c>); with <paramref name="includeConfig"/> each one's <c>qm config</c> too.</summary>
        public async Task<IReadOnlyList<VmListEntry>> GetVmsAsync(bool includeConfig = false, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.List();
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            var list = Parse(() => ProxmoxParsers.ParseQmList(result.StdOut), "the VM list", null, command);
            if (!includeConfig) return list;
            var withConfig = new List<VmListEntry>(list.Count);
            foreach (var vm in list)
            {
                try
                {
                    var config = await GetVmConfigAsync(vm.VmId, cancellationToken: cancellationToken).ConfigureAwait(false);
                    withConfig.Add(vm with { Config = config });
                }
                catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.VmNotFound)
                {
                    // Removed between the list and the config: it is gone, so it is not listed.
                }
            }
            return withConfig;
        }

        /// <summary><c>qm config</c>: the current configuration, a snapshot's, or (<paramref name="current"/>) without pending changes.</summary>
        public async Task<VmConfig> GetVmConfigAsync(int vmId, string? snapshot = null, bool current = false, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.Config(vmId, snapshot, current);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseQmConfig(result.StdOut), "the VM configuration", vmId, command);
        }

        /// <summary>
        /// Waits while <paramref name="current"/>, VM <paramref name="vmId"/>'s configuration as last read, holds a lock in
        /// its config file (<c>lock: clone</c> while a clone makes the VM, <c>lock: snapshot</c> while a snapshot is taken):
        /// it reads <c>qm config</c> again after each wait of <see cref="RetryPolicy"/>'s backoff, reporting every wait through
        /// <see cref="Waiting"/>, until the lock is gone or the policy's limit has passed. Returns the last configuration read
        /// (still locked when the limit passed), or null when the VM no longer exists (a clone that fails removes its target).
        /// <paramref name="limit"/>, when given, is a shorter limit than the policy's (what is left of it for a lock that was
        /// already old when it was found).
        /// </summary>
        public async Task<VmConfig?> WaitWhileLockedAsync(int vmId, VmConfig current, CancellationToken cancellationToken = default, TimeSpan? limit = null)
        {
            if (current == null) throw new ArgumentNullException(nameof(current));
            var policy = RetryPolicy;
            var total = limit is TimeSpan l && l < policy.TotalLimit ? l : policy.TotalLimit;
            var stopwatch = Stopwatch.StartNew();
            var waited = TimeSpan.Zero;
            var retry = 0;
            while (current.Lock is string lockName && lockName.Length > 0)
            {
                var elapsed = stopwatch.Elapsed > waited ? stopwatch.Elapsed : waited;
                var remaining = total - elapsed;
                if (remaining <= TimeSpan.Zero) return current;
                retry++;
                var delay = policy.GetDelay(retry);
                if (delay > remaining) delay = remaining;
                var command = QmCommand.Config(vmId, null, false);
                var error = new ProxmoxException(ProxmoxErrorReason.VmLocked, PhoenixErrorKind.InvalidOperation,
                    $"VM {vmId.ToString(CultureInfo.InvariantCulture)} is locked ({lockName}).", vmId, "lock: " + lockName, command: command.ToDisplayString())
                { LockName = lockName, IsTransient = true };
                Waiting?.Invoke(this, new ProxmoxWaitEventArgs(vmId, command.ToDisplayString(), error, retry, delay, elapsed, total));
                await policy.Delay(delay, cancellationToken).ConfigureAwait(false);
                waited += delay;
                try
                {
                    current = await GetVmConfigAsync(vmId, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.VmNotFound)
                {
                    return null;
                }
            }
            return current;
        }

        /// <summary>True when the VM exists on this node.</summary>
        public async Task<bool> VmExistsAsync(int vmId, CancellationToken cancellationToken = default)
        {
            try
            {
                await GetStatusAsync(vmId, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.VmNotFound)
            {
                return false;
            }
        }

        /// <summary><c>qm status</c>: running, stopped, paused, ...</summary>
        public async Task<string> GetStatusAsync(int vmId, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.Status(vmId);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseQmStatus(result.StdOut), "the VM status", vmId, command);
        }

        /// <summary><c>qm clone</c>; the result says which drives were cloned linked and which in full.</summary>
        public async Task<CloneResult> CloneAsync(int vmId, int newId, CloneOptions? options = null, CancellationToken cancellationToken = default)
        {
            options ??= new CloneOptions();
            var command = QmCommand.Clone(vmId, newId, options.Name, options.Full, options.SnapName, options.Storage,
                options.Format, options.Target, options.Description, options.Pool);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            if (IsPlanned(command)) return new CloneResult(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>()) { IsPlanned = true };
            return ProxmoxParsers.ParseCloneOutput(result.StdOut);
        }

        /// <summary><c>qm migrate</c> of a stopped VM to <paramref name="target"/> (run on the node that owns it).</summary>
        public Task MigrateAsync(int vmId, string target, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Migrate(vmId, target), vmId, cancellationToken);

        /// <summary><c>qm set</c> with the options in the order given (cipassword is redacted in logs and plans).</summary>
        public Task SetAsync(int vmId, IEnumerable<KeyValuePair<string, string>> options, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Set(vmId, options), vmId, cancellationToken);

        /// <summary><c>qm create</c>.</summary>
        public Task CreateAsync(int vmId, IEnumerable<KeyValuePair<string, string>>? options = null, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Create(vmId, options), vmId, cancellationToken);

        /// <summary><c>qm importdisk</c>; returns the imported volume when qm names it (it becomes an unusedN disk).</summary>
        public async Task<string?> ImportDiskAsync(int vmId, string sourcePath, string storage, string? format = null,
            CancellationToken cancellationToken = default)
        {
            var result = await RunCoreAsync(QmCommand.ImportDisk(vmId, sourcePath, storage, format), vmId, cancellationToken).ConfigureAwait(false);
            var m = ImportedVolume.Match(result.StdOut);
            return m.Success ? m.Groups["vol"].Value : null;
        }

        /// <summary><c>qm resize</c>.</summary>
        public Task ResizeAsync(int vmId, string disk, string size, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Resize(vmId, disk, size), vmId, cancellationToken);

        /// <summary><c>qm start</c>. A running VM is an <see cref="ProxmoxErrorReason.AlreadyRunning"/> error.</summary>
        public Task StartAsync(int vmId, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Start(vmId), vmId, cancellationToken);

        /// <summary><c>qm stop</c> (hard); a stopped VM is left as it is.</summary>
        public Task StopAsync(int vmId, int? timeoutSeconds = null, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Stop(vmId, timeoutSeconds), vmId, cancellationToken);

        /// <summary><c>qm shutdown</c> (graceful; with <paramref name="forceStop"/> hard after the timeout).</summary>
        public Task ShutdownAsync(int vmId, int? timeoutSeconds = null, bool forceStop = false, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Shutdown(vmId, timeoutSeconds, forceStop), vmId, cancellationToken);

        /// <summary><c>qm destroy</c>.</summary>
        public Task DestroyAsync(int vmId, bool purge = false, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Destroy(vmId, purge), vmId, cancellationToken);

        /// <summary>
        /// <c>qm template</c>. qm exits 0 even when the conversion task fails, so an error on
        /// standard error counts as a failure here.
        /// </summary>
        public Task TemplateAsync(int vmId, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Template(vmId), vmId, cancellationToken, stdErrMeansFailure: true);

        // ---- Snapshots ------------------------------------------------------------------------

        /// <summary><c>qm snapshot</c>; the name is checked against Proxmox's rule first.</summary>
        public Task SnapshotAsync(int vmId, string name, string? description = null, bool vmState = false, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Snapshot(vmId, name, description, vmState), vmId, cancellationToken);

        /// <summary><c>qm listsnapshot</c> as records with parents; the last one is <c>current</c>.</summary>
        public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(int vmId, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.ListSnapshot(vmId);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseListSnapshot(result.StdOut), "the snapshot list", vmId, command);
        }

        /// <summary><c>qm delsnapshot</c>.</summary>
        public Task DeleteSnapshotAsync(int vmId, string name, bool force = false, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.DelSnapshot(vmId, name, force), vmId, cancellationToken);

        /// <summary><c>qm rollback</c>.</summary>
        public Task RollbackAsync(int vmId, string name, bool start = false, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.Rollback(vmId, name, start), vmId, cancellationToken);

        // ---- Cloud-init -----------------------------------------------------------------------

        /// <summary><c>qm cloudinit update</c>: regenerates the cloud-init drive.</summary>
        public Task CloudInitUpdateAsync(int vmId, CancellationToken cancellationToken = default) =>
            RunCoreAsync(QmCommand.CloudInitUpdate(vmId), vmId, cancellationToken);

        /// <summary><c>qm cloudinit dump</c>: the document Proxmox would generate (custom snippets are not shown).</summary>
        public async Task<string> CloudInitDumpAsync(int vmId, CloudInitDumpType type, CancellationToken cancellationToken = default)
        {
            var result = await RunCoreAsync(QmCommand.CloudInitDump(vmId, type), vmId, cancellationToken).ConfigureAwait(false);
            var text = result.StdOut.Replace("\r\n", "\n");
            // qm prints the document and then one more new line.
            return text.EndsWith("\n\n", StringComparison.Ordinal) ? text.Substring(0, text.Length - 1) : text;
        }

        // ---- Guest agent ----------------------------------------------------------------------

        /// <summary>
        /// <c>qm guest exec</c>. When qm answers with a pid, the program is followed with <c>qm guest exec-status</c> until it
        /// ends: every <see cref="GuestExecOptions.PollInterval"/> after qm's own wait passed (<see cref="GuestExecOptions.FollowPid"/>);
        /// at once and then after short growing waits after a start that did not wait (<see cref="GuestExecOptions.FollowStarted"/>).
        /// The guest's exit code is in the result; it is not an exception.
        /// </summary>
        public Task<GuestExecResult> GuestExecAsync(int vmId, IReadOnlyList<string> argv, GuestExecOptions? options = null,
            CancellationToken cancellationToken = default) =>
            GuestExecCoreAsync(vmId, argv, options ?? new GuestExecOptions(), startedAgain: false, cancellationToken);

        private async Task<GuestExecResult> GuestExecCoreAsync(int vmId, IReadOnlyList<string> argv, GuestExecOptions options, bool startedAgain,
            CancellationToken cancellationToken)
        {
            var command = QmCommand.GuestExec(vmId, argv, options.StandardInput, options.TimeoutSeconds, options.Synchronous, options.StandardInputIsSecret);
            // A plan shows a guest program by what it does; the exact command line is kept for -Verbose.
            if (options.Description != null) command.Description = "in the guest: " + options.Description;
            if (options.ReadOnly) CommandIntent.MarkReadOnly(command);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            if (IsPlanned(command)) return new GuestExecResult { Exited = true, ExitCode = 0, IsPlanned = true };
            var parsed = Parse(() => ProxmoxParsers.ParseGuestExec(result.StdOut), "the guest exec result", vmId, command);
            if (parsed.Exited || !parsed.Pid.HasValue || !(options.Synchronous ? options.FollowPid : options.FollowStarted)) return parsed;

            var pid = parsed.Pid.Value;
            var stopwatch = Stopwatch.StartNew();
            var polled = TimeSpan.Zero;
            // After qm's own wait the program has run a while: asked every PollInterval, as qm asks. Just started, a short
            // program has ended by the time exec-status has started: asked at once, then after waits growing to PollInterval.
            // The limit applies once the program was asked for at least once (qm's own wait was the first ask).
            var interval = options.PollInterval > TimeSpan.Zero ? options.PollInterval : FirstStartedWait;
            var wait = options.Synchronous ? interval : TimeSpan.Zero;
            var asked = options.Synchronous;
            while (true)
            {
                var elapsed = stopwatch.Elapsed > polled ? stopwatch.Elapsed : polled;
                if (asked && options.FollowLimit.HasValue && elapsed >= options.FollowLimit.Value)
                    throw new ProxmoxException(ProxmoxErrorReason.CommandTimeout, Errors.PhoenixErrorKind.OperationTimeout,
                        $"VM {vmId}: the guest program '{argv[0]}' (pid {pid}) was still running after {ProxmoxError.FormatDuration(elapsed)}. It " +
                            $"goes on in the guest; `qm guest exec-status {vmId} {pid}` shows when it ends.",
                        vmId, "", 0, command.ToDisplayString())
                    {
                        RecommendedAction = "Allow it more time, or look into the guest for why it runs so long.",
                    };
                if (wait > TimeSpan.Zero)
                {
                    await RetryPolicy.Delay(wait, cancellationToken).ConfigureAwait(false);
                    polled += wait;
                }
                GuestExecResult status;
                try
                {
                    status = await GuestExecStatusAsync(vmId, pid, cancellationToken).ConfigureAwait(false);
                }
                catch (ProxmoxException e) when (!options.Synchronous && options.ReadOnly && !startedAgain && e.ProxmoxReason == ProxmoxErrorReason.GuestAgentError &&
                                                 e.ProxmoxMessage.Contains("Invalid parameter 'pid'"))
                {
                    // The agent forgot the pid between the two commands (it was restarted): a read is simply started again, once.
                    return await GuestExecCoreAsync(vmId, argv, options, startedAgain: true, cancellationToken).ConfigureAwait(false);
                }
                asked = true;
                if (status.Exited) return status with { Pid = pid };
                wait = options.Synchronous ? interval : NextStartedWait(wait, interval);
            }
        }

        /// <summary>The first wait before exec-status asks again for a program started with <c>--synchronous 0</c> that had not ended.</summary>
        public static readonly TimeSpan FirstStartedWait = TimeSpan.FromMilliseconds(200);

        // 0.2 s, 0.4 s, 0.8 s, then the poll interval (a shorter interval is the wait from the start).
        private static TimeSpan NextStartedWait(TimeSpan wait, TimeSpan pollInterval)
        {
            var next = wait <= TimeSpan.Zero ? FirstStartedWait : wait + wait;
            return next < pollInterval ? next : pollInterval;
        }

        /// <summary><c>qm guest exec-status</c>.</summary>
        public async Task<GuestExecResult> GuestExecStatusAsync(int vmId, long pid, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.GuestExecStatus(vmId, pid);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseGuestExec(result.StdOut), "the guest exec result", vmId, command);
        }

        /// <summary>
        /// <c>qm guest cmd &lt;vmid&gt; ping</c>: true when the agent answers, false when it does not
        /// (yet). A VM that is not running or has no agent configured is an error, since waiting
        /// will not change that.
        /// </summary>
        public async Task<bool> AgentPingAsync(int vmId, CancellationToken cancellationToken = default)
        {
            try
            {
                await RunCoreAsync(QmCommand.AgentPing(vmId), vmId, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.AgentNotRunning)
            {
                return false;
            }
        }

        /// <summary>The guest's interfaces from its agent (<c>network-get-interfaces</c>).</summary>
        public async Task<IReadOnlyList<GuestInterface>> GetGuestInterfacesAsync(int vmId, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.NetworkGetInterfaces(vmId);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseNetworkInterfaces(result.StdOut), "the guest network interfaces", vmId, command);
        }

        /// <summary>The guest's addresses without loopback, IPv4 first.</summary>
        public async Task<IReadOnlyList<GuestIpAddress>> GetGuestAddressesAsync(int vmId, CancellationToken cancellationToken = default) =>
            ProxmoxParsers.ReachableAddresses(await GetGuestInterfacesAsync(vmId, cancellationToken).ConfigureAwait(false));

        // ---- Storage and cluster --------------------------------------------------------------

        /// <summary><c>pvesm status</c> (all storages, or one; with <paramref name="content"/> only those enabled here that hold it).</summary>
        public async Task<IReadOnlyList<StorageStatus>> StorageStatusAsync(string? storage = null, CancellationToken cancellationToken = default,
            string? content = null)
        {
            var command = QmCommand.PvesmStatus(storage, content);
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParsePvesmStatus(result.StdOut), "the storage status", null, command);
        }

        /// <summary><c>pvesm path</c>: where a volume lives on the host (for example a snippet's file).</summary>
        public async Task<string> StoragePathAsync(string volumeId, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.PvesmPath(volumeId);
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParsePvesmPath(result.StdOut), "the volume path", null, command);
        }

        /// <summary>The nodes of the cluster, or the lone node (<c>pvesh get /nodes</c>).</summary>
        public async Task<IReadOnlyList<NodeEntry>> GetNodesAsync(CancellationToken cancellationToken = default)
        {
            var command = QmCommand.Nodes();
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseNodeList(result.StdOut), "the node list", null, command);
        }

        /// <summary>Every VM and container of the cluster (<c>pvesh get /cluster/resources --type vm</c>).</summary>
        public async Task<IReadOnlyList<ClusterResource>> GetClusterResourcesAsync(CancellationToken cancellationToken = default)
        {
            var command = QmCommand.ClusterResources();
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseClusterResources(result.StdOut), "the cluster resources", null, command);
        }

        /// <summary>Every guest, node and storage of the cluster, from one <c>pvesh get /cluster/resources</c>.</summary>
        public async Task<ClusterInventory> GetClusterInventoryAsync(CancellationToken cancellationToken = default)
        {
            var command = QmCommand.AllClusterResources();
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return ClusterInventory.From(Parse(() => ProxmoxParsers.ParseClusterResources(result.StdOut), "the cluster resources", null, command));
        }

        /// <summary>The cluster's nodes with address and state, and its quorum (<c>pvesh get /cluster/status</c>).</summary>
        public async Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default)
        {
            var command = QmCommand.ClusterStatus();
            var result = await RunCoreAsync(command, null, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseClusterStatus(result.StdOut), "the cluster status", null, command);
        }

        /// <summary>
        /// <c>pvesh get /cluster/nextid</c>: the lowest free VMID; with <paramref name="vmId"/> that
        /// VMID when it is free, else an <see cref="ProxmoxErrorReason.AlreadyExists"/> error.
        /// </summary>
        public async Task<int> NextIdAsync(int? vmId = null, CancellationToken cancellationToken = default)
        {
            var command = QmCommand.NextId(vmId);
            var result = await RunCoreAsync(command, vmId, cancellationToken).ConfigureAwait(false);
            return Parse(() => ProxmoxParsers.ParseNextId(result.StdOut), "the next free VMID", vmId, command);
        }

        /// <summary>
        /// Runs a command built by <see cref="QmCommand"/> that has no method of its own here, with
        /// the same lock waits and error classification. A failure throws; success returns the output.
        /// </summary>
        public Task<CommandResult> ExecuteAsync(RemoteCommand command, int? vmId = null, CancellationToken cancellationToken = default) =>
            RunCoreAsync(command ?? throw new ArgumentNullException(nameof(command)), vmId, cancellationToken);

        // ---- The one path every command takes -------------------------------------------------

        private async Task<CommandResult> RunCoreAsync(RemoteCommand command, int? vmId, CancellationToken cancellationToken, bool stdErrMeansFailure = false)
        {
            var policy = RetryPolicy;
            var stopwatch = Stopwatch.StartNew();
            var waited = TimeSpan.Zero;
            var retry = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                CommandResult result;
                try
                {
                    result = await Connection.RunAsync(command, null, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException e)
                {
                    throw ProxmoxError.Timeout(command, vmId, null, e);
                }

                var failed = !result.Succeeded || (stdErrMeansFailure && HasErrorText(result.StdErr));
                if (!failed) return result;

                var error = ProxmoxError.Classify(result, command, vmId);
                if (!error.IsTransient || policy.TotalLimit <= TimeSpan.Zero) throw error;

                // Real waits advance the stopwatch; counting the waits too keeps the limit honest
                // when Delay is replaced (tests) or the clock is coarse.
                var elapsed = stopwatch.Elapsed > waited ? stopwatch.Elapsed : waited;
                var remaining = policy.TotalLimit - elapsed;
                if (remaining <= TimeSpan.Zero) throw ProxmoxError.LockWaitExceeded(error, elapsed);

                retry++;
                var delay = policy.GetDelay(retry);
                if (delay > remaining) delay = remaining;
                Waiting?.Invoke(this, new ProxmoxWaitEventArgs(error.VmId ?? vmId, command.ToDisplayString(), error, retry, delay, elapsed, policy.TotalLimit));
                await policy.Delay(delay, cancellationToken).ConfigureAwait(false);
                waited += delay;
            }
        }

        private bool IsPlanned(RemoteCommand command) =>
            Connection is PlanRecorder recorder && !recorder.IsRead(command);

        private static bool HasErrorText(string stdErr) =>
            (stdErr ?? "").Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Any(l =>
                l.Length > 0 &&
                !l.StartsWith("WARN", StringComparison.Ordinal) &&
                !l.StartsWith("trying to acquire lock", StringComparison.Ordinal) &&
                !l.StartsWith("Task finished with", StringComparison.Ordinal));

        private static T Parse<T>(Func<T> parse, string what, int? vmId, RemoteCommand command)
        {
            try
            {
                return parse();
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.UnexpectedOutput && e.Command == null)
            {
                // Restated with the VM and the command, which the pure parser does not know.
                throw ProxmoxError.UnexpectedOutput(what, e.ProxmoxMessage, vmId, command.ToDisplayString(), e);
            }
        }
    }
}
