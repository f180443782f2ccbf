using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Workflow
{
    /// <summary>A VM as Phoenix reports it: config, status and snapshots read together.</summary>
    public sealed class VmState
    {
        public VmState(int vmId, VmConfig config, string status, IReadOnlyList<SnapshotInfo> snapshots)
        {
            VmId = vmId;
            Config = config;
            Status = status;
            Snapshots = snapshots;
        }

        public int VmId { get; }
        public VmConfig Config { get; }
        public string Status { get; }
        public IReadOnlyList<SnapshotInfo> Snapshots { get; }
        public bool IsRunning => Status == "running";
        public string Name => Config.Name ?? "VM " + VmId;
    }

    /// <summary>How a wait for the guest agent ends well: the guest's addresses.</summary>
    public sealed class AgentReady
    {
        public AgentReady(IReadOnlyList<GuestIpAddress> addresses, TimeSpan waited)
        {
            Addresses = addresses;
            Waited = waited;
        }

        public IReadOnlyList<GuestIpAddress> Addresses { get; }
        public TimeSpan Waited { get; }
    }

    /// <summary>
    /// Idempotent VM operations over a <see cref="ProxmoxHost"/>: each says whether it changed
    /// anything, so re-runs converge and report "unchanged".
    /// </summary>
    public static class VmLifecycle
    {
        public static async Task<VmState> GetAsync(ProxmoxHost host, int vmId, bool includeSnapshots, CancellationToken ct)
        {
            var configTask = host.GetVmConfigAsync(vmId, cancellationToken: ct);
            var statusTask = host.GetStatusAsync(vmId, ct);
            var snapsTask = includeSnapshots ? host.ListSnapshotsAsync(vmId, ct) : Task.FromResult<IReadOnlyList<SnapshotInfo>>(Array.Empty<SnapshotInfo>());
            await Task.WhenAll(configTask, statusTask, snapsTask).ConfigureAwait(false);
            return new VmState(vmId, configTask.Result, statusTask.Result, snapsTask.Result);
        }

        /// <summary>Starts the VM unless it runs. Returns true when it was started.</summary>
        public static async Task<bool> EnsureStartedAsync(ProxmoxHost host, int vmId, CancellationToken ct)
        {
            var status = await host.GetStatusAsync(vmId, ct).ConfigureAwait(false);
            if (status == "running") return false;
            await host.StartAsync(vmId, ct).ConfigureAwait(false);
            return true;
        }

        /// <summary>
        /// Shuts the VM down through ACPI/the agent, waiting <paramref name="timeoutSeconds"/>; with
        /// <paramref name="force"/> a VM that does not stop in time is stopped hard. Returns true when
        /// it was running.
        /// </summary>
        public static async Task<bool> EnsureStoppedAsync(ProxmoxHost host, int vmId, int timeoutSeconds, bool force, CancellationToken ct)
        {
            var status = await host.GetStatusAsync(vmId, ct).ConfigureAwait(false);
            if (status == "stopped") return false;
            await host.ShutdownAsync(vmId, timeoutSeconds, forceStop: force, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }

        /// <summary>
        /// Destroys the VM (<c>qm destroy</c>, with <c>--purge</c> unless <paramref name="purge"/> is false). A running
        /// VM is refused by Proxmox unless <paramref name="force"/> stops it first. The snippets Phoenix wrote for
        /// it go with it unless <paramref name="keepSnippets"/>: they hold its user, keys and password hash.
        /// Returns the snippet files that were deleted.
        /// </summary>
        public static async Task<IReadOnlyList<string>> RemoveAsync(ProxmoxHost host, int vmId, bool force, bool purge, bool keepSnippets,
            CancellationToken ct, VmConfig? config = null)
        {
            if (force && await host.GetStatusAsync(vmId, ct).ConfigureAwait(false) == "running")
                await host.StopAsync(vmId, cancellationToken: ct).ConfigureAwait(false);
            var snippets = keepSnippets ? new List<string>()
                : await PhoenixSnippetsAsync(host, vmId, config ?? await host.GetVmConfigAsync(vmId, cancellationToken: ct).ConfigureAwait(false), ct)
                    .ConfigureAwait(false);
            await host.DestroyAsync(vmId, purge, ct).ConfigureAwait(false);
            var removed = new List<string>();
            foreach (var path in snippets)
                if (await host.Connection.DeleteAsync(path, ct).ConfigureAwait(false)) removed.Add(path);
            return removed;
        }

        // Only the files Phoenix names for this VM (user-data-<id>.yml, network-config-<id>.yml and the marker
        // beside them), and only when the VM's cicustom points at them: an admin's own snippets are left alone.
        private static async Task<List<string>> PhoenixSnippetsAsync(ProxmoxHost host, int vmId, VmConfig config, CancellationToken ct)
        {
            var paths = new List<string>();
            var cicustom = config["cicustom"];
            if (cicustom == null) return paths;
            var parts = PropertyString.Parse(cicustom).ToDictionary();
            foreach (var (key, file) in new[] { ("user", CloudInitDocument.UserDataFileNameFor(vmId)), ("network",
                CloudInitDocument.NetworkConfigFileNameFor(vmId)) })
            {
                if (!parts.TryGetValue(key, out var volid) || !volid.EndsWith(":snippets/" + file, StringComparison.Ordinal)) continue;
                paths.Add(await host.StoragePathAsync(volid, ct).ConfigureAwait(false));
            }
            if (paths.Count > 0) paths.Add(CloudInitApplier.MarkerPath(paths[0], vmId));
            return paths;
        }

        /// <summary>
        /// Reads VM <paramref name="vmId"/> and checks that it is the VM the caller means to remove, before anything is
        /// changed: its name must be <paramref name="expectedName"/> when one is given (a config entry or an object piped
        /// in says which VM it describes; another VM that holds the VMID is not it), and a template is removed only with
        /// <paramref name="allowTemplate"/> (-Force): its clones may depend on it. Returns the config, for
        /// <see cref="RemoveAsync"/> and for the confirmation text.
        /// </summary>
        /// <exception cref="PhoenixException"><c>VmNameMismatch</c>, <c>TemplateNeedsForce</c>, or Proxmox's <c>VmNotFound</c>.</exception>
        public static async Task<VmConfig> CheckRemovalAsync(ProxmoxHost host, int vmId, string? expectedName, bool allowTemplate, CancellationToken ct)
        {
            var config = await host.GetVmConfigAsync(vmId, cancellationToken: ct).ConfigureAwait(false);
            var label = VmLabel.Of(vmId, config.Name);
            if (expectedName != null && !string.Equals(config.Name, expectedName, StringComparison.Ordinal))
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.VmNameMismatch,
                    $"{label} on the host{(config.IsTemplate ? ", a template," : "")} is not '{expectedName}': it is not the VM that was named, " +
                    "so it is not removed.", vmId)
                { RecommendedAction = $"Check the VMID of '{expectedName}' (Get-PhoenixVm -Name '{expectedName}'); to remove VM {vmId} as it is, " +
                    $"run Remove-PhoenixVm -VmId {vmId} without a name." };
            }
            if (config.IsTemplate && !allowTemplate)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.TemplateNeedsForce,
                    $"{label} is a template; its clones may be built from it, so Phoenix removes a template only with -Force.", vmId)
                { RecommendedAction = $"Add -Force if template {vmId} really is to go (Remove-PhoenixVm -VmId {vmId} -Force)." };
            }
            return config;
        }

        /// <summary>Takes the snapshot unless one of that name exists. Returns true when it was taken.</summary>
        public static async Task<bool> EnsureSnapshotAsync(ProxmoxHost host, int vmId, string name, string? description, CancellationToken ct)
        {
            var reason = ProxmoxNames.ValidateSnapshotName(name);
            if (reason != null)
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidSnapshotName, $"VM {vmId}: {reason}.", vmId);
            var snapshots = await host.ListSnapshotsAsync(vmId, ct).ConfigureAwait(false);
            if (snapshots.Any(s => !s.IsCurrent && s.Name == name)) return false;
            await host.SnapshotAsync(vmId, name, description, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }

        /// <summary>
        /// Waits until <c>qm agent ping</c> answers, then reads the guest's addresses. On timeout the
        /// error says whether the VM runs, whether `agent` is set, and what to check in the guest.
        /// </summary>
        public static Task<AgentReady> WaitForAgentAsync(ProxmoxHost host, int vmId, TimeSpan timeout, TimeSpan pollInterval,
            Action<TimeSpan>? onWaiting, CancellationToken ct) =>
            WaitForAgentAsync(host, vmId, timeout, pollInterval, onWaiting, ct, null, false, true);

        /// <summary>
        /// <see cref="WaitForAgentAsync(ProxmoxHost, int, TimeSpan, TimeSpan, Action{TimeSpan}?, CancellationToken)"/> for a VM the
        /// caller knows more about: <paramref name="knownConfig"/> is its config as just read (not read again to check
        /// `agent`), <paramref name="knownRunning"/> says it was just started (its state is read only to explain a timeout),
        /// and without <paramref name="readAddresses"/> the guest's addresses are not asked for.
        /// </summary>
        public static async Task<AgentReady> WaitForAgentAsync(ProxmoxHost host, int vmId, TimeSpan timeout, TimeSpan pollInterval,
            Action<TimeSpan>? onWaiting, CancellationToken ct, VmConfig? knownConfig, bool knownRunning, bool readAddresses)
        {
            var watch = Stopwatch.StartNew();
            VmConfig? config = knownConfig;
            var configChecked = false;
            string? status = knownRunning ? "running" : null;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                // The ping first: when the agent answers, the VM runs and has it configured, and nothing else need be read.
                // A VM seen stopped is not pinged again until it runs.
                var answered = false;
                try
                {
                    if (status == null || status == "running") answered = await host.AgentPingAsync(vmId, ct).ConfigureAwait(false);
                }
                catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.AgentNotConfigured || e.ProxmoxReason == ProxmoxErrorReason.NotRunning)
                {
                    answered = false;
                }
                if (answered)
                {
                    if (!readAddresses) return new AgentReady(Array.Empty<GuestIpAddress>(), watch.Elapsed);
                    IReadOnlyList<GuestIpAddress> addresses;
                    try
                    {
                        addresses = await host.GetGuestAddressesAsync(vmId, ct).ConfigureAwait(false);
                    }
                    catch (ProxmoxException)
                    {
                        addresses = Array.Empty<GuestIpAddress>();
                    }
                    return new AgentReady(addresses, watch.Elapsed);
                }
                if (!configChecked)
                {
                    configChecked = true;
                    config ??= await host.GetVmConfigAsync(vmId, cancellationToken: ct).ConfigureAwait(false);
                    if (!config.HasAgentKey || !config.IsAgentEnabled)
                    {
                        throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.AgentNotConfigured,
                            $"VM {vmId} ({config.Name}) has no QEMU guest agent configured (`agent: 1` is missing), so Phoenix cannot wait for it.",
                            vmId)
                        { RecommendedAction = $"Run `qm set {vmId} --agent 1` (New-PhoenixVm sets it), install qemu-guest-agent in the guest, and restart the VM." };
                    }
                }
                // A VM just started is taken to run: its state is read only to explain a timeout.
                var timedOut = watch.Elapsed >= timeout;
                if (!knownRunning || timedOut) status = await host.GetStatusAsync(vmId, ct).ConfigureAwait(false);
                if (timedOut)
                {
                    var why = status == "running"
                        ? $"VM {vmId} ({config?.Name}) is running and `agent` is set, but the QEMU guest agent did not answer within {timeout.TotalSeconds:0} s."
                        : $"VM {vmId} ({config?.Name}) is {status}, so its guest agent cannot answer (waited {timeout.TotalSeconds:0} s).";
                    var what = status == "running"
                        ? "Check in the guest (console: qm terminal " + vmId + ") that qemu-guest-agent is installed and running (systemctl status " +
                            "qemu-guest-agent); the default Phoenix cloud-init installs it at first boot, which can take minutes. Or wait longer " +
                            "with -TimeoutSec."
                        : $"Start it with Start-PhoenixVm -VmId {vmId}.";
                    throw new PhoenixException(PhoenixErrorKind.OperationTimeout, ErrorIds.AgentTimeout, why + " " + what, vmId) { RecommendedAction = what };
                }
                onWaiting?.Invoke(watch.Elapsed);
                await Task.Delay(pollInterval, ct).ConfigureAwait(false);
            }
        }
    }
}
