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

        /// <summary>The VMIDs the <c>template</c> names of the config resolved to (<see cref="TemplateNames"/>).</summary>
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
            var (outcome, existing, _) = await EnsureCloneInRunAsync(host, spec, fileVms, options, plannedVms, ct, null, false).ConfigureAwait(false);
            return (outcome, existing);
        }

        /// <summary>
        /// <see cref="EnsureCloneReadingAsync"/> inside a deploy run: a VM the run's listing lacks (<paramref name="knownAbsent"/>)
        /// is not read first; a source the listing shows as a template is read once per run; and after a plain clone of a
        /// template, <c>Predicted</c> is the config the clone has by Proxmox's rules (the template's, with the VM's name
        /// and without what a clone does not copy; MACs, uuids and disk volumes are not known from it).
        /// </summary>
        internal static async Task<(StepOutcome Outcome, VmConfig? Existing, VmConfig? Predicted)> EnsureCloneInRunAsync(ProxmoxHost host, VmSpec spec,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, ISet<int> plannedVms, CancellationToken ct, DeployRun? run,
            bool knownAbsent, NodeRoute? route = null)
        {
            // On a cluster a VMID the listing shows on another node is not this VM's (qm config here would say "does not exist").
            if (route?.Listed is { Node: string elsewhere } found && !string.Equals(elsewhere, route.TargetNode, StringComparison.Ordinal))
                return await MigrateLeftBehindAsync(spec, fileVms, options, plannedVms, ct, run, route, found).ConfigureAwait(false);
            var existing = knownAbsent && run != null ? null : await TryGetConfigAsync(host, spec.VmId, ct).ConfigureAwait(false);
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
                return (StepOutcome.Unchanged($"VM {spec.VmId} ({existing.Name}) exists; not cloned again."), existing, null);
            }

            var source = ResolveSource(spec, fileVms, options);
            bool sourcePlanned;
            lock (plannedVms) sourcePlanned = plannedVms.Contains(source.VmId);
            // On a cluster the source is read, and cloned, on its own node (qm clone runs where the source is).
            var sourceNode = route == null ? null : await SourceNodeAsync(source.VmId, fileVms, run, route, ct).ConfigureAwait(false);
            var sourceHost = route == null || sourceNode == route.TargetNode ? host : await route.HostFor(sourceNode!, ct).ConfigureAwait(false);
            VmConfig? sourceConfig = null;
            var listedTemplate = false;
            if (!sourcePlanned && run != null && source.Snapshot == null)
                listedTemplate = (await run.FindAsync(source.VmId, ct).ConfigureAwait(false))?.IsTemplate == true;
            // A template does not change while the run clones it: its config is read once for every clone of the run. On the VM's own
            // node the clone needs no more than the listing says (a template, so linked unless told otherwise): the read runs beside
            // the clone, for the prediction of the clone's config. Across nodes (the placement and template_copies weigh its disks)
            // and in a plan (which reads as it always did) it is awaited first.
            Task<VmConfig?>? templateRead = null;
            if (listedTemplate)
            {
                templateRead = run!.SourceConfigAsync(source.VmId, () => TryGetConfigAsync(sourceHost, source.VmId, ct));
                if (host.IsDryRun || (route != null && sourceNode != route.TargetNode))
                {
                    sourceConfig = await templateRead.ConfigureAwait(false);
                    templateRead = null;
                }
            }
            if (sourcePlanned && sourceHost != host && !host.IsDryRun)
                // Made by this run on another node: its volumes decide how the clone crosses over.
                sourceConfig = await TryGetConfigAsync(sourceHost, source.VmId, ct).ConfigureAwait(false);
            if (!sourcePlanned && sourceConfig == null && templateRead == null)
                sourceConfig = await TryGetConfigAsync(sourceHost, source.VmId, ct).ConfigureAwait(false) ?? throw SourceMissing(spec, source.VmId);

            // template_copies: a VM whose template is on another node is cloned from its own node's copy of it (made once).
            TemplateCopy? copy = null;
            var copyIsTemplate = false;
            if (route != null && run != null && sourceNode != route.TargetNode && source.Snapshot == null &&
                spec.TemplateCopies.TryGetValue(route.TargetNode, out var copyId) &&
                (sourceConfig?.IsTemplate ?? (listedTemplate || (fileVms.TryGetValue(source.VmId, out var ft) && ft.IsTemplate))))
            {
                var template = source;
                var templateNode = sourceNode!;
                var templateHost = sourceHost;
                var templateConfig = sourceConfig;
                var mine = false;
                copy = await run.OnceAsync("copy:" + copyId.ToString(CultureInfo.InvariantCulture), () =>
                {
                    mine = true;
                    return EnsureTemplateCopyAsync(host, templateHost, spec, template.VmId, templateNode, templateConfig, copyId, fileVms, run, route, ct);
                }).ConfigureAwait(false);
                if (!mine) copy = copy with { Changes = Array.Empty<string>() };
                source = new CloneSource(copyId, null);
                sourceNode = route.TargetNode;
                sourceHost = host;
                // A copy made by this run (or planned) is the template's config as a template; one found is read once per run.
                sourceConfig = copy.Made || host.IsDryRun ? templateConfig
                    : await run.SourceConfigAsync(copyId, () => TryGetConfigAsync(host, copyId, ct)).ConfigureAwait(false) ?? templateConfig;
                copyIsTemplate = true;
            }

            var full = options.FullClone;
            string? storage = null;
            var isTemplateSource = copyIsTemplate || templateRead != null || (sourceConfig?.IsTemplate ?? (fileVms.TryGetValue(source.VmId, out var s) && s.IsTemplate));
            var willBeFull = full ?? !isTemplateSource;
            if (willBeFull && !string.IsNullOrEmpty(spec.StoragePool)) storage = spec.StoragePool;

            NodePlacement? placement = null;
            if (route != null && sourceNode != route.TargetNode)
            {
                placement = NodePlacements.Decide(spec, source.VmId, sourceNode!, route.TargetNode, sourceConfig, await InventoryAsync(run, route, ct)
                    .ConfigureAwait(false), full, storage);
                if (placement.Way == PlacementWay.CloneThenMigrate)
                {
                    // A linked clone of a local base cannot migrate: the clone that moves is a full one.
                    full = true;
                    willBeFull = true;
                    if (!string.IsNullOrEmpty(spec.StoragePool)) storage = spec.StoragePool;
                }
            }
            var target = placement?.Way == PlacementWay.CloneWithTarget ? route!.TargetNode : null;
            var clone = sourceHost.CloneAsync(source.VmId, spec.VmId, new CloneOptions { Name = spec.Name, SnapName = source.Snapshot, Full = full,
                Storage = storage, Target = target }, ct);
            if (templateRead != null) sourceConfig = await BesideCloneAsync(clone, templateRead, spec, source.VmId).ConfigureAwait(false);
            else await clone.ConfigureAwait(false);
            if (placement?.Way == PlacementWay.CloneThenMigrate) await sourceHost.MigrateAsync(spec.VmId, route!.TargetNode, ct).ConfigureAwait(false);
            lock (plannedVms) plannedVms.Add(spec.VmId);
            var from = source.Snapshot != null ? $"VM {source.VmId} snapshot '{source.Snapshot}'" : $"VM {source.VmId}";
            var predicted = run != null && sourceConfig != null && sourceConfig.IsTemplate && source.Snapshot == null && storage == null &&
                spec.Name != null ? PredictClone(sourceConfig, spec.Name) : null;
            var change = $"cloned from {from} ({(willBeFull ? "full" : "linked")} clone)";
            if (copy != null)
                return (new StepOutcome(copy.Changes.Concat(new[] { change }).ToList(), new[] { $"{PlacedNote}'{route!.TargetNode}': {copy.Why}." },
                    Array.Empty<string>()), null, predicted);
            if (placement == null || placement.Way == PlacementWay.SameNode) return (StepOutcome.Of(change), null, predicted);
            var how = placement.Way == PlacementWay.CloneWithTarget
                ? $"on node '{placement.SourceNode}' with --target '{placement.TargetNode}'"
                : $"on node '{placement.SourceNode}', then migrated offline to '{placement.TargetNode}'";
            return (new StepOutcome(new[] { $"{change} {how}" }, new[] { $"{PlacedNote}'{placement.TargetNode}': {placement.Why}." },
                Array.Empty<string>()), null, predicted);
        }

        // The clone and the template's config read beside it. A failed clone is the error, unless the read found no template
        // (it went since the run's listing): then, as when the read came first, the error is that the source does not exist.
        // After a clone that worked, a failed read gives no prediction (null), not an error.
        private static async Task<VmConfig?> BesideCloneAsync(Task clone, Task<VmConfig?> templateRead, VmSpec spec, int sourceId)
        {
            try
            {
                await clone.ConfigureAwait(false);
            }
            catch (Exception)
            {
                var gone = false;
                try
                {
                    gone = await templateRead.ConfigureAwait(false) == null;
                }
                catch (Exception)
                {
                    // The clone's own error stands.
                }
                if (gone) throw SourceMissing(spec, sourceId);
                throw;
            }
            try
            {
                return await templateRead.ConfigureAwait(false);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                // The clone is made: the template's config only predicts the clone's, and without it the configure step reads
                // the clone's own config (a VM is not failed for a read that is not needed any more).
                return null;
            }
        }

        private static PhoenixException SourceMissing(VmSpec spec, int sourceId) =>
            new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.CloneSourceNotFound,
                $"VM {spec.VmId} ({spec.Name}) is to be cloned from VM {sourceId}, which does not exist on the host.", spec.VmId)
            { RecommendedAction = $"Create VM {sourceId} first (New-PhoenixTemplate for a base template), or set " +
                $"clone_from_vmid/template_vmid in {Where(spec)}." };

        /// <summary>A node's copy of a template (<c>template_copies</c>): whether this run made it, what it did, and why.</summary>
        internal sealed record TemplateCopy(bool Made, IReadOnlyList<string> Changes, string Why);

        /// <summary>
        /// Makes sure VM <paramref name="copyId"/> on the VM's node (<paramref name="host"/>) is that node's copy of template
        /// <paramref name="templateId"/> on <paramref name="templateNode"/>: a template there is kept as it is (whoever made it);
        /// none is made as a full clone that crosses nodes as any clone does (<see cref="NodePlacements.Decide"/>), then
        /// <c>qm template</c>. A copy an earlier run left half-made (cloned but not moved, or moved but not a template yet)
        /// is finished; any other VM at that VMID is an error before any change.
        /// </summary>
        private static async Task<TemplateCopy> EnsureTemplateCopyAsync(ProxmoxHost host, ProxmoxHost templateHost, VmSpec spec, int templateId,
            string templateNode, VmConfig? templateConfig, int copyId, IReadOnlyDictionary<int, VmSpec> fileVms, DeployRun run, NodeRoute route,
            CancellationToken ct)
        {
            var node = route.TargetNode;
            var templateName = templateConfig?.Name ?? (fileVms.TryGetValue(templateId, out var t) ? t.Name : null) ?? $"template-{templateId}";
            var copyName = $"{templateName}-{node}";
            var what = $"VM {copyId}, node '{node}''s copy of template {templateId} (template_copies)";
            var found = (await run.ResourcesAsync(ct).ConfigureAwait(false)).FirstOrDefault(r => r.VmId == copyId && (r.IsVm || r.IsContainer));
            if (found != null)
            {
                var ours = found.IsVm && string.Equals(found.Name, copyName, StringComparison.Ordinal) && found.Status == "stopped";
                if (found.IsVm && found.IsTemplate && found.Node == node)
                    return new TemplateCopy(false, Array.Empty<string>(), $"cloned from {what}");
                if (ours && found.Node == node)
                {
                    await host.TemplateAsync(copyId, ct).ConfigureAwait(false);
                    return new TemplateCopy(true, new[] { $"made {what} a template (an earlier run was cut off before it)" }, $"cloned from {what}");
                }
                if (ours && found.Node == templateNode && !found.IsTemplate)
                {
                    await templateHost.MigrateAsync(copyId, node, ct).ConfigureAwait(false);
                    await host.TemplateAsync(copyId, ct).ConfigureAwait(false);
                    return new TemplateCopy(true, new[] { $"migrated {what} offline from node '{templateNode}' and made it a template (an earlier run " +
                        "was cut off before)" }, $"cloned from {what}");
                }
                var kind = found.IsContainer ? $"container '{found.Name}'" : $"VM '{found.Name ?? copyId.ToString(CultureInfo.InvariantCulture)}'" +
                    (found.IsTemplate ? "" : " (not a template)");
                throw new PhoenixException(PhoenixErrorKind.AlreadyExists, ErrorIds.VmIdTaken,
                    $"VM {spec.VmId} ({spec.Name}) is to be cloned from {what}, but VMID {copyId} is {kind} on node '{found.Node}'. Nothing was changed.",
                    spec.VmId)
                { RecommendedAction = $"Give node '{node}' a free VMID in template_copies of {Where(spec)}, or make VM {copyId} a template on node " +
                    $"'{node}' (Phoenix then keeps it as that node's copy)." };
            }

            var copySpec = new VmSpec { VmId = copyId, Name = copyName, Node = node };
            var placement = NodePlacements.Decide(copySpec, templateId, templateNode, node, templateConfig, await InventoryAsync(run, route, ct)
                .ConfigureAwait(false), true, null);
            var target = placement.Way == PlacementWay.CloneWithTarget ? node : null;
            await templateHost.CloneAsync(templateId, copyId, new CloneOptions { Name = copyName, Full = true, Target = target }, ct).ConfigureAwait(false);
            if (placement.Way == PlacementWay.CloneThenMigrate) await templateHost.MigrateAsync(copyId, node, ct).ConfigureAwait(false);
            await host.TemplateAsync(copyId, ct).ConfigureAwait(false);
            var how = placement.Way == PlacementWay.CloneWithTarget
                ? $"cloned in full on node '{templateNode}' with --target '{node}'"
                : $"cloned in full on node '{templateNode}', migrated offline to '{node}'";
            return new TemplateCopy(true, new[] { $"made {what} ({copyName}): {how}, then qm template" },
                $"cloned from {what}, made by this run: {placement.Why}");
        }

        /// <summary>How the note on a VM placed across nodes begins (the -WhatIf plan shows it).</summary>
        internal const string PlacedNote = "placed on node ";

        // The node of clone source sourceId: the run's listing says where it is; one of the file made by this run is on its node.
        private static async Task<string> SourceNodeAsync(int sourceId, IReadOnlyDictionary<int, VmSpec> fileVms, DeployRun? run, NodeRoute route,
            CancellationToken ct)
        {
            var listed = run == null ? null : await run.FindAsync(sourceId, ct).ConfigureAwait(false);
            if (listed?.Node != null) return listed.Node;
            return fileVms.TryGetValue(sourceId, out var s) && s.Node != null ? s.Node : route.LocalNode;
        }

        private static async Task<ClusterInventory> InventoryAsync(DeployRun? run, NodeRoute route, CancellationToken ct) =>
            run == null ? route.Inventory : await run.InventoryAsync(ct).ConfigureAwait(false);

        /// <summary>
        /// The VMID is on another node than the VM's. One case is Phoenix's own: a run cut off between its clone and its
        /// migration left the VM, stopped and with its name, on the source's node; it is migrated now. Anything else is an
        /// error before any change (Phoenix neither takes over nor moves a VM unasked).
        /// </summary>
        private static async Task<(StepOutcome Outcome, VmConfig? Existing, VmConfig? Predicted)> MigrateLeftBehindAsync(VmSpec spec,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, ISet<int> plannedVms, CancellationToken ct, DeployRun? run,
            NodeRoute route, ClusterResource found)
        {
            var source = ResolveSource(spec, fileVms, options);
            var sourceNode = await SourceNodeAsync(source.VmId, fileVms, run, route, ct).ConfigureAwait(false);
            var ours = found.IsVm && found.Status == "stopped" && spec.Name != null && string.Equals(found.Name, spec.Name, StringComparison.Ordinal) &&
                string.Equals(found.Node, sourceNode, StringComparison.Ordinal);
            if (!ours) throw NodePlacements.OnOtherNode(spec, route.TargetNode, found);
            var sourceHost = await route.HostFor(sourceNode, ct).ConfigureAwait(false);
            var sourceConfig = await TryGetConfigAsync(sourceHost, source.VmId, ct).ConfigureAwait(false);
            var placement = NodePlacements.Decide(spec, source.VmId, sourceNode, route.TargetNode, sourceConfig,
                await InventoryAsync(run, route, ct).ConfigureAwait(false), true, null);
            if (placement.Way != PlacementWay.CloneThenMigrate) throw NodePlacements.OnOtherNode(spec, route.TargetNode, found);
            await sourceHost.MigrateAsync(spec.VmId, route.TargetNode, ct).ConfigureAwait(false);
            lock (plannedVms) plannedVms.Add(spec.VmId);
            return (new StepOutcome(new[] { $"migrated offline from node '{sourceNode}' to '{route.TargetNode}' (an earlier run cloned it there " +
                "and was cut off before its migration)" }, Array.Empty<string>(), Array.Empty<string>()), null, null);
        }

        // What qm clone does not copy (proxmox-behaviour.md, qm clone), besides unusedN.
        private static readonly HashSet<string> NotCloned = new HashSet<string>(StringComparer.Ordinal)
        {
            "template", "parent", "snaptime", "vmstate", "snapstate", "runningcpu", "runningmachine", "running-nets-host-mtu", "lock",
        };

        // The keys a clone gets new values for (MACs in netN, the uuid in smbios1, vmgenid, the disks' volumes): a prediction
        // does not know them, so a change to one of them is made against the config read back.
        private static readonly System.Text.RegularExpressions.Regex CloneChangedKey = new System.Text.RegularExpressions.Regex(
            @"^(?:net\d+|smbios1|vmgenid|name|delete|meta|(?:ide|sata|scsi|virtio|unused)\d+|efidisk0|tpmstate0)$",
            System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        private static VmConfig PredictClone(VmConfig template, string name) =>
            new VmConfig(template.Entries.Where(e => !NotCloned.Contains(e.Key) && !e.Key.StartsWith("unused", StringComparison.Ordinal) &&
                e.Key != "name").Concat(new[] { new KeyValuePair<string, string>("name", name) }));

        /// <summary>
        /// True when <paramref name="comparison"/>, made against a predicted clone config, may be run as it is: it changes
        /// nothing a clone makes new or that the prediction cannot know (NICs, disks, uuids, the name), and leaves nothing
        /// untouched.
        /// </summary>
        private static bool SafeOnPrediction(DesiredStateComparison comparison) =>
            comparison.Resizes.Count == 0 && comparison.Untouched.Count == 0 && comparison.SetOptions.All(kv => !CloneChangedKey.IsMatch(kv.Key));

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

        /// <summary>
        /// Converges <paramref name="existing"/> (the config the clone step read; null after a clone, which is then read once,
        /// unless <paramref name="predicted"/> answers for it) and gives the config as it is afterwards when the changes left
        /// what cloud-init looks at as it was (cicustom and the drives), else null. With <paramref name="canDefer"/> (a clone
        /// of this run, whose cloud-init step comes next), the options of a predicted clone are not set here but given back
        /// as <c>Deferred</c>, for the cloud-init step's one <c>qm set</c> with cicustom.
        /// </summary>
        internal static async Task<(StepOutcome Outcome, VmConfig? After, IReadOnlyList<KeyValuePair<string, string>> Deferred)> ConfigureKnowingAsync(
            ProxmoxHost host, VmSpec spec, VmConfig? existing, VmConfig? predicted, bool canDefer, CancellationToken ct,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options)
        {
            var none = (IReadOnlyList<KeyValuePair<string, string>>)Array.Empty<KeyValuePair<string, string>>();
            var current = existing;
            DesiredStateComparison? comparison = null;
            var defer = false;
            if (current == null)
            {
                // A clone just made from a template is what Proxmox's rules make it: no need to read it back, unless the
                // changes touch what the clone made new. A plan follows the same rule, so that it shows the same commands.
                if (predicted != null && DesiredStateModel.Compare(spec, predicted) is var guess && SafeOnPrediction(guess))
                {
                    current = predicted;
                    comparison = guess;
                    defer = canDefer && guess.SetOptions.Count > 0 && guess.SetOptions.All(kv => kv.Key != "cicustom");
                }
                else if (host.IsDryRun) return (await ConfigureAsync(host, spec, ct, fileVms, options).ConfigureAwait(false), null, none);
                else current = await host.GetVmConfigAsync(spec.VmId, cancellationToken: ct).ConfigureAwait(false);
            }
            comparison ??= DesiredStateModel.Compare(spec, current);
            var outcome = defer ? Describe(spec, comparison) : await RunComparisonAsync(host, spec, comparison, ct).ConfigureAwait(false);
            var touchesCloudInit = comparison.SetOptions.Any(kv => kv.Key == "delete" || kv.Key == "cicustom" || current.GetDisk(kv.Key) != null ||
                System.Text.RegularExpressions.Regex.IsMatch(kv.Key, @"^(?:ide|sata|scsi|virtio)\d+$"));
            var deferred = defer ? comparison.SetOptions : none;
            if (touchesCloudInit) return (outcome, null, deferred);
            // What qm set wrote (or, deferred, will write) is what qm config shows (pending values included), over what was read.
            var set = comparison.SetOptions.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var after = current.Entries.Where(e => !set.ContainsKey(e.Key)).Concat(comparison.SetOptions);
            return (outcome, new VmConfig(after), deferred);
        }

        /// <summary>Runs the commands of <see cref="DesiredStateModel.Compare"/> for <paramref name="current"/>, the config just read.</summary>
        public static Task<StepOutcome> ConvergeAsync(ProxmoxHost host, VmSpec spec, VmConfig current, CancellationToken ct) =>
            RunComparisonAsync(host, spec, DesiredStateModel.Compare(spec, current), ct);

        private static async Task<StepOutcome> RunComparisonAsync(ProxmoxHost host, VmSpec spec, DesiredStateComparison comparison, CancellationToken ct)
        {
            foreach (var command in comparison.Commands())
                await host.ExecuteAsync(command, spec.VmId, ct).ConfigureAwait(false);
            return Describe(spec, comparison);
        }

        private static StepOutcome Describe(VmSpec spec, DesiredStateComparison comparison)
        {
            var changes = new List<string>();
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
