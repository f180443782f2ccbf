using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Phoenix.Engine.Config;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>
    /// The one desired-state model: a <see cref="VmSpec"/> compared field by field with the VM's
    /// configuration as <c>qm config</c> printed it, the way Proxmox means the values. Deploy converges with
    /// its <see cref="DesiredStateComparison.Commands"/>, <c>-WhatIf</c> shows them, and the drift report lists
    /// its <see cref="DesiredStateComparison.Differences"/>. Pure: it reads nothing and runs nothing.
    /// </summary>
    /// <remarks>
    /// Named fields: <c>name</c>, <c>cores</c>, <c>memory_mb</c> (memory), <c>start_at_boot</c> (onboot),
    /// <c>boot_order</c>/<c>boot_delay</c> (startup order/up; a <c>down=</c> on the host is kept),
    /// <c>network_bridge</c> (the bridge of net0; model, MAC and other options kept), <c>disk_size_gb</c> and
    /// <c>storage_pool</c> (the boot disk: grown, never shrunk or moved). Phoenix also needs the guest agent
    /// enabled and a cloud-init drive. Every <c>qm_options</c> key is compared by <see cref="OptionComparer"/>;
    /// a qm_options key that a named field also sets wins (the config validator warns about it).
    /// </remarks>
    public static class DesiredStateModel
    {
        /// <summary>The field name of the cloud-init drive Phoenix needs.</summary>
        public const string CloudInitDriveField = "cloud-init drive";

        /// <summary>The description Phoenix gives the snapshot it takes before a VM's features.</summary>
        public const string PreFeaturesDescription = "Phoenix: before features";

        /// <summary>The description Phoenix gives the snapshots it takes after a VM's features.</summary>
        public const string PostFeaturesDescription = "Phoenix: after features";

        private static readonly string[] BootSearchOrder = BuildBootSearchOrder();

        /// <summary>Compares <paramref name="spec"/> with <paramref name="current"/>.</summary>
        public static DesiredStateComparison Compare(VmSpec spec, VmConfig current)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            if (current == null) throw new ArgumentNullException(nameof(current));
            var inv = CultureInfo.InvariantCulture;
            var qmKeys = new HashSet<string>(spec.QmOptions.Keys.Select(k => k == "cdrom" ? "ide2" : k), StringComparer.Ordinal);
            bool Named(string key) => !qmKeys.Contains(key);
            var rows = new List<FieldComparison>();

            if (spec.Name != null && Named("name")) rows.AddRange(OptionComparer.Compare("name", spec.Name, current, "name"));
            if (spec.Cores is int cores && Named("cores")) rows.AddRange(OptionComparer.Compare("cores", cores.ToString(inv), current, "cores"));
            if (spec.MemoryMb is int memory && Named("memory")) rows.AddRange(OptionComparer.Compare("memory", memory.ToString(inv), current, "memory_mb"));
            if (spec.StartAtBoot is bool onboot && Named("onboot")) rows.AddRange(OptionComparer.Compare("onboot", onboot ? "1" : "0", current, "start_at_boot"));
            if ((spec.BootOrder != null || spec.BootDelay != null) && Named("startup")) rows.AddRange(Startup(spec, current));
            if (!string.IsNullOrEmpty(spec.NetworkBridge) && Named("net0")) rows.Add(Bridge(spec.NetworkBridge!, current));
            var boot = BootDisk(current);
            if ((spec.DiskSizeGb != null || spec.StoragePool != null) && (boot == null || Named(boot.Key))) rows.AddRange(BootDiskRows(spec, boot));
            if (Named("agent")) rows.Add(Agent(current));
            if (CloudInitDrive(spec, current, boot) is FieldComparison ci) rows.Add(ci);
            if (InheritedDescription(spec, current) is FieldComparison inherited) rows.Add(inherited);

            foreach (var kv in spec.QmOptions)
            {
                // qm set resolves -cdrom into ide2 over a given -ide2 ($resolve_cdrom_alias): only the cdrom entry counts.
                if (kv.Key == "ide2" && spec.QmOptions.ContainsKey("cdrom"))
                    rows.Add(new FieldComparison("qm_options.ide2", "ide2", kv.Value, current["ide2"], DesiredAction.CannotChange,
                        reason: "qm_options.cdrom also sets ide2, and qm set gives cdrom the last word; remove one of them."));
                else rows.AddRange(OptionComparer.Compare(kv.Key, kv.Value, current));
            }
            return new DesiredStateComparison(spec.VmId, rows);
        }

        /// <summary>
        /// The boot disk as Proxmox finds it: the first disk (not a CD-ROM) of <c>boot: order=</c>, else the
        /// legacy <c>bootdisk</c>, else the first disk in Proxmox's drive order (ide, scsi, virtio, sata).
        /// </summary>
        public static VmDisk? BootDisk(VmConfig config)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            VmDisk? Disk(string key) => QemuOptions.IsDrive(key) && key != "efidisk0" && key != "tpmstate0" &&
                config.GetDisk(key) is VmDisk d && !d.IsCdrom && !d.IsCloudInit ? d : null;
            if (config["boot"] is string boot && ProxmoxFormats.Boot.TryParse(boot, out var parsed, out _) && parsed["order"] is string order)
            {
                foreach (var dev in OptionComparer.SplitList(order))
                    if (Disk(dev) is VmDisk d) return d;
            }
            else if (config["bootdisk"] is string legacy && Disk(legacy) is VmDisk d)
            {
                return d;
            }
            return BootSearchOrder.Select(Disk).FirstOrDefault(d => d != null);
        }

        private static IEnumerable<FieldComparison> Startup(VmSpec spec, VmConfig current)
        {
            var actual = current["startup"];
            var parsed = OptionComparer.ParseStartup(actual);
            var merged = new SortedDictionary<string, long>(parsed ?? new SortedDictionary<string, long>(), StringComparer.Ordinal);
            if (spec.BootOrder is int order) merged["order"] = order;
            if (spec.BootDelay is int delay) merged["up"] = delay;
            var value = OptionComparer.PrintStartup(merged);
            foreach (var (field, part, wanted) in new[] { ("boot_order", "order", spec.BootOrder), ("boot_delay", "up", spec.BootDelay) })
            {
                if (wanted == null) continue;
                var want = part + "=" + wanted.Value.ToString(CultureInfo.InvariantCulture);
                string? have = parsed != null && parsed.TryGetValue(part, out var v) ? part + "=" + v.ToString(CultureInfo.InvariantCulture) : null;
                if (parsed == null)
                    yield return new FieldComparison(field, "startup", want, actual, DesiredAction.CannotChange, reason: $"Phoenix cannot read the startup order on the host ('{actual}').");
                else if (have == want)
                    yield return new FieldComparison(field, "startup", want, have, DesiredAction.Equal);
                else
                    yield return new FieldComparison(field, "startup", want, have, DesiredAction.Set, setValue: value,
                        reason: have == null ? $"startup has no {part}" : "differs" + (parsed.ContainsKey("down") ? "; down= is kept" : ""));
            }
        }

        private static FieldComparison Bridge(string bridge, VmConfig current)
        {
            var actual = current["net0"];
            if (actual == null)
                return new FieldComparison("network_bridge", "net0", bridge, null, DesiredAction.Set, setValue: "virtio,bridge=" + bridge,
                    reason: "the VM has no net0; a virtio NIC is added and Proxmox gives it a MAC address");
            if (!ProxmoxFormats.Net.TryParse(actual, out var net, out var error))
                return new FieldComparison("network_bridge", "net0", bridge, actual, DesiredAction.CannotChange, reason: $"Phoenix cannot read net0 on the host ({error}).");
            if (net["bridge"] == bridge) return new FieldComparison("network_bridge", "net0", bridge, bridge, DesiredAction.Equal);
            var values = net.Values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            values["bridge"] = bridge;
            return new FieldComparison("network_bridge", "net0", bridge, net["bridge"], DesiredAction.Set, setValue: ProxmoxFormats.Net.Print(values),
                reason: "net0 is on another bridge; its model, MAC address and options are kept");
        }

        private static IEnumerable<FieldComparison> BootDiskRows(VmSpec spec, VmDisk? disk)
        {
            var key = disk?.Key ?? "scsi0";
            if (spec.StoragePool is string pool)
            {
                if (disk == null)
                    yield return new FieldComparison("storage_pool", key, pool, null, DesiredAction.CannotChange, reason: "the VM has no disk to compare its storage with.");
                else if (disk.StorageId == pool)
                    yield return new FieldComparison("storage_pool", key, pool, disk.StorageId, DesiredAction.Equal);
                else
                    yield return new FieldComparison("storage_pool", key, pool, disk.StorageId ?? disk.Volume, DesiredAction.CannotChange,
                        reason: $"{disk.Key} is on storage '{disk.StorageId ?? disk.Volume}'; moving a disk (qm disk move) is not Phoenix's to do.");
            }
            if (spec.DiskSizeGb is int gb)
            {
                var want = (long)gb << 30;
                var wanted = ProxmoxSize.Format(want);
                if (disk == null)
                    yield return new FieldComparison("disk_size_gb", key, wanted, null, DesiredAction.CannotChange, reason: "the VM has no disk to grow.");
                else if (disk.SizeBytes is not long have)
                    yield return new FieldComparison("disk_size_gb", key, wanted, disk.Size, DesiredAction.CannotChange, reason: $"qm config shows no size for {disk.Key}.");
                else if (want > have)
                    yield return new FieldComparison("disk_size_gb", key, wanted, disk.Size, DesiredAction.Resize, resizeTo: wanted, reason: $"{disk.Key} is smaller");
                else if (want < have)
                    yield return new FieldComparison("disk_size_gb", key, wanted, disk.Size, DesiredAction.CannotChange,
                        reason: $"{disk.Key} is {disk.Size}, bigger than disk_size_gb {gb}; Proxmox cannot shrink a disk.");
                else
                    yield return new FieldComparison("disk_size_gb", key, wanted, disk.Size, DesiredAction.Equal);
            }
        }

        private static FieldComparison Agent(VmConfig current)
        {
            const string why = "Phoenix reaches the guest through the QEMU guest agent";
            var actual = current["agent"];
            if (actual == null) return new FieldComparison("agent", "agent", "1", null, DesiredAction.Set, setValue: "1", reason: why + "; it is not configured");
            if (!ProxmoxFormats.Agent.TryParse(actual, out var agent, out var error))
                return new FieldComparison("agent", "agent", "1", actual, DesiredAction.CannotChange, reason: $"Phoenix cannot read the agent setting on the host ({error}).");
            if (agent.Effective("enabled") == "1") return new FieldComparison("agent", "agent", "1", actual, DesiredAction.Equal);
            var values = agent.Values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            values["enabled"] = "1";
            return new FieldComparison("agent", "agent", "1", actual, DesiredAction.Set, setValue: ProxmoxFormats.Agent.Print(values),
                reason: why + "; it is disabled (its other settings are kept)");
        }

        private static FieldComparison? CloudInitDrive(VmSpec spec, VmConfig current, VmDisk? boot)
        {
            // Nothing to compare with before the VM exists; a cloud-init drive the config adds itself is its own field.
            if (!current.Keys.Any() || spec.QmOptions.Values.Any(v => v.Split(',')[0].EndsWith(":cloudinit", StringComparison.Ordinal))) return null;
            if (current.CloudInitDrive is VmDisk drive)
                return new FieldComparison(CloudInitDriveField, drive.Key, "a cloud-init drive", drive.Raw, DesiredAction.Equal);
            var wanted = (boot?.StorageId ?? spec.StoragePool ?? "local-lvm") + ":cloudinit";
            // ide2 is where Proxmox's tools put it; another IDE slot when the config uses ide2 for a CD-ROM.
            var taken = new HashSet<string>(spec.QmOptions.Keys.Select(k => k == "cdrom" ? "ide2" : k), StringComparer.Ordinal);
            var slot = new[] { "ide2", "ide0", "ide1", "ide3" }.FirstOrDefault(k => !taken.Contains(k) && current[k] == null);
            if (slot == null)
                return new FieldComparison(CloudInitDriveField, "ide2", wanted, current["ide2"], DesiredAction.CannotChange,
                    reason: "the VM has no cloud-init drive and every IDE slot, where Phoenix would add it, holds another drive.");
            return new FieldComparison(CloudInitDriveField, slot, wanted, null, DesiredAction.Set, setValue: wanted,
                reason: "the VM has no cloud-init drive (a clone that lost it); Phoenix's cloud-init needs one");
        }

        // A clone from another VM's snapshot copies every key of the snapshot's config, its description too: a VM
        // whose config sets none and that shows one of Phoenix's snapshot descriptions got it that way, so it goes.
        private static FieldComparison? InheritedDescription(VmSpec spec, VmConfig current)
        {
            if (spec.QmOptions.ContainsKey("description") || current.Description is not string text) return null;
            var trimmed = text.TrimEnd();
            if (trimmed != PreFeaturesDescription && trimmed != PostFeaturesDescription) return null;
            return new FieldComparison("description", "description", null, trimmed, DesiredAction.Set, setValue: "", delete: true,
                reason: "copied from the snapshot the VM was cloned from; the config sets no description");
        }

        private static string[] BuildBootSearchOrder()
        {
            // Drive.pm valid_drive_names_for_boot: the order resolve_first_disk searches in.
            var names = new List<string>();
            for (var i = 0; i <= 3; i++) names.Add("ide" + i.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i <= 30; i++) names.Add("scsi" + i.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i <= 15; i++) names.Add("virtio" + i.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i <= 5; i++) names.Add("sata" + i.ToString(CultureInfo.InvariantCulture));
            return names.ToArray();
        }
    }
}
