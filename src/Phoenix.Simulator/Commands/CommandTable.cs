using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    /// <summary>A level of a CLI's command tree: commands, sub-groups and aliases.</summary>
    internal sealed class CommandTree
    {
        public SortedDictionary<string, object> Entries { get; } = new SortedDictionary<string, object>(StringComparer.Ordinal);

        public CommandTree Add(string name, object entry)
        {
            Entries[name] = entry;
            return this;
        }
    }

    /// <summary>An alias entry (`importdisk` is `disk import`).</summary>
    internal sealed class CommandAlias
    {
        public CommandAlias(string target) { Target = target; }

        public string Target { get; }
    }

    /// <summary>The qm, pvesm and pvesh commands the simulator implements, with their API schemas.</summary>
    internal static class CommandTable
    {
        private const string QemuApi = "PVE::API2::Qemu";
        private const string QmCli = "PVE::CLI::qm";
        private const string AgentApi = "PVE::API2::Qemu::Agent";

        public static readonly IReadOnlyDictionary<string, CommandTree> Programs = new Dictionary<string, CommandTree>(StringComparer.Ordinal)
        {
            ["qm"] = BuildQm(),
            ["pvesm"] = BuildPvesm(),
            ["pvesh"] = BuildPvesh(),
        };

        // ---- schema helpers ----

        private static Prop VmidProp(string name = "vmid", bool optional = false) =>
            new Prop(name, PropType.Integer) { Optional = optional, Format = Formats.Vmid, Minimum = 100, Maximum = 999999999 };

        private static Prop Snap(string name = "snapname", bool optional = false) =>
            new Prop(name) { Optional = optional, Format = Formats.ConfigId, MaxLength = 40 };

        private static Prop Bool(string name) => new Prop(name, PropType.Boolean);

        private static Prop Str(string name, bool optional = true) => new Prop(name) { Optional = optional };

        private static Prop Int(string name, double? min = null, double? max = null) => new Prop(name, PropType.Integer) { Minimum = min, Maximum = max };

        private static Prop StorageProp(string name = "storage", bool optional = true) => new Prop(name) { Optional = optional, Format = Formats.StorageId };

        private static Prop Enum(string name, params string[] values) => new Prop(name) { Enum = values };

        private static Prop Skiplock() => Bool("skiplock");

        /// <summary>The VM config options (json_config_properties) that qm set and qm create accept.</summary>
        private static IEnumerable<Prop> ConfigProps()
        {
            yield return Bool("acpi");
            yield return new Prop("agent") { Format = Formats.Agent.AsCheck() };
            yield return Enum("arch", "x86_64", "aarch64");
            yield return Str("args");
            yield return Bool("autostart");
            yield return Int("balloon", 0);
            yield return Enum("bios", "seabios", "ovmf");
            yield return new Prop("boot") { Format = Formats.Boot.AsCheck() };
            yield return new Prop("bootdisk") { Pattern = new Regex(@"^(ide|sata|scsi|virtio)\d+$") };
            yield return Str("cdrom");
            yield return new Prop("cicustom") { Format = Formats.CiCustom.AsCheck() };
            yield return Str("cipassword");
            yield return Enum("citype", "configdrive2", "nocloud", "opennebula");
            yield return Bool("ciupgrade");
            yield return Str("ciuser");
            yield return new Prop("cores", PropType.Integer) { Minimum = 1 };
            yield return Str("cpu");
            yield return new Prop("cpulimit", PropType.Number) { Minimum = 0, Maximum = 128 };
            yield return Int("cpuunits", 1, 262144);
            yield return new Prop("description") { MaxLength = 8192 };
            yield return new Prop("efidisk0") { Format = Formats.Drive };
            yield return Bool("freeze");
            yield return new Prop("hookscript") { Format = Formats.VolumeId };
            yield return Str("hotplug");
            yield return Enum("hugepages", "any", "2", "1024");
            for (var i = 0; i <= 3; i++) yield return new Prop("ide" + i) { Format = Formats.Drive };
            for (var i = 0; i <= 31; i++) yield return new Prop("ipconfig" + i) { Format = Formats.IpConfig.AsCheck() };
            yield return Str("keyboard");
            yield return Bool("kvm");
            yield return Bool("localtime");
            yield return Enum("lock", "backup", "clone", "create", "migrate", "rollback", "snapshot", "snapshot-delete", "suspending", "suspended");
            yield return Str("machine");
            yield return new Prop("memory") { Format = Formats.Memory.AsCheck() };
            yield return new Prop("name") { Format = Formats.DnsName };
            yield return new Prop("nameserver") { Format = Formats.Address, ListFormat = true };
            for (var i = 0; i <= 31; i++) yield return new Prop("net" + i) { Format = Formats.Net };
            yield return Bool("numa");
            yield return Bool("onboot");
            yield return Enum("ostype", "other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24", "l26", "solaris");
            yield return Bool("protection");
            yield return Bool("reboot");
            for (var i = 0; i <= 5; i++) yield return new Prop("sata" + i) { Format = Formats.Drive };
            for (var i = 0; i <= 30; i++) yield return new Prop("scsi" + i) { Format = Formats.Drive };
            yield return Enum("scsihw", "lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi");
            yield return Str("searchdomain");
            for (var i = 0; i <= 3; i++) yield return new Prop("serial" + i) { Pattern = new Regex(@"^(/dev/.+|socket)$") };
            yield return Str("smbios1");
            yield return new Prop("sockets", PropType.Integer) { Minimum = 1 };
            yield return new Prop("sshkeys") { Format = Formats.Urlencoded };
            yield return new Prop("startup") { Format = Formats.StartupOrder };
            yield return Bool("tablet");
            yield return new Prop("tags") { Format = Formats.Tag, ListFormat = true };
            yield return Bool("template");
            yield return new Prop("tpmstate0") { Format = Formats.Drive };
            yield return Int("vcpus", 1);
            yield return new Prop("vga") { Format = Formats.Vga.AsCheck() };
            for (var i = 0; i <= 15; i++) yield return new Prop("virtio" + i) { Format = Formats.Drive };
            yield return Str("vmgenid");
            yield return StorageProp("vmstatestorage");
            yield return Str("watchdog");
        }

        private static CommandDef Def(string prefix, string group, string kind, string[] args, IEnumerable<Prop> props,
            Func<NodeCommands, CommandContext, int> run) =>
            new CommandDef(prefix, group, kind, args, props, run);

        private static CommandTree BuildQm()
        {
            var set = Def("qm set", QemuApi, "set", new[] { "vmid" },
                new[] { VmidProp(), Str("delete"), Str("revert"), Bool("force"), new Prop("digest") { MaxLength = 40 }, Skiplock() }.Concat(ConfigProps()),
                (e, c) => e.QmSet(c));
            set.FileParams.Add("sshkeys");
            var create = Def("qm create", QemuApi, "create", new[] { "vmid" },
                new[] { VmidProp(), Str("archive"), Bool("force"), Str("pool"), Bool("start"), StorageProp(), Bool("unique"), Bool("live-restore") }
                    .Concat(ConfigProps()),
                (e, c) => e.QmCreate(c));
            create.FileParams.Add("sshkeys");

            var disk = new CommandTree()
                .Add("import", Def("qm disk import", QmCli, "importdisk", new[] { "vmid", "source", "storage" },
                    new[] { VmidProp(), Str("source", false), StorageProp(optional: false), Enum("format", "raw", "qcow2", "vmdk"),
                        new Prop("target-disk") { Enum = DriveSpec.AllDriveNames().ToArray() } },
                    (e, c) => e.QmImportDisk(c)))
                .Add("resize", Def("qm disk resize", QemuApi, "resize", new[] { "vmid", "disk", "size" },
                    new[] { VmidProp(), new Prop("disk") { Optional = false, Enum = DriveSpec.AllDriveNames().ToArray() },
                        new Prop("size") { Optional = false, Pattern = new Regex(@"^\+?\d+(\.\d+)?[KMGT]?$") },
                        new Prop("digest") { MaxLength = 40 }, Skiplock() },
                    (e, c) => e.QmResize(c)));

            var guest = new CommandTree()
                .Add("cmd", Def("qm guest cmd", AgentApi, "agent", new[] { "vmid", "command" },
                    new[] { VmidProp(), new Prop("command") { Optional = false, Enum = new[]
                    {
                        "fsfreeze-freeze", "fsfreeze-status", "fsfreeze-thaw", "fstrim", "get-fsinfo", "get-host-name", "get-memory-block-info",
                        "get-memory-blocks", "get-osinfo", "get-time", "get-timezone", "get-users", "get-vcpus", "info", "network-get-interfaces",
                        "ping", "shutdown", "suspend-disk", "suspend-hybrid", "suspend-ram",
                    } } },
                    (e, c) => e.QmGuestCmd(c)))
                .Add("exec", Def("qm guest exec", QmCli, "exec", new[] { "vmid", "extra-args" },
                    new[] { VmidProp(), Bool("synchronous"), Int("timeout", 0), Bool("pass-stdin"), new Prop("extra-args", PropType.Array) },
                    (e, c) => e.QmGuestExec(c)))
                .Add("exec-status", Def("qm guest exec-status", AgentApi, "exec-status", new[] { "vmid", "pid" },
                    new[] { VmidProp(), new Prop("pid", PropType.Integer) { Optional = false } },
                    (e, c) => e.QmGuestExecStatus(c)));

            var cloudinit = new CommandTree()
                .Add("dump", Def("qm cloudinit dump", QemuApi, "cloudinit-dump", new[] { "vmid", "type" },
                    new[] { VmidProp(), new Prop("type") { Optional = false, Enum = new[] { "user", "network", "meta" } } },
                    (e, c) => e.QmCloudInitDump(c)))
                .Add("pending", Def("qm cloudinit pending", QemuApi, "cloudinit-pending", new[] { "vmid" }, new[] { VmidProp() },
                    (e, c) => e.QmPending(c)))
                .Add("update", Def("qm cloudinit update", QemuApi, "cloudinit-update", new[] { "vmid" }, new[] { VmidProp() },
                    (e, c) => e.QmCloudInitUpdate(c)));

            return new CommandTree()
                .Add("list", Def("qm list", QemuApi, "list", new string[0], new[] { Bool("full") }, (e, c) => e.QmList(c)))
                .Add("create", create)
                .Add("destroy", Def("qm destroy", QemuApi, "destroy", new[] { "vmid" },
                    new[] { VmidProp(), Bool("purge"), Bool("destroy-unreferenced-disks"), Skiplock() }, (e, c) => e.QmDestroy(c)))
                .Add("clone", Def("qm clone", QemuApi, "clone", new[] { "vmid", "newid" },
                    new[]
                    {
                        VmidProp(), VmidProp("newid"), Int("bwlimit", 0), new Prop("description"), Enum("format", "raw", "qcow2", "vmdk"), Bool("full"),
                        new Prop("name") { Format = Formats.DnsName }, Str("pool"), Snap(optional: true), StorageProp(),
                        new Prop("target") { Format = Formats.NodeName },
                    },
                    (e, c) => e.QmClone(c)))
                .Add("set", set)
                .Add("config", Def("qm config", QemuApi, "config", new[] { "vmid" },
                    new[] { VmidProp(), Bool("current"), Snap("snapshot", true) }, (e, c) => e.QmConfig(c)))
                .Add("pending", Def("qm pending", QemuApi, "pending", new[] { "vmid" }, new[] { VmidProp() }, (e, c) => e.QmPending(c)))
                .Add("status", Def("qm status", QmCli, "status", new[] { "vmid" }, new[] { VmidProp(), Bool("verbose") }, (e, c) => e.QmStatus(c)))
                .Add("snapshot", Def("qm snapshot", QemuApi, "snapshot", new[] { "vmid", "snapname" },
                    new[] { VmidProp(), Snap(), new Prop("description"), Bool("vmstate") }, (e, c) => e.QmSnapshot(c)))
                .Add("delsnapshot", Def("qm delsnapshot", QemuApi, "delsnapshot", new[] { "vmid", "snapname" },
                    new[] { VmidProp(), Snap(), Bool("force") }, (e, c) => e.QmDelSnapshot(c)))
                .Add("listsnapshot", Def("qm listsnapshot", QemuApi, "listsnapshot", new[] { "vmid" }, new[] { VmidProp() }, (e, c) => e.QmListSnapshot(c)))
                .Add("rollback", Def("qm rollback", QemuApi, "rollback", new[] { "vmid", "snapname" },
                    new[] { VmidProp(), Snap(), Bool("start") }, (e, c) => e.QmRollback(c)))
                .Add("template", Def("qm template", QemuApi, "template", new[] { "vmid" },
                    new[] { VmidProp(), new Prop("disk") { Enum = DriveSpec.AllDriveNames().ToArray() } }, (e, c) => e.QmTemplate(c)))
                .Add("start", Def("qm start", QemuApi, "start", new[] { "vmid" },
                    new[] { VmidProp(), Skiplock(), Int("timeout", 0), Str("machine"), Str("migratedfrom"), Str("stateuri"), Str("targetstorage") },
                    (e, c) => e.QmStart(c)))
                .Add("stop", Def("qm stop", QemuApi, "stop", new[] { "vmid" },
                    new[] { VmidProp(), Skiplock(), Int("timeout", 0), Bool("keepActive"), Bool("overrule-shutdown"), Str("migratedfrom") },
                    (e, c) => e.QmStop(c)))
                .Add("shutdown", Def("qm shutdown", QemuApi, "shutdown", new[] { "vmid" },
                    new[] { VmidProp(), Skiplock(), Int("timeout", 0), Bool("forceStop"), Bool("keepActive") }, (e, c) => e.QmShutdown(c)))
                .Add("unlock", Def("qm unlock", QmCli, "unlock", new[] { "vmid" }, new[] { VmidProp() }, (e, c) => e.QmUnlock(c)))
                .Add("migrate", Def("qm migrate", QemuApi, "migrate", new[] { "vmid", "target" },
                    new[]
                    {
                        VmidProp(), new Prop("target") { Optional = false, Format = Formats.NodeName }, Bool("online"), Bool("force"),
                        Enum("migration_type", "secure", "insecure"), Str("migration_network"), Bool("with-local-disks"),
                        StorageProp("targetstorage"), Int("bwlimit", 0), Bool("with-conntrack-state"),
                    },
                    (e, c) => e.QmMigrate(c)))
                .Add("importdisk", new CommandAlias("disk import"))
                .Add("resize", new CommandAlias("disk resize"))
                .Add("agent", new CommandAlias("guest cmd"))
                .Add("disk", disk)
                .Add("guest", guest)
                .Add("cloudinit", cloudinit);
        }

        private static CommandTree BuildPvesm() => new CommandTree()
            .Add("status", Def("pvesm status", "PVE::API2::Storage::Status", "pvesm-status", new string[0],
                new[] { Str("content"), Bool("enabled"), Str("format"), StorageProp(), new Prop("target") { Format = Formats.NodeName } },
                (e, c) => e.PvesmStatus(c)))
            .Add("path", Def("pvesm path", "PVE::CLI::pvesm", "pvesm-path", new[] { "volume" },
                new[] { new Prop("volume") { Optional = false, Format = Formats.VolumeId } }, (e, c) => e.PvesmPath(c)));

        private static CommandTree BuildPvesh()
        {
            var get = Def("pvesh get", "PVE::CLI::pvesh", "pvesh", new[] { "api_path" },
                new[]
                {
                    Str("api_path", false), Enum("output-format", "text", "json", "json-pretty", "yaml"), Bool("noborder"), Bool("noheader"),
                    Bool("human-readable"), Enum("type", "vm", "storage", "node", "sdn"), VmidProp("vmid", true),
                },
                (e, c) => e.PveshGet(c));
            get.FormatOptions = true;
            return new CommandTree().Add("get", get);
        }

        /// <summary>CLIHandler's short usage listing of a tree (print_usage_short).</summary>
        public static string UsageListing(CommandTree tree, string prefix, string indent, string separator)
        {
            var sb = new StringBuilder();
            string? oldGroup = null;
            foreach (var kv in Sorted(tree))
            {
                switch (kv.Value)
                {
                    case CommandDef def:
                        if (oldGroup != null && oldGroup != def.Group) sb.Append(separator);
                        sb.Append(indent).Append(def.Usage());
                        oldGroup = def.Group;
                        break;
                    case CommandTree sub:
                        var s = UsageListing(sub, prefix + " " + kv.Key, indent, "");
                        if (s.Length > 0)
                        {
                            if (separator.Length > 0 && s.IndexOf(separator + separator, StringComparison.Ordinal) < 0) s += separator;
                            sb.Append(s);
                        }
                        break;
                }
            }
            return sb.ToString();
        }

        private static IEnumerable<KeyValuePair<string, object>> Sorted(CommandTree tree)
        {
            var list = tree.Entries.Where(e => !(e.Value is CommandAlias)).ToList();
            list.Sort((a, b) =>
            {
                var aDef = a.Value as CommandDef;
                var bDef = b.Value as CommandDef;
                if (aDef != null && bDef != null)
                {
                    var g = string.CompareOrdinal(aDef.Group, bDef.Group);
                    return g != 0 ? g : string.CompareOrdinal(a.Key, b.Key);
                }
                if ((aDef != null) != (bDef != null)) return bDef != null ? -1 : 1;
                return string.CompareOrdinal(a.Key, b.Key);
            });
            return list;
        }
    }
}
