using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Workflow
{
    /// <summary>Choices for making VMs that the config file does not make.</summary>
    public sealed class ProvisionOptions
    {
        /// <summary>The base template cloned when a VM names neither clone_from_vmid nor template_vmid.</summary>
        public int DefaultTemplateVmId { get; set; } = 9000;

        /// <summary>Force full (true) or linked (false) clones; null leaves it to Proxmox (linked from templates).</summary>
        public bool? FullClone { get; set; }
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
        /// else the default template.
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
            return new CloneSource(spec.TemplateVmId ?? options.DefaultTemplateVmId, null);
        }

        /// <summary>
        /// Clones the VM unless it exists. An existing VM with the spec's name is left alone; one with
        /// another name is an error naming both (Phoenix never takes over another VM's ID).
        /// </summary>
        public static async Task<StepOutcome> EnsureCloneAsync(ProxmoxHost host, VmSpec spec, IReadOnlyDictionary<int, VmSpec> fileVms,
            ProvisionOptions options, ISet<int> plannedVms, CancellationToken ct)
        {
            var existing = await TryGetConfigAsync(host, spec.VmId, ct).ConfigureAwait(false);
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
                if (existing.Lock == "clone")
                {
                    throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.IncompleteClone,
                        $"VM {spec.VmId} ({existing.Name}) is still locked by a clone: either a clone is running right now, or one was interrupted " +
                            $"and left a half-made VM.", spec.VmId)
                    { RecommendedAction = $"Check on the host that no clone task for {spec.VmId} is running (ps -ef | grep 'qm clone'); if none " +
                        $"is, remove the half-made VM (qm unlock {spec.VmId} && qm destroy {spec.VmId}) and deploy again." };
                }
                return StepOutcome.Unchanged($"VM {spec.VmId} ({existing.Name}) exists; not cloned again.");
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
            return StepOutcome.Of($"cloned from {from} ({(willBeFull ? "full" : "linked")} clone)");
        }

        /// <summary>
        /// Sets what differs from the spec: cores, memory, onboot, startup order, the guest agent, the
        /// bridge of net0 (keeping its MAC), qm_options, and grows the boot disk. A clone that lost its
        /// cloud-init drive gets one again.
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
            var warnings = new List<string>();
            var changes = new List<string>();

            var set = DesiredChanges(spec, current);
            if (set.Count > 0)
            {
                await host.SetAsync(spec.VmId, set, ct).ConfigureAwait(false);
                changes.AddRange(set.Select(kv => $"set {kv.Key} {kv.Value}"));
            }

            if (spec.DiskSizeGb is int gb)
            {
                var disk = BootDisk(current);
                if (disk != null && disk.SizeBytes is long bytes)
                {
                    var want = (long)gb * 1024 * 1024 * 1024;
                    if (want > bytes)
                    {
                        await host.ResizeAsync(spec.VmId, disk.Key, gb.ToString(CultureInfo.InvariantCulture) + "G", ct).ConfigureAwait(false);
                        changes.Add($"resized {disk.Key} to {gb}G");
                    }
                    else if (want < bytes)
                    {
                        warnings.Add($"VM {spec.VmId}: disk_size_gb {gb} is smaller than {disk.Key} ({disk.Size}); Proxmox cannot shrink a disk, " +
                            $"so it stays as it is.");
                    }
                }
            }
            return new StepOutcome(changes, Array.Empty<string>(), warnings);
        }

        /// <summary>The <c>qm set</c> options that would make <paramref name="current"/> match <paramref name="spec"/>.</summary>
        public static IReadOnlyList<KeyValuePair<string, string>> DesiredChanges(VmSpec spec, VmConfig current)
        {
            var want = new List<KeyValuePair<string, string>>();
            void Want(string key, string value, Func<string?, bool>? same = null)
            {
                var have = current[key];
                if (same != null ? same(have) : have == value) return;
                want.Add(new KeyValuePair<string, string>(key, value));
            }

            var inv = CultureInfo.InvariantCulture;
            if (spec.Cores is int cores) Want("cores", cores.ToString(inv));
            if (spec.MemoryMb is int mem) Want("memory", mem.ToString(inv));
            if (spec.StartAtBoot is bool onboot) Want("onboot", onboot ? "1" : "0", have => (have == "1") == onboot);
            if (spec.BootOrder != null || spec.BootDelay != null)
            {
                var parts = new List<string>();
                if (spec.BootOrder is int order) parts.Add("order=" + order.ToString(inv));
                if (spec.BootDelay is int delay) parts.Add("up=" + delay.ToString(inv));
                var startup = string.Join(",", parts);
                Want("startup", startup, have => have != null && SamePropertyString(have, startup));
            }
            Want("agent", "1", have => current.IsAgentEnabled && have != null);

            if (!string.IsNullOrEmpty(spec.NetworkBridge))
            {
                var net0 = current.NetworkDevices.FirstOrDefault(n => n.Key == "net0");
                if (net0 == null)
                    want.Add(new KeyValuePair<string, string>("net0", $"virtio,bridge={spec.NetworkBridge}"));
                else if (net0.Bridge != spec.NetworkBridge)
                    want.Add(new KeyValuePair<string, string>("net0", ReplaceOption(current["net0"]!, "bridge", spec.NetworkBridge!)));
            }

            if (current.CloudInitDrive == null && current.Keys.Any())
            {
                var storage = BootDisk(current)?.StorageId ?? "local-lvm";
                if (current["ide2"] == null) want.Add(new KeyValuePair<string, string>("ide2", storage + ":cloudinit"));
            }

            foreach (var kv in spec.QmOptions)
            {
                if (want.Any(w => w.Key == kv.Key)) continue;
                Want(kv.Key, kv.Value);
            }
            return want;
        }

        internal static VmDisk? BootDisk(VmConfig config)
        {
            var boot = config["boot"];
            if (boot != null)
            {
                var order = PropertyString.Parse(boot, "legacy")["order"];
                var first = order?.Split(';').FirstOrDefault();
                if (first != null && config.GetDisk(first) is VmDisk d && !d.IsCdrom) return d;
            }
            return config.Disks.FirstOrDefault(d => !d.IsCdrom && !d.IsCloudInit && !d.IsUnused);
        }

        private static bool SamePropertyString(string a, string b)
        {
            var x = PropertyString.Parse(a).ToDictionary();
            var y = PropertyString.Parse(b).ToDictionary();
            return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && v == kv.Value);
        }

        private static string ReplaceOption(string propertyString, string key, string value)
        {
            var parts = propertyString.Split(',').ToList();
            var i = parts.FindIndex(p => p.StartsWith(key + "=", StringComparison.Ordinal));
            if (i >= 0) parts[i] = key + "=" + value; else parts.Add(key + "=" + value);
            return string.Join(",", parts);
        }

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
