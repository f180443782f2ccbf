using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Newtonsoft.Json.Linq;
using Phoenix.Simulator.Model;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator
{
    /// <summary>One member of a Proxmox VE cluster, as corosync.conf names it.</summary>
    public sealed class SimClusterMember
    {
        internal SimClusterMember(string name, int nodeId, string address)
        {
            Name = name;
            NodeId = nodeId;
            Address = address;
        }

        /// <summary>The node's name.</summary>
        public string Name { get; }

        /// <summary>Its corosync node id (1, 2, ...; 0 for a node that is in no cluster).</summary>
        public int NodeId { get; }

        /// <summary>Its address (corosync's ring0_addr; the node's own address when alone).</summary>
        public string Address { get; }
    }

    /// <summary>
    /// The state every node of a simulated Proxmox VE cluster shares, and the nodes on it. A node that is
    /// in no cluster (the default) is a cluster of one without corosync: its files keep their plain paths,
    /// and <c>/cluster/status</c> reports it as Proxmox reports a lone node. A cluster (several nodes, or
    /// <see cref="SimulatorOptions.ClusterNodes"/> given) has <c>/etc/pve/corosync.conf</c> listing its
    /// members, one <c>/etc/pve</c> for all, and each node's own files in its <see cref="NodeStore"/> view.
    /// </summary>
    public sealed class SimCluster
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);
        internal const string CorosyncPath = "/etc/pve/corosync.conf";
        internal const string SettingsPath = "/var/lib/phoenix-sim/node.json";

        private readonly object _gate = new object();
        private readonly Dictionary<string, SimNode> _nodes = new Dictionary<string, SimNode>(StringComparer.Ordinal);
        private readonly ISimulatorClock _clock;
        private readonly int? _randomSeed;

        private SimCluster(IStateStore root, string? name, int version, IReadOnlyList<SimClusterMember> members, ISimulatorClock clock, int? randomSeed)
        {
            Root = root;
            Name = name;
            Version = version;
            Members = members;
            _clock = clock;
            _randomSeed = randomSeed;
        }

        /// <summary>The shared state (for a lone node, simply its files).</summary>
        public IStateStore Root { get; }

        /// <summary>The cluster's name, or null for a node that is in no cluster.</summary>
        public string? Name { get; }

        /// <summary>True when the nodes form a corosync cluster (false for a lone node).</summary>
        public bool IsCluster => Name != null;

        /// <summary>corosync's config_version.</summary>
        public int Version { get; }

        /// <summary>The members in corosync.conf order (the lone node when not a cluster).</summary>
        public IReadOnlyList<SimClusterMember> Members { get; }

        /// <summary>The members' names.</summary>
        public IReadOnlyList<string> NodeNames => Members.Select(m => m.Name).ToList();

        /// <summary>The member of this name, or null.</summary>
        public SimClusterMember? Member(string name) => Members.FirstOrDefault(m => m.Name == name);

        /// <summary>A member node (one object per node and cluster).</summary>
        public SimNode Node(string name)
        {
            lock (_gate)
            {
                if (_nodes.TryGetValue(name, out var node)) return node;
                var index = Members.Select((m, i) => (m, i)).FirstOrDefault(x => x.m.Name == name);
                if (index.m == null) throw new ArgumentException($"'{name}' is not a node of this cluster.", nameof(name));
                var store = IsCluster ? new NodeStore(Root, name, SharedStoragePaths) : Root;
                var settings = ReadSettings(store) ?? new NodeSettings { NodeName = name };
                node = new SimNode(this, name, store, _clock, settings, _randomSeed.HasValue ? _randomSeed + index.i : null);
                _nodes[name] = node;
                return node;
            }
        }

        /// <summary>Where a guest lives: its node and type (qemu or lxc), from the configs in /etc/pve/nodes.</summary>
        internal (string Node, string Type)? FindGuest(int vmid)
        {
            foreach (var g in Guests()) if (g.VmId == vmid) return (g.Node, g.Type);
            return null;
        }

        /// <summary>Every VM and container of the cluster (pmxcfs's vmlist).</summary>
        internal IReadOnlyList<(int VmId, string Node, string Type)> Guests()
        {
            var res = new List<(int, string, string)>();
            foreach (var f in Root.ListFiles("/etc/pve/nodes"))
            {
                var m = Regex.Match(f, @"^/etc/pve/nodes/([^/]+)/(qemu-server|lxc)/(\d+)\.conf$");
                if (!m.Success) continue;
                res.Add((int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[1].Value, m.Groups[2].Value == "lxc" ? "lxc" : "qemu"));
            }
            return res;
        }

        private IReadOnlyList<string> SharedStoragePaths()
        {
            var raw = Root.ReadFile("/etc/pve/storage.cfg");
            if (raw == null) return Array.Empty<string>();
            return StorageConfig.Parse(Utf8.GetString(raw)).Storages.Where(s => s.Shared && s.IsFileBased && s.Path.Length > 0)
                .Select(s => s.Path).ToList();
        }

        // ---- opening and seeding ----

        /// <summary>Opens the cluster kept in a store, seeding it as the options say when the store is new.</summary>
        internal static SimCluster Open(IStateStore root, SimulatorOptions options)
        {
            var existing = TryRead(root, options);
            if (existing != null) return existing;
            using (SeedLock(root))
            {
                existing = TryRead(root, options);
                if (existing != null) return existing;
                if (options.ClusterNodes.Count > 0) SeedCluster(root, options);
                else SeedLoneNode(root, options);
                return TryRead(root, options)!;
            }
        }

        /// <summary>The node a simulator opened on this cluster answers as: the one asked for, else the first.</summary>
        internal string LocalNodeName(string wanted) => Member(wanted) != null ? wanted : Members[0].Name;

        private static SimCluster? TryRead(IStateStore root, SimulatorOptions options)
        {
            var corosync = root.ReadFile(CorosyncPath);
            if (corosync != null)
            {
                var text = Utf8.GetString(corosync);
                var members = new List<SimClusterMember>();
                foreach (Match m in Regex.Matches(text, @"node\s*\{([^}]*)\}"))
                {
                    var body = m.Groups[1].Value;
                    string Field(string key) => Regex.Match(body, @"(?m)^\s*" + key + @":\s*(\S+)\s*$").Groups[1].Value;
                    members.Add(new SimClusterMember(Field("name"), int.Parse(Field("nodeid"), CultureInfo.InvariantCulture), Field("ring0_addr")));
                }
                var name = Regex.Match(text, @"(?m)^\s*cluster_name:\s*(\S+)").Groups[1].Value;
                var version = int.Parse(Regex.Match(text, @"(?m)^\s*config_version:\s*(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
                return new SimCluster(root, name, version, members, options.Clock, options.RandomSeed);
            }
            var settings = ReadSettings(root);
            if (settings == null) return null;
            var alone = new[] { new SimClusterMember(settings.NodeName, 0, settings.NodeAddress) };
            return new SimCluster(root, null, 0, alone, options.Clock, options.RandomSeed);
        }

        /// <summary>
        /// Storage choice for a seeded node: `local` gets the installer's iso,vztmpl,backup plus
        /// snippets, because Phoenix's cicustom snippets live there and a Proxmox admin who uses them
        /// enables it (the installer default lacks it). No `images` on `local`: with local-lvm present the
        /// installer does not put VM disks on the directory storage. A cluster also gets `shared`, an NFS
        /// export every node mounts (shared storage is what lets `qm clone --target` work).
        /// </summary>
        private static string SeedStorageCfg(SimulatorOptions options, bool cluster)
        {
            var cfg = "dir: local\n\tpath " + options.LocalStoragePath + "\n\tcontent backup,iso,snippets,vztmpl\n\n" +
                "lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n";
            if (cluster)
            {
                cfg += "\nnfs: shared\n\texport /srv/pve\n\tpath " + options.SharedStoragePath + "\n\tserver 10.0.0.5\n" +
                    "\tcontent images,iso,rootdir,snippets\n";
            }
            cfg += string.Concat(options.ZfsStorages.Select(z => $"\nzfspool: {z}\n\tpool rpool/data\n\tcontent images,rootdir\n\tsparse 1\n"));
            // A storage enabled on some nodes only: its section ends with the nodes line.
            foreach (var kv in options.StorageNodes)
            {
                var header = System.Text.RegularExpressions.Regex.Match(cfg, @"(?m)^\w+: " + System.Text.RegularExpressions.Regex.Escape(kv.Key) + "\n(?:\t.*\n)*");
                if (!header.Success) throw new ArgumentException($"Storage '{kv.Key}' is not seeded, so it cannot be restricted to nodes.");
                cfg = cfg.Insert(header.Index + header.Length, $"\tnodes {kv.Value}\n");
            }
            return cfg;
        }

        private static void SeedLoneNode(IStateStore root, SimulatorOptions options)
        {
            root.WriteFile("/etc/pve/storage.cfg", Utf8.GetBytes(SeedStorageCfg(options, cluster: false)), 0x1A0);
            var address = options.NodeAddresses.TryGetValue(options.NodeName, out var a) ? a : DefaultAddress(0);
            var s = SeedNode(root, options, options.NodeName, address);
            if (!options.Empty) SeedGuests(root, root, options, s.NodeName);
            WriteSettings(root, s);
        }

        private static void SeedCluster(IStateStore root, SimulatorOptions options)
        {
            var names = options.ClusterNodes.ToList();
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new ArgumentException("Cluster node names must be unique.");
            var members = names
                .Select((n, i) => new SimClusterMember(n, i + 1, options.NodeAddresses.TryGetValue(n, out var a) ? a : DefaultAddress(i)))
                .ToList();
            root.WriteFile("/etc/pve/storage.cfg", Utf8.GetBytes(SeedStorageCfg(options, cluster: true)), 0x1A0);
            if (root.HostPath(options.SharedStoragePath) is string shared)
            {
                foreach (var sub in new[] { "snippets", "template/iso", "images" }) Directory.CreateDirectory(Path.Combine(shared, sub));
            }
            var settings = new List<(IStateStore Store, NodeSettings Settings)>();
            foreach (var m in members)
            {
                var view = new NodeStore(root, m.Name, () => new[] { options.SharedStoragePath });
                settings.Add((view, SeedNode(view, options, m.Name, m.Address)));
            }
            if (!options.Empty) SeedGuests(root, settings[0].Store, options, members[0].Name);
            foreach (var (store, s) in settings) WriteSettings(store, s);
            // Last: a process that finds corosync.conf takes the cluster as complete.
            root.WriteFile(CorosyncPath, Utf8.GetBytes(CorosyncConf(options.ClusterName, members)), 0x1A0);
        }

        /// <summary>corosync.conf as `pvecm create` and `pvecm add` leave it (config_version counts the joins).</summary>
        private static string CorosyncConf(string clusterName, IReadOnlyList<SimClusterMember> members)
        {
            var sb = new StringBuilder("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n");
            foreach (var m in members)
            {
                sb.Append("  node {\n    name: ").Append(m.Name).Append("\n    nodeid: ").Append(m.NodeId.ToString(CultureInfo.InvariantCulture))
                  .Append("\n    quorum_votes: 1\n    ring0_addr: ").Append(m.Address).Append("\n  }\n");
            }
            sb.Append("}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: ").Append(clusterName)
              .Append("\n  config_version: ").Append(members.Count.ToString(CultureInfo.InvariantCulture))
              .Append("\n  interface {\n    linknumber: 0\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n");
            return sb.ToString();
        }

        /// <summary>The i-th node's address when none is given: 10.0.0.11, 10.0.0.12, ...</summary>
        private static string DefaultAddress(int index) => "10.0.0." + (11 + index).ToString(CultureInfo.InvariantCulture);

        /// <summary>A node's own files: host name, time zone, resolver, and its storage folders in a state folder.</summary>
        private static NodeSettings SeedNode(IStateStore store, SimulatorOptions options, string name, string address)
        {
            var s = new NodeSettings
            {
                NodeName = name,
                NodeAddress = address,
                TimeZone = options.TimeZone,
                AgentStartupDelay = options.AgentStartupDelay,
                ConfigLockTimeout = options.ConfigLockTimeout,
                CloneLockTimeout = options.CloneLockTimeout,
                GuestExecPollInterval = options.GuestExecPollInterval,
                Nameservers = options.HostNameservers.ToList(),
                SearchDomain = options.HostSearchDomain,
            };
            store.WriteFile("/etc/hostname", Utf8.GetBytes(name + "\n"));
            store.WriteFile("/etc/timezone", Utf8.GetBytes(s.TimeZone + "\n"));
            var resolv = $"search {s.SearchDomain}\n" + string.Concat(s.Nameservers.Select(n => $"nameserver {n}\n"));
            store.WriteFile("/etc/resolv.conf", Utf8.GetBytes(resolv));
            var local = StorageDef.ExpandNode(options.LocalStoragePath, name);
            if (store.HostPath(local + "/snippets") is string snippets)
            {
                Directory.CreateDirectory(snippets);
                Directory.CreateDirectory(store.HostPath(local + "/template/iso")!);
                Directory.CreateDirectory(store.HostPath($"/etc/pve/nodes/{name}/qemu-server")!);
            }
            return s;
        }

        /// <summary>Template 9000 on local-lvm and the containers of the options, on the given node.</summary>
        private static void SeedGuests(IStateStore root, IStateStore node, SimulatorOptions options, string nodeName)
        {
            var ctime = options.Clock.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var template =
                "agent: 1\n" +
                "boot: order=scsi0\n" +
                "cores: 2\n" +
                "ide2: local-lvm:vm-9000-cloudinit,media=cdrom\n" +
                "memory: 2048\n" +
                $"meta: creation-qemu=9.2.0,ctime={ctime}\n" +
                "name: ubuntu-2404-cloud-template\n" +
                "net0: virtio=BC:24:11:5E:7A:01,bridge=vmbr0\n" +
                "ostype: l26\n" +
                "scsi0: local-lvm:base-9000-disk-0,size=32G\n" +
                "scsihw: virtio-scsi-pci\n" +
                "serial0: socket\n" +
                "smbios1: uuid=6f1d3c52-8a4e-4b7f-9c21-5e0a7d3b9f14\n" +
                "template: 1\n" +
                "vga: serial0\n" +
                "vmgenid: 2b9e4f70-1c3d-4a8b-b6e5-0f7a9d2c4e81\n";
            root.WriteFile($"/etc/pve/nodes/{nodeName}/qemu-server/9000.conf", Utf8.GetBytes(template), 0x1A0);
            var volumes = new JObject
            {
                ["base-9000-disk-0"] = new JObject { ["size"] = 32L * 1024 * 1024 * 1024, ["format"] = "raw" },
                ["vm-9000-cloudinit"] = new JObject { ["size"] = 4L * 1024 * 1024, ["format"] = "raw" },
            };
            node.WriteFile(SimNode.RegistryPath("local-lvm", shared: false), Utf8.GetBytes(volumes.ToString(Newtonsoft.Json.Formatting.Indented) + "\n"));
            var iso = StorageDef.ExpandNode(options.LocalStoragePath, nodeName) + "/template/iso/";
            foreach (var vm in options.CdromVms)
            {
                var conf = $"boot: order=ide2\nide2: local:iso/{vm.Value}.iso,media=cdrom,size=4M\nmemory: 512\nname: {vm.Value}\n" +
                    $"net0: virtio=BC:24:11:00:{vm.Key % 256:X2}:03,bridge=vmbr0\nostype: l26\n";
                root.WriteFile($"/etc/pve/nodes/{nodeName}/qemu-server/{vm.Key}.conf", Utf8.GetBytes(conf), 0x1A0);
                if (node.HostPath(iso + vm.Value + ".iso") is string file) File.WriteAllBytes(file, new byte[4 * 1024 * 1024]);
                else node.WriteFile(iso + vm.Value + ".iso", new byte[4 * 1024 * 1024]);
            }
            foreach (var ct in options.Containers)
            {
                var conf = $"arch: amd64\ncores: 1\nhostname: {ct.Name}\nmemory: 512\n"
                    + $"net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:{ct.VmId % 256:X2}:02,ip=dhcp,type=veth\n"
                    + $"ostype: debian\nrootfs: local-lvm:vm-{ct.VmId}-disk-0,size=8G\nswap: 512\nunprivileged: 1\n";
                root.WriteFile($"/etc/pve/nodes/{nodeName}/lxc/{ct.VmId}.conf", Utf8.GetBytes(conf), 0x1A0);
                if (ct.Running) node.WriteFile($"/var/run/lxc/{ct.VmId}.running", Utf8.GetBytes("1\n"));
            }
        }

        private static NodeSettings? ReadSettings(IStateStore store)
        {
            var raw = store.ReadFile(SettingsPath);
            return raw == null ? null : NodeSettings.FromJson(JObject.Parse(Utf8.GetString(raw)));
        }

        private static void WriteSettings(IStateStore store, NodeSettings s) =>
            store.WriteFile(SettingsPath, Utf8.GetBytes(s.ToJson().ToString(Newtonsoft.Json.Formatting.Indented) + "\n"));

        private static IDisposable SeedLock(IStateStore store)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var h = store.TryLock("/var/lock/phoenix-sim/seed.lock", shared: false);
                if (h != null) return h;
                if (DateTime.UtcNow > deadline) throw new IOException("The simulator's state folder stays locked (seed.lock).");
                Thread.Sleep(5);
            }
        }
    }
}
