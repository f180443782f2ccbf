using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>How the desired-state model compares one top-level VM option.</summary>
    public enum QemuOptionKind
    {
        /// <summary>A scalar of a <see cref="ProxmoxValueType"/> with its default (cores, onboot, balloon, ostype, ...).</summary>
        Scalar,

        /// <summary>A property string of a known <see cref="PropertyFormat"/> (memory, agent, cpu, vga, ...).</summary>
        PropertyString,

        /// <summary>A disk or CD-ROM (ideN, sataN, scsiN, virtioN, efidisk0, tpmstate0).</summary>
        Drive,

        /// <summary>A NIC (netN): the MAC is kept.</summary>
        Net,

        /// <summary><c>tags</c>: a set, split at <c>;</c> <c>,</c> and spaces, case and order ignored.</summary>
        Tags,

        /// <summary><c>description</c>: text, trailing white space ignored (qemu-server strips it when it reads the config).</summary>
        Description,

        /// <summary><c>startup</c>: <c>[order=]N,up=N,down=N</c> (pve_parse_startup_order).</summary>
        Startup,

        /// <summary><c>boot</c>: the order list, or the legacy letters when no order is given.</summary>
        Boot,

        /// <summary><c>hotplug</c>: a set of features; <c>1</c> is network,disk,usb and <c>0</c> none.</summary>
        Hotplug,

        /// <summary><c>nameserver</c>: an address list (split at <c>;</c> <c>,</c> and spaces), order kept.</summary>
        AddressList,

        /// <summary><c>sshkeys</c>: URI-escaped keys, compared decoded.</summary>
        SshKeys,

        /// <summary><c>vmgenid</c>: <c>1</c> means "a generated UUID", <c>0</c> none.</summary>
        VmGenId,

        /// <summary><c>cipassword</c>: qm config only shows <c>**********</c>, so it cannot be compared.</summary>
        Secret,

        /// <summary><c>smp</c>: Proxmox rewrites it as sockets (dropping cores) when it writes the config.</summary>
        Rewritten,

        /// <summary>Kept by Proxmox itself (lock, parent, meta, template, unusedN, ...): never set by Phoenix.</summary>
        Internal,

        /// <summary>A parameter of <c>qm set</c> that is no configuration option (delete, revert, skiplock, ...).</summary>
        NotAnOption,

        /// <summary>An option whose format the model does not know: equal only to the letter.</summary>
        Unknown,
    }

    /// <summary>One top-level option's schema: how it is compared, its type and default, its format.</summary>
    public sealed class QemuOption
    {
        internal QemuOption(string key, QemuOptionKind kind, ProxmoxValueType type = ProxmoxValueType.String, string? @default = null, PropertyFormat? format = null)
        {
            Key = key;
            Kind = kind;
            Type = type;
            Default = @default;
            Format = format;
        }

        /// <summary>The option as qm spells it.</summary>
        public string Key { get; }

        /// <summary>How it is compared.</summary>
        public QemuOptionKind Kind { get; }

        /// <summary>For scalars, the type.</summary>
        public ProxmoxValueType Type { get; }

        /// <summary>The value an absent option has (schema default), or null.</summary>
        public string? Default { get; }

        /// <summary>For property strings, drives and NICs, the format.</summary>
        public PropertyFormat? Format { get; }
    }

    /// <summary>
    /// The top-level options of a QEMU VM (qemu-server's $confdesc and $confdesc_cloudinit) as the
    /// desired-state model needs them. What Proxmox stores as given (most options) is compared by type;
    /// what it rewrites (netN, drives, tags, boot) by the rules it rewrites with.
    /// </summary>
    public static class QemuOptions
    {
        private static readonly Regex DriveKey = new Regex(@"^(?:ide[0-3]|sata[0-5]|scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|efidisk0|tpmstate0)$", RegexOptions.CultureInvariant);
        private static readonly Regex NetKey = new Regex(@"^net(?:[0-9]|[12][0-9]|3[01])$", RegexOptions.CultureInvariant);
        private static readonly Regex UnusedKey = new Regex(@"^unused\d+$", RegexOptions.CultureInvariant);
        private static readonly Regex PlainStringKey = new Regex(@"^(?:serial[0-3]|parallel[0-2])$", RegexOptions.CultureInvariant);

        private static readonly Dictionary<string, QemuOption> Table = Build();

        /// <summary>True for ideN, sataN, scsiN, virtioN (in Proxmox's ranges), efidisk0 and tpmstate0.</summary>
        public static bool IsDrive(string key) => DriveKey.IsMatch(key);

        /// <summary>True for net0..net31.</summary>
        public static bool IsNet(string key) => NetKey.IsMatch(key);

        /// <summary>The schema of <paramref name="key"/>; an unknown key gets kind <see cref="QemuOptionKind.Unknown"/>.</summary>
        public static QemuOption Get(string key)
        {
            if (key == null) throw new ArgumentNullException(nameof(key));
            if (Table.TryGetValue(key, out var o)) return o;
            if (IsDrive(key)) return new QemuOption(key, QemuOptionKind.Drive, format: ProxmoxFormats.Drive);
            if (IsNet(key)) return new QemuOption(key, QemuOptionKind.Net, format: ProxmoxFormats.Net);
            if (UnusedKey.IsMatch(key)) return new QemuOption(key, QemuOptionKind.Internal);
            if (PlainStringKey.IsMatch(key)) return new QemuOption(key, QemuOptionKind.Scalar);
            if (ProxmoxFormats.ForOption(key) is PropertyFormat f) return new QemuOption(key, QemuOptionKind.PropertyString, format: f);
            return new QemuOption(key, QemuOptionKind.Unknown);
        }

        private static Dictionary<string, QemuOption> Build()
        {
            var t = new Dictionary<string, QemuOption>(StringComparer.Ordinal);
            void Add(string key, QemuOptionKind kind, ProxmoxValueType type = ProxmoxValueType.String, string? @default = null, PropertyFormat? format = null)
                => t[key] = new QemuOption(key, kind, type, @default, format);
            void Bool(string key, string? @default) => Add(key, QemuOptionKind.Scalar, ProxmoxValueType.Boolean, @default);
            void Int(string key, string? @default) => Add(key, QemuOptionKind.Scalar, ProxmoxValueType.Integer, @default);
            void Num(string key, string? @default) => Add(key, QemuOptionKind.Scalar, ProxmoxValueType.Number, @default);
            void Str(string key, string? @default = null) => Add(key, QemuOptionKind.Scalar, ProxmoxValueType.String, @default);

            // Booleans with the schema's defaults; localtime has none (it follows ostype), freeze is off unless set.
            Bool("onboot", "0"); Bool("autostart", "0"); Bool("reboot", "1"); Bool("numa", "0"); Bool("keephugepages", "0");
            Bool("acpi", "1"); Bool("kvm", "1"); Bool("tdf", "0"); Bool("localtime", null); Bool("freeze", "0");
            Bool("tablet", "1"); Bool("protection", "0"); Bool("allow-ksm", "1"); Bool("ciupgrade", "1");
            // Whole numbers; cpuunits' default depends on the cgroup version and balloon has none (absent is not 0).
            Int("cores", "1"); Int("sockets", "1"); Int("vcpus", "0"); Int("shares", "1000"); Int("balloon", null);
            Int("cpuunits", null); Int("migrate_speed", "0");
            Num("cpulimit", "0"); Num("migrate_downtime", "0.1");
            // Strings Proxmox stores as given: compared to the letter, enums with their defaults.
            Str("name"); Str("ostype", "other"); Str("scsihw", "lsi"); Str("bios", "seabios"); Str("keyboard");
            Str("hugepages"); Str("startdate", "now"); Str("args"); Str("hookscript"); Str("vmstatestorage");
            Str("arch"); Str("bootdisk"); Str("citype"); Str("ciuser"); Str("searchdomain"); Str("affinity");

            foreach (var k in new[] { "memory", "agent", "cpu", "vga", "watchdog", "audio0", "spice_enhancements", "machine", "cicustom" })
                Add(k, QemuOptionKind.PropertyString, format: ProxmoxFormats.ForOption(k));
            Add("tags", QemuOptionKind.Tags);
            Add("description", QemuOptionKind.Description);
            Add("startup", QemuOptionKind.Startup);
            Add("boot", QemuOptionKind.Boot, format: ProxmoxFormats.Boot);
            Add("hotplug", QemuOptionKind.Hotplug, @default: "network,disk,usb");
            Add("nameserver", QemuOptionKind.AddressList);
            Add("sshkeys", QemuOptionKind.SshKeys);
            Add("vmgenid", QemuOptionKind.VmGenId);
            Add("cipassword", QemuOptionKind.Secret);
            Add("smp", QemuOptionKind.Rewritten);
            foreach (var k in new[] { "lock", "parent", "snaptime", "vmstate", "runningmachine", "runningcpu", "running-nets-host-mtu", "meta", "template", "digest", "snapstate" })
                Add(k, QemuOptionKind.Internal);
            foreach (var k in new[] { "vmid", "delete", "revert", "skiplock", "force", "background_delay", "skip_cloud_init", "import-working-storage" })
                Add(k, QemuOptionKind.NotAnOption);
            return t;
        }
    }
}
