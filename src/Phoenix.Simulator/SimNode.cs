using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Newtonsoft.Json.Linq;
using Phoenix.Simulator.Guest;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator
{
    /// <summary>
    /// One simulated Proxmox VE node: its name and its view of the state (in a cluster, /etc/pve shared
    /// with the other members and its own files apart; see <see cref="NodeStore"/>).
    /// </summary>
    public sealed class SimNode
    {
        private readonly object _randomGate = new object();
        private readonly Random _random;

        internal SimNode(SimCluster cluster, string name, IStateStore store, ISimulatorClock clock, NodeSettings settings, int? randomSeed)
        {
            Cluster = cluster;
            Name = name;
            Store = store;
            Clock = clock;
            Settings = settings;
            _random = randomSeed.HasValue ? new Random(randomSeed.Value) : new Random();
        }

        /// <summary>The cluster the node is a member of (a lone node is a cluster of one).</summary>
        public SimCluster Cluster { get; }

        /// <summary>The node's name (<c>pve</c> unless set).</summary>
        public string Name { get; }

        /// <summary>The node's files, as the node sees them.</summary>
        public IStateStore Store { get; }

        /// <summary>The node's address (corosync's ring0_addr in a cluster).</summary>
        public string Address => Cluster.Member(Name)?.Address ?? Settings.NodeAddress;

        internal ISimulatorClock Clock { get; }

        internal NodeSettings Settings { get; }

        /// <summary>The VM IDs that have a config on this node, sorted.</summary>
        public IReadOnlyList<int> VmIds => ListGuests("qemu-server");

        /// <summary>The raw text of a VM's config file, or null.</summary>
        public string? ReadConfigText(int vmid) => Store.ReadFile(ConfigPath(vmid)) is byte[] b ? Encoding.UTF8.GetString(b) : null;

        /// <summary>True while the simulated QEMU process of the VM runs.</summary>
        public bool IsRunning(int vmid) => GetRuntime(vmid) != null;

        internal string ConfigPath(int vmid) => $"/etc/pve/nodes/{Name}/qemu-server/{vmid}.conf";

        internal string CfsPath(int vmid) => $"nodes/{Name}/qemu-server/{vmid}.conf";

        internal string LxcConfigPath(int vmid) => $"/etc/pve/nodes/{Name}/lxc/{vmid}.conf";

        internal static string LockPath(int vmid) => $"/var/lock/qemu-server/lock-{vmid}.conf";

        internal bool ConfigExists(int vmid) => Store.FileExists(ConfigPath(vmid));

        internal SimVmConfig? TryLoadConfig(int vmid) => ReadConfigText(vmid) is string s ? SimVmConfig.Parse(s) : null;

        /// <summary>load_config: the config or `Configuration file 'nodes/pve/qemu-server/N.conf' does not exist`.</summary>
        internal SimVmConfig LoadConfig(int vmid) => TryLoadConfig(vmid) ?? throw new PveDie($"Configuration file '{CfsPath(vmid)}' does not exist");

        internal void WriteConfig(int vmid, SimVmConfig conf) => Store.WriteFile(ConfigPath(vmid), Encoding.UTF8.GetBytes(conf.Write()), 0x1A0);

        internal void WriteRawConfig(int vmid, string text) => Store.WriteFile(ConfigPath(vmid), Encoding.UTF8.GetBytes(text), 0x1A0);

        internal void DeleteConfig(int vmid) => Store.DeleteFile(ConfigPath(vmid));

        internal IReadOnlyList<int> ListGuests(string kind)
        {
            var dir = $"/etc/pve/nodes/{Name}/{kind}";
            var res = new List<int>();
            foreach (var f in Store.ListFiles(dir))
            {
                var m = Regex.Match(f, @"/(\d+)\.conf$");
                if (m.Success && f.Substring(dir.Length + 1).IndexOf('/') < 0) res.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            res.Sort();
            return res;
        }

        /// <summary>storage.cfg, with `{node}` in a path read as this node's name (see <see cref="StorageDef.ExpandNode"/>).</summary>
        internal StorageConfig LoadStorage()
        {
            var cfg = StorageConfig.Parse(Store.ReadFile("/etc/pve/storage.cfg") is byte[] b ? Encoding.UTF8.GetString(b) : "");
            foreach (var st in cfg.Storages)
            {
                for (var i = 0; i < st.Properties.Count; i++)
                {
                    var p = st.Properties[i];
                    if (p.Key == "path") st.Properties[i] = new KeyValuePair<string, string>(p.Key, StorageDef.ExpandNode(p.Value, Name));
                }
            }
            return cfg;
        }

        // ---- locks ----

        /// <summary>
        /// lock_file_full: one try, then `trying to acquire lock...` and waiting (real time) up to the
        /// timeout, then ` OK` or `can't lock file '...' - got timeout`.
        /// </summary>
        internal IDisposable Lock(string lockPath, TimeSpan timeout, bool shared, StringBuilder progress, CancellationToken ct)
        {
            var handle = Store.TryLock(lockPath, shared);
            if (handle != null) return handle;
            progress.Append("trying to acquire lock...\n");
            var watch = Stopwatch.StartNew();
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                Thread.Sleep(10);
                handle = Store.TryLock(lockPath, shared);
                if (handle != null)
                {
                    progress.Append(" OK\n");
                    return handle;
                }
                if (watch.Elapsed >= timeout) throw new PveDie($"can't lock file '{lockPath}' - got timeout");
            }
        }

        internal IDisposable LockConfig(int vmid, StringBuilder progress, CancellationToken ct, TimeSpan? timeout = null, bool shared = false) =>
            Lock(LockPath(vmid), timeout ?? Settings.ConfigLockTimeout, shared, progress, ct);

        /// <summary>A short internal lock for the simulator's own bookkeeping files (the node's, or the cluster's).</summary>
        internal IDisposable InternalLock(string name, bool clusterWide = false)
        {
            var path = (clusterWide ? "/var/lib/phoenix-sim/cluster/locks/" : "/var/lock/phoenix-sim/") + name + ".lock";
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var h = Store.TryLock(path, shared: false);
                if (h != null) return h;
                if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new PveDie($"can't lock file '{path}' - got timeout");
                Thread.Sleep(2);
            }
        }

        // ---- runtime ----

        internal sealed class Runtime
        {
            public int Pid;
            public long StartedUnixMs;
            public string Status = "running";
        }

        private static string RuntimePath(int vmid) => $"/var/run/qemu-server/{vmid}.state";

        internal Runtime? GetRuntime(int vmid)
        {
            var raw = Store.ReadFile(RuntimePath(vmid));
            if (raw == null) return null;
            var o = JObject.Parse(Encoding.UTF8.GetString(raw));
            return new Runtime { Pid = o.Value<int>("pid"), StartedUnixMs = o.Value<long>("started"), Status = o.Value<string>("status") ?? "running" };
        }

        internal void SetRuntime(int vmid, Runtime rt)
        {
            var o = new JObject { ["pid"] = rt.Pid, ["started"] = rt.StartedUnixMs, ["status"] = rt.Status };
            Store.WriteFile(RuntimePath(vmid), Encoding.UTF8.GetBytes(o.ToString(Newtonsoft.Json.Formatting.None)));
            Store.WriteFile($"/var/run/qemu-server/{vmid}.pid", Encoding.ASCII.GetBytes(rt.Pid.ToString(CultureInfo.InvariantCulture) + "\n"));
        }

        internal void ClearRuntime(int vmid)
        {
            Store.DeleteFile(RuntimePath(vmid));
            Store.DeleteFile($"/var/run/qemu-server/{vmid}.pid");
        }

        internal int NextPid()
        {
            using (InternalLock("pids"))
            {
                var path = "/var/lib/phoenix-sim/last-pid";
                var last = Store.ReadFile(path) is byte[] b && int.TryParse(Encoding.ASCII.GetString(b).Trim(), out var p) ? p : 4000;
                var next = last + 1 + Random(0, 97);
                Store.WriteFile(path, Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture) + "\n"));
                return next;
            }
        }

        // ---- random identities ----

        internal int Random(int min, int max)
        {
            lock (_randomGate) return _random.Next(min, max);
        }

        /// <summary>random_ether_addr with the datacenter default prefix BC:24:11.</summary>
        internal string NewMac()
        {
            var bytes = new byte[3];
            lock (_randomGate) _random.NextBytes(bytes);
            return "BC:24:11:" + string.Join(":", bytes.Select(x => x.ToString("X2", CultureInfo.InvariantCulture)));
        }

        internal string NewUuid()
        {
            var bytes = new byte[16];
            lock (_randomGate) _random.NextBytes(bytes);
            bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
            var hex = string.Concat(bytes.Select(x => x.ToString("x2", CultureInfo.InvariantCulture)));
            return $"{hex.Substring(0, 8)}-{hex.Substring(8, 4)}-{hex.Substring(12, 4)}-{hex.Substring(16, 4)}-{hex.Substring(20, 12)}";
        }

        internal GuestContext Guest(int vmid) => new GuestContext(vmid, Name, Store, Clock);

        // ---- volumes ----

        internal sealed class VolumeRecord
        {
            public long Size;
            public string Format = "raw";
            public string? Parent;
            public List<string> Snapshots = new List<string>();
        }

        /// <summary>
        /// The simulator's list of a storage's volumes: the node's own for a local storage (each node's local-lvm is
        /// its own volume group), one for the whole cluster for a shared one.
        /// </summary>
        internal static string RegistryPath(string storage, bool shared) =>
            (shared ? "/var/lib/phoenix-sim/cluster/volumes/" : "/var/lib/phoenix-sim/volumes/") + storage + ".json";

        private string RegistryPath(string storage) => RegistryPath(storage, LoadStorage().Find(storage)?.Shared == true);

        internal SortedDictionary<string, VolumeRecord> LoadVolumes(string storage)
        {
            var res = new SortedDictionary<string, VolumeRecord>(StringComparer.Ordinal);
            var raw = Store.ReadFile(RegistryPath(storage));
            if (raw == null) return res;
            var o = JObject.Parse(Encoding.UTF8.GetString(raw));
            foreach (var p in o.Properties())
            {
                var v = (JObject)p.Value;
                res[p.Name] = new VolumeRecord
                {
                    Size = v.Value<long>("size"),
                    Format = v.Value<string>("format") ?? "raw",
                    Parent = v.Value<string>("parent"),
                    Snapshots = (v["snapshots"] as JArray)?.Select(t => t.ToString()).ToList() ?? new List<string>(),
                };
            }
            return res;
        }

        private void SaveVolumes(string storage, SortedDictionary<string, VolumeRecord> vols)
        {
            var o = new JObject();
            foreach (var kv in vols)
            {
                var v = new JObject { ["size"] = kv.Value.Size, ["format"] = kv.Value.Format };
                if (kv.Value.Parent != null) v["parent"] = kv.Value.Parent;
                if (kv.Value.Snapshots.Count > 0) v["snapshots"] = new JArray(kv.Value.Snapshots.Cast<object>().ToArray());
                o[kv.Key] = v;
            }
            Store.WriteFile(RegistryPath(storage), Encoding.UTF8.GetBytes(o.ToString(Newtonsoft.Json.Formatting.Indented) + "\n"));
        }

        internal T WithVolumes<T>(string storage, Func<SortedDictionary<string, VolumeRecord>, T> change)
        {
            using (InternalLock("storage-" + storage, clusterWide: LoadStorage().Find(storage)?.Shared == true))
            {
                var vols = LoadVolumes(storage);
                var res = change(vols);
                SaveVolumes(storage, vols);
                return res;
            }
        }

        internal VolumeRecord? FindVolume(string volid)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return null;
            return LoadVolumes(sid).TryGetValue(volname, out var rec) ? rec : null;
        }

        /// <summary>vdisk_alloc plus the storage tool's output (lvcreate, qemu-img create).</summary>
        internal string AllocVolume(StorageDef storage, int vmid, string? fmt, string? name, long sizeBytes, StringBuilder output, string? parent = null)
        {
            fmt ??= storage.DefaultFormat;
            if (!storage.IsFileBased) fmt = "raw";
            var volname = WithVolumes(storage.Id, vols =>
            {
                string vn;
                if (name == null)
                {
                    for (var n = 0; ; n++)
                    {
                        var file = storage.IsFileBased ? $"vm-{vmid}-disk-{n}.{fmt}" : $"vm-{vmid}-disk-{n}";
                        var baseFile = storage.IsFileBased ? $"base-{vmid}-disk-{n}.{fmt}" : $"base-{vmid}-disk-{n}";
                        vn = storage.IsFileBased ? $"{vmid}/{file}" : file;
                        var bn = storage.IsFileBased ? $"{vmid}/{baseFile}" : baseFile;
                        if (!vols.Keys.Any(k => k == vn || k == bn || k.EndsWith("/" + file, StringComparison.Ordinal))) break;
                    }
                }
                else
                {
                    vn = storage.IsFileBased ? $"{vmid}/{name}" : name;
                    if (vols.ContainsKey(vn)) throw new PveDie($"volume '{storage.Id}:{vn}' already exists");
                }
                vols[vn] = new VolumeRecord { Size = sizeBytes, Format = fmt!, Parent = parent };
                return vn;
            });
            var info = StorageConfig.ParseVolname(storage, volname);
            if (storage.Type == "lvmthin" || storage.Type == "lvm")
                output.Append($"  Logical volume \"{info.Name}\" created.\n");
            else if (storage.IsFileBased)
            {
                var path = StorageConfig.VolumePath(storage, info);
                if (fmt == "qcow2")
                    output.Append($"Formatting '{path}', fmt=qcow2 cluster_size=65536 extended_l2=off preallocation=metadata compression_type=zlib")
                        .Append($" size={sizeBytes} lazy_refcounts=off refcount_bits=16\n");
                else
                    output.Append($"Formatting '{path}', fmt={fmt} size={sizeBytes}\n");
            }
            return storage.Id + ":" + volname;
        }

        /// <summary>vdisk_free, with lvremove's output for LVM.</summary>
        internal void FreeVolume(string volid, StringBuilder output)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return;
            var storage = LoadStorage().Find(sid);
            if (storage == null) return;
            var removed = WithVolumes(sid, vols =>
            {
                if (!vols.TryGetValue(volname, out var rec)) return null;
                vols.Remove(volname);
                return rec;
            });
            if (removed == null) return;
            if (storage.Type == "lvmthin" || storage.Type == "lvm")
            {
                var info = StorageConfig.ParseVolname(storage, volname);
                foreach (var snap in removed.Snapshots) output.Append($"  Logical volume \"snap_{info.Name}_{snap}\" successfully removed.\n");
                output.Append($"  Logical volume \"{info.Name}\" successfully removed.\n");
            }
        }

        /// <summary>True when some other volume of the storage is a linked clone of this base (qcow2 backing file, ZFS origin).</summary>
        internal bool VolumeIsBaseAndUsed(string volid)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return false;
            var storage = LoadStorage().Find(sid);
            // LVM-thin does not track linked clones: a thin snapshot survives its origin.
            if (storage == null || storage.Type == "lvmthin") return false;
            return LoadVolumes(sid).Values.Any(v => v.Parent == volname);
        }
    }

    /// <summary>Settings that every process sharing one state folder must agree on.</summary>
    internal sealed class NodeSettings
    {
        public string NodeName = "pve";
        public string NodeAddress = "10.0.0.11";
        public string TimeZone = "UTC";
        public TimeSpan AgentStartupDelay = TimeSpan.FromSeconds(2);
        public TimeSpan ConfigLockTimeout = TimeSpan.FromSeconds(10);
        public TimeSpan CloneLockTimeout = TimeSpan.FromSeconds(1);
        public TimeSpan GuestExecPollInterval = TimeSpan.FromMilliseconds(50);
        public List<string> Nameservers = new List<string> { "10.0.0.1" };
        public string SearchDomain = "localdomain";

        public JObject ToJson() => new JObject
        {
            ["nodeName"] = NodeName,
            ["nodeAddress"] = NodeAddress,
            ["timeZone"] = TimeZone,
            ["agentStartupDelayMs"] = (long)AgentStartupDelay.TotalMilliseconds,
            ["configLockTimeoutMs"] = (long)ConfigLockTimeout.TotalMilliseconds,
            ["cloneLockTimeoutMs"] = (long)CloneLockTimeout.TotalMilliseconds,
            ["guestExecPollMs"] = (long)GuestExecPollInterval.TotalMilliseconds,
            ["nameservers"] = new JArray(Nameservers.Cast<object>().ToArray()),
            ["searchDomain"] = SearchDomain,
        };

        public static NodeSettings FromJson(JObject o)
        {
            var s = new NodeSettings();
            s.NodeName = o.Value<string>("nodeName") ?? s.NodeName;
            s.NodeAddress = o.Value<string>("nodeAddress") ?? s.NodeAddress;
            s.TimeZone = o.Value<string>("timeZone") ?? s.TimeZone;
            if (o["agentStartupDelayMs"] != null) s.AgentStartupDelay = TimeSpan.FromMilliseconds(o.Value<long>("agentStartupDelayMs"));
            if (o["configLockTimeoutMs"] != null) s.ConfigLockTimeout = TimeSpan.FromMilliseconds(o.Value<long>("configLockTimeoutMs"));
            if (o["cloneLockTimeoutMs"] != null) s.CloneLockTimeout = TimeSpan.FromMilliseconds(o.Value<long>("cloneLockTimeoutMs"));
            if (o["guestExecPollMs"] != null) s.GuestExecPollInterval = TimeSpan.FromMilliseconds(o.Value<long>("guestExecPollMs"));
            if (o["nameservers"] is JArray ns) s.Nameservers = ns.Select(t => t.ToString()).ToList();
            s.SearchDomain = o.Value<string>("searchDomain") ?? s.SearchDomain;
            return s;
        }
    }
}
