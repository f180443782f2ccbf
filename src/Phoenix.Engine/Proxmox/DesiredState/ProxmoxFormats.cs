using System.Linq;
using static Phoenix.Engine.Proxmox.DesiredState.ProxmoxValueType;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>
    /// The property-string formats of qemu-server 9.2 that Phoenix compares by meaning, key by key with
    /// their types and defaults. Sources: QemuServer.pm (vga, watchdog, audio, spice, boot), QemuServer/Memory.pm,
    /// Agent.pm, CPUConfig.pm, Network.pm, Drive.pm, RNG.pm, Machine.pm.
    /// </summary>
    public static class ProxmoxFormats
    {
        /// <summary><c>memory</c>: <c>[current=]MiB</c>, default 512 (Memory.pm $memory_fmt).</summary>
        public static PropertyFormat Memory { get; } = new PropertyFormat.Builder("memory")
            .Key("current", Integer, "512", defaultKey: true)
            .Build();

        /// <summary><c>agent</c>: <c>[enabled=]1|0</c> plus fstrim_cloned_disks, freeze-fs (aliases of old names), type (Agent.pm $agent_fmt).</summary>
        public static PropertyFormat Agent { get; } = new PropertyFormat.Builder("agent")
            .Key("enabled", Boolean, "0", defaultKey: true)
            .Key("fstrim_cloned_disks", Boolean, "0")
            .Key("freeze-fs", Boolean, "1")
            .Alias("freeze-fs-on-backup", "freeze-fs")
            .Alias("guest-fsfreeze", "freeze-fs")
            .Key("type", String, "virtio")
            .Build();

        /// <summary>
        /// <c>cpu</c>: <c>[cputype=]type</c>, default kvm64 (the x86 default with KVM), flags as a set,
        /// hidden, hv-vendor-id, phys-bits, guest-phys-bits, level, reported-model (CPUConfig.pm $cpu_fmt).
        /// </summary>
        public static PropertyFormat Cpu { get; } = new PropertyFormat.Builder("pve-vm-cpu-conf")
            .Key("cputype", String, "kvm64", defaultKey: true)
            .Key("reported-model", String, "kvm64")
            .Key("hidden", Boolean, "0")
            .Key("hv-vendor-id")
            .Key("flags", CpuFlags)
            .Key("guest-phys-bits", Integer)
            .Key("phys-bits")
            .Key("level", Integer)
            .Build();

        /// <summary><c>boot</c>: <c>order=dev;dev</c> or the deprecated <c>[legacy=]cdn</c> (QemuServer.pm $boot_fmt).</summary>
        public static PropertyFormat Boot { get; } = new PropertyFormat.Builder("pve-qm-boot")
            .Key("legacy", String, "cdn", defaultKey: true)
            .Key("order")
            .Build();

        /// <summary>
        /// <c>netN</c>: <c>model=MAC</c> (a model name as key carries the MAC), bridge, tag, firewall, ... (Network.pm
        /// $net_fmt). firewall and link_down are off when omitted (the code reads them as plain truth values).
        /// </summary>
        public static PropertyFormat Net { get; } = NetFormat();

        /// <summary>
        /// Drives (ideN, sataN, scsiN, virtioN, efidisk0, tpmstate0): <c>[file=]volume</c> and every drive option
        /// of Drive.pm's $alldrive_fmt. Besides the schema's defaults, omitted options carry the value qemu-server's
        /// code gives them: backup on (vzdump skips only <c>backup=0</c>), iothread, ssd, ro and snapshot off,
        /// discard ignore (Blockdev.pm maps anything but <c>on</c> to ignore).
        /// </summary>
        public static PropertyFormat Drive { get; } = DriveFormat();

        /// <summary><c>vga</c>: <c>[type=]std</c>, memory, clipboard (QemuServer.pm $vga_fmt).</summary>
        public static PropertyFormat Vga { get; } = new PropertyFormat.Builder("vga")
            .Key("type", String, "std", defaultKey: true)
            .Key("memory", Integer)
            .Key("clipboard")
            .Build();

        /// <summary><c>watchdog</c>: <c>[model=]i6300esb</c>, action (QemuServer.pm $watchdog_fmt).</summary>
        public static PropertyFormat Watchdog { get; } = new PropertyFormat.Builder("pve-qm-watchdog")
            .Key("model", String, "i6300esb", defaultKey: true)
            .Key("action")
            .Build();

        /// <summary><c>audio0</c>: device, driver (default spice).</summary>
        public static PropertyFormat Audio { get; } = new PropertyFormat.Builder("audio")
            .Key("device")
            .Key("driver", String, "spice")
            .Build();

        /// <summary><c>spice_enhancements</c>: foldersharing (0), videostreaming (off).</summary>
        public static PropertyFormat SpiceEnhancements { get; } = new PropertyFormat.Builder("spice_enhancements")
            .Key("foldersharing", Boolean, "0")
            .Key("videostreaming", String, "off")
            .Build();

        /// <summary><c>rngN</c>: <c>[source=]/dev/urandom</c>, max_bytes (1024), period (1000) (RNG.pm).</summary>
        public static PropertyFormat Rng { get; } = new PropertyFormat.Builder("pve-qm-rng")
            .Key("source", String, null, defaultKey: true)
            .Key("max_bytes", Integer, "1024")
            .Key("period", Integer, "1000")
            .Build();

        /// <summary><c>machine</c>: <c>[type=]q35</c>, viommu, aw-bits, enable-s3/s4 (their default depends on the machine version, so none here).</summary>
        public static PropertyFormat Machine { get; } = new PropertyFormat.Builder("pve-qemu-machine-fmt")
            .Key("type", String, null, defaultKey: true)
            .Key("viommu")
            .Key("aw-bits", Number)
            .Key("enable-s3", Boolean)
            .Key("enable-s4", Boolean)
            .Build();

        /// <summary>
        /// <c>ipconfigN</c>: ip, gw, ip6, gw6. No defaults: parse_ipconfig gives DHCP on both families only when
        /// neither address is set, so an omitted key is not the same as its schema default.
        /// </summary>
        public static PropertyFormat IpConfig { get; } = new PropertyFormat.Builder("pve-qm-ipconfig")
            .Key("ip").Key("gw").Key("ip6").Key("gw6")
            .Build();

        /// <summary><c>cicustom</c>: meta, network, user, vendor volumes.</summary>
        public static PropertyFormat CiCustom { get; } = new PropertyFormat.Builder("pve-qm-cicustom")
            .Key("meta").Key("network").Key("user").Key("vendor")
            .Build();

        private static PropertyFormat NetFormat()
        {
            var b = new PropertyFormat.Builder("pve-qm-net")
                .Key("model", String, null, defaultKey: true)
                .Key("macaddr", MacAddress)
                .Key("bridge")
                .Key("queues", Integer)
                .Key("rate", Number)
                .Key("tag", Integer)
                .Key("trunks")
                .Key("firewall", Boolean, "0")
                .Key("link_down", Boolean, "0")
                .Key("mtu", Integer)
                .Key("host-tunnel", Boolean);
            foreach (var model in VmNetworkDevice.Models) b.Alias(model, "macaddr", keyAlias: "model");
            return b.Build();
        }

        private static PropertyFormat DriveFormat()
        {
            var b = new PropertyFormat.Builder("pve-qm-drive")
                .Key("file", String, null, defaultKey: true)
                .Alias("volume", "file")
                .Key("media", String, "disk")
                .Key("snapshot", Boolean, "0")
                .Key("cache")
                .Key("format")
                .Key("size", DiskSize)
                .Key("backup", Boolean, "1")
                .Key("replicate", Boolean, "1")
                .Key("rerror")
                .Key("werror")
                .Key("aio")
                .Key("discard", String, "ignore")
                .Key("detect_zeroes", Boolean)
                .Key("serial")
                .Key("shared", Boolean, "0")
                .Key("iothread", Boolean, "0")
                .Key("model")
                .Key("product")
                .Key("vendor")
                .Key("queues", Integer)
                .Key("ro", Boolean, "0")
                .Key("scsiblock", Boolean, "0")
                .Key("ssd", Boolean, "0")
                .Key("wwn")
                .Key("version", String, "v1.2")
                .Key("efitype", String, "2m")
                .Key("pre-enrolled-keys", Boolean, "0")
                .Key("ms-cert", String, "2011")
                .Key("import-from");
            foreach (var k in new[] { "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr", "iops_max", "iops_rd_max", "iops_wr_max" })
                b.Key(k, Integer);
            foreach (var k in new[] { "mbps", "mbps_rd", "mbps_wr", "mbps_max", "mbps_rd_max", "mbps_wr_max" })
                b.Key(k, Number);
            foreach (var k in new[] { "bps_max_length", "bps_rd_max_length", "bps_wr_max_length", "iops_max_length", "iops_rd_max_length", "iops_wr_max_length" })
                b.Key(k, Integer);
            foreach (var legacy in new[] { "bps_rd_length", "bps_wr_length", "iops_rd_length", "iops_wr_length" })
                b.Alias(legacy, legacy.Replace("_length", "_max_length"));
            return b.Build();
        }

        /// <summary>The format of a top-level option that holds a property string, or null.</summary>
        public static PropertyFormat? ForOption(string key)
        {
            switch (key)
            {
                case "memory": return Memory;
                case "agent": return Agent;
                case "cpu": return Cpu;
                case "boot": return Boot;
                case "vga": return Vga;
                case "watchdog": return Watchdog;
                case "audio0": return Audio;
                case "spice_enhancements": return SpiceEnhancements;
                case "machine": return Machine;
                case "cicustom": return CiCustom;
            }
            if (QemuOptions.IsNet(key)) return Net;
            if (QemuOptions.IsDrive(key)) return Drive;
            if (key.StartsWith("ipconfig", System.StringComparison.Ordinal) && key.Length > 8 && key.Substring(8).All(char.IsDigit)) return IpConfig;
            if (key.StartsWith("rng", System.StringComparison.Ordinal) && key.Length > 3 && key.Substring(3).All(char.IsDigit)) return Rng;
            return null;
        }
    }
}
