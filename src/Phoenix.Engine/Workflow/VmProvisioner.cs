using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;

namespace Phoenix.Engine.Workflow
{
    /// <summary>Choices for making VMs that the config file does not make.</summary>
    public sealed class ProvisionOptions
    {
        /// <summary>The base template cloned when a VM names neither clone_from_vmid nor template_vmid.</summary>
        public int DefaultTemplateVmId { get; set; } = 9000;

        /// <summary>Force full (true) or linked (false) clones; null leaves it to Proxmox (linked from templates).</summary>
        public bool? FullClone { get; set; }

        /// <summary>The VMIDs the <c>template</c> names of the config resolved to (<see cref="TemplateNames.ResolveAsync"/>).</summary>
        public Dictionary<string, int> TemplateByName { get; } = new Dictionary<string, int>(StringComparer.Ordinal);
    }

    /// <summary>
    /// Makes a VM what its <see cref="VmSpec"/> says: the clone (from the right source and snapshot)
    /// and the dynamic configuration. Every method reads first and changes only what differs.
    /// </summary>
    public static class VmProvisioner
    {
        /// <summary>Where a VM is cloned from, and from which snapshot.</summary>
        public sealed class CloneSource
        {
            public CloneSource(int vmId, string? snapshot) { VmId = vmId; Snapshot = snapshot; }
            public int VmId { get; }
            public string? Snapshot { get; }
        }

        /// <summary>
        /// The clone source of <paramref name="spec"/>: clone_from_vmid (from its template_snapshot_name
        /// snapshot when that VM is in the file, has one and is not a template), else template_vmid,
        /// else the template its <c>template</c> name resolved to, else the default template.
        /// </summary>
        public static CloneSource ResolveSource(VmSpec spec, IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options)
        {
            if (spec.CloneFromVmId is int from)
            {
                string? snap = null;
                if (fileVms.TryGetValue(from, out var source) && !source.IsTemplate && !string.IsNullOrEmpty(source.TemplateSnapshotName))
                    snap = source.TemplateSnapshotName;
                return new CloneSource(from, snap);
            }
            if (spec.TemplateVmId is int t) return new CloneSource(t, null);
            if (TemplateNames.Uses(spec) && options.TemplateByName.TryGetValue(spec.Template!, out var named)) return new CloneSource(named, null);
            return new CloneSource(options.DefaultTemplateVmId, null);
        }

        /// <summary>
        /// Clones the VM unless it exists. An existing VM with the spec's name is left alone; one with
        /// another name is an error naming both (Phoenix never takes over another VM's ID).
        /// </summary>
        public static async Task<StepOutcome> EnsureCloneAsync(ProxmoxHost host, VmSpec spec, IReadOnlyDictionary<int, VmSpec> fileVms,
            ProvisionOptions options, ISet<int> plannedVms, CancellationToken ct) =>
            (await EnsureCloneReadingAsync(host, spec, fileVms, options, plannedVms, ct).ConfigureAwait(false)).Outcome;

        /// <summary>
        /// <see cref="EnsureCloneAsync"/>, also giving the configuration it read when the VM already existed (null after
        /// a clone), so the next step need not read it again.
        /// </summary>
        public static async Task<(StepOutcome Outcome, VmConfig? Existing)> EnsureCloneReadingAsync(ProxmoxHost host, VmSpec spec,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, ISet<int> plannedVms, CancellationToken ct)
        {
            var existing = await TryGetConfigAsync(host, spec.VmId, ct).ConfigureAwait(false);
            if (existing?.Lock == "clone")
            {
                // A clone is making this VM (a re-run after a deploy was cut off while `qm clone` went on), or one was
                // cut off itself and left its half-made target: wait the lock out as any other lock. The clone ends by
                // removing its lock (the VM is then whole) or, on failure, its target (then it is cloned again).
                existing = await host.WaitWhileLockedAsync(spec.VmId, existing, ct).ConfigureAwait(false);
                if (existing?.Lock == "clone")
                {
                    var waited = ProxmoxError.FormatDuration(host.RetryPolicy.TotalLimit);
                    throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.IncompleteClone,
                        $"VM {spec.VmId} ({spec.Name ?? existing.Name}) is still locked by a clone after Phoenix waited {waited}: the clone that makes " +
                            "it is still running (a large full clone), or it was cut off and left a half-made VM that no task will finish.", spec.VmId)
                    { RecommendedAction = $"Check on the host whether a clone task for VM {spec.VmId} still runs (the node's Tasks view, or " +
                        $"ps -ef | grep 'qm clone'). If one does, deploy again when it has ended; if none does, remove the half-made VM " +
                        $"(qm unlock {spec.VmId} && qm destroy {spec.VmId}) and deploy again." };
                }
            }
            if (existing != null)
            {
                if (spec.Name != null && !string.Equals(existing.Name, spec.Name, StringComparison.Ordinal))
                {
                    throw new PhoenixException(PhoenixErrorKind.AlreadyExists, ErrorIds.VmIdTaken,
                        $"VM {spec.VmId} already exists on the host as '{existing.Name ?? "VM " + spec.VmId}', but {Where(spec)} wants it to be " +
                            $"'{spec.Name}'. " +
                        "Phoenix does not take over another VM.", spec.VmId)
                    { RecommendedAction = $"Give '{spec.Name}' a free VMID in the config, or remove VM {spec.VmId} (Remove-PhoenixVm " +
                        $"-VmId {spec.VmId}) if it is really not needed." };
                }
                return (StepOutcome.Unchanged($"VM {spec.VmId} ({existing.Name}) exists; not cloned again."), existing);
            }

            var source = ResolveSource(spec, fileVms, options);
            bool sourcePlanned;
            lock (plannedVms) sourcePlanned = plannedVms.Contains(source.VmId);
            VmConfig? sourceConfig = null;
            if (!sourcePlanned)
            {
                sourceConfig = await TryGetConfigAsync(host, source.VmId, ct).ConfigureAwait(false);
                if (sourceConfig == null)
                {
                    throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.CloneSourceNotFound,
                        $"VM {spec.VmId} ({spec.Name}) is to be cloned from VM {source.VmId}, which does not exist on the host.", spec.VmId)
                    { RecommendedAction = $"Create VM {source.VmId} first (New-PhoenixTemplate for a base template), or set " +
                        $"clone_from_vmid/template_vmid in {Where(spec)}." };
                }
            }

            var full = options.FullClone;
            string? storage = null;
            var isTemplateSource = sourceConfig?.IsTemplate ?? (fileVms.TryGetValue(source.VmId, out var s) && s.IsTemplate);
            var willBeFull = full ?? !isTemplateSource;
            if (willBeFull && !string.IsNullOrEmpty(spec.StoragePool)) storage = spec.StoragePool;

            await host.CloneAsync(source.VmId, spec.VmId, new CloneOptions { Name = spec.Name, SnapName = source.Snapshot, Full = full, Storage = storage }, ct)
                .ConfigureAwait(false);
            lock (plannedVms) plannedVms.Add(spec.VmId);
            var from = source.Snapshot != null ? $"VM {source.VmId} snapshot '{source.Snapshot}'" : $"VM {source.VmId}";
            return (StepOutcome.Of($"cloned from {from} ({(willBeFull ? "full" : "linked")} clone)"), null);
        }

        /// <summary>
        /// Converges the VM's configuration with the desired-state model (<see cref="DesiredStateModel"/>): one
        /// <c>qm config</c>, then one <c>qm set</c> carrying every option that differs (named fields and
        /// <c>qm_options</c>, compared as Proxmox means them: a disk is never allocated again, a NIC keeps its MAC)
        /// and a <c>qm resize</c> per disk that must grow. What it cannot change safely (a shrink, a disk on another
        /// storage, a value it cannot compare) is left as it is and said in a warning.
        /// </summary>
        public static async Task<StepOutcome> ConfigureAsync(ProxmoxHost host, VmSpec spec, CancellationToken ct,
            IReadOnlyDictionary<int, VmSpec>? fileVms = null, ProvisionOptions? options = null)
        {
            // Under -WhatIf a VM that is only planned cannot be read back: plan against the config its
            // clone would copy (the source's), so the plan shows what the real run would set.
            var current = host.IsDryRun
                ? await TryGetConfigAsync(host, spec.VmId, ct).ConfigureAwait(false)
                    ?? await TryGetConfigAsync(host, ResolveSource(spec, fileVms ?? new Dictionary<int, VmSpec>(),
                        options ?? new ProvisionOptions()).VmId, ct).ConfigureAwait(false)
                    ?? new VmConfig(Array.Empty<KeyValuePair<string, string>>())
                : await host.GetVmConfigAsync(spec.VmId, cancellationToken: ct).ConfigureAwait(false);
            return await ConvergeAsync(host, spec, current, ct).ConfigureAwait(false);
        }

        /// <summary>Runs the commands of <see cref="DesiredStateModel.Compare"/> for <paramref name="current"/>, the config just read.</summary>
        public static async Task<StepOutcome> ConvergeAsync(ProxmoxHost host, VmSpec spec, VmConfig current, CancellationToken ct)
        {
            var comparison = DesiredStateModel.Compare(spec, current);
            var changes = new List<string>();
            foreach (var command in comparison.Commands())
                await host.ExecuteAsync(command, spec.VmId, ct).ConfigureAwait(false);
            changes.AddRange(comparison.SetOptions.Select(kv => kv.Key == "delete" ? $"deleted {kv.Value}" : $"set {kv.Key} {kv.Value}"));
            changes.AddRange(comparison.Resizes.Select(r => $"resized {r.Disk} to {r.Size}"));
            var warnings = comparison.Untouched.Select(f => $"VM {spec.VmId}: {f.Field} is left as it is: {f.Reason}").ToList();
            return new StepOutcome(changes, Array.Empty<string>(), warnings);
        }

        internal static VmDisk? BootDisk(VmConfig config) => DesiredStateModel.BootDisk(config);

        internal static async Task<VmConfig?> TryGetConfigAsync(ProxmoxHost host, int vmId, CancellationToken ct)
        {
            try
            {
                return await host.GetVmConfigAsync(vmId, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.VmNotFound)
            {
                return null;
            }
        }

        internal static string Where(VmSpec spec)
        {
            var pos = spec.Position;
            return spec.SourceFile != null
                ? $"{System.IO.Path.GetFileName(spec.SourceFile)}{(pos != null ? ":" + pos.Line.ToString(CultureInfo.InvariantCulture) : "")} " +
                    $"(vms[{spec.Index}])"
                : $"the config (vms[{spec.Index}])";
        }
    }
}
