using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    /// <summary>
    /// The cluster as one node sees it: membership and quorum (pmxcfs and corosync), the cluster-wide
    /// API paths (/cluster/status, /cluster/resources, /cluster/nextid, /nodes), calls for other nodes,
    /// and the cluster filesystem turning read-only without quorum.
    /// </summary>
    internal sealed partial class NodeCommands
    {
        private SimCluster Cluster => Node.Cluster;

        /// <summary>A member is online unless the fault plan has it down.</summary>
        internal bool IsOnline(string node) => Faults == null || !Faults.NodesDown.Contains(node);

        /// <summary>corosync votequorum with one vote a node: quorate while more than half of the members are up.</summary>
        internal bool Quorate => !Cluster.IsCluster || Cluster.Members.Count(m => IsOnline(m.Name)) * 2 > Cluster.Members.Count;

        /// <summary>PVE::Cluster::check_cfs_quorum, which create, start, clone and migrate call before anything else.</summary>
        internal void CheckQuorum()
        {
            if (!Quorate) throw new PveDie("cluster not ready - no quorum?");
        }

        /// <summary>
        /// Without quorum pmxcfs refuses writes with EACCES: file_set_contents (pve-common File.pm 49-60) cannot
        /// create its temporary file `&lt;file&gt;.tmp.&lt;pid&gt;`.
        /// </summary>
        private void CheckConfigWritable(int vmid, SimNode? owner = null)
        {
            if (Quorate) return;
            var pid = Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture);
            throw new PveDie($"unable to open file '/etc/pve/{(owner ?? Node).CfsPath(vmid)}.tmp.{pid}' - Permission denied");
        }

        /// <summary>write_config, through the cluster filesystem.</summary>
        private void WriteConfig(int vmid, SimVmConfig conf)
        {
            CheckConfigWritable(vmid);
            Node.WriteConfig(vmid, conf);
        }

        private void WriteRawConfig(int vmid, string text)
        {
            CheckConfigWritable(vmid);
            Node.WriteRawConfig(vmid, text);
        }

        /// <summary>Removing a config (destroy_config: `failed to remove config file: ...` when pmxcfs refuses).</summary>
        private void DeleteConfig(int vmid)
        {
            if (!Quorate) throw new PveDie("failed to remove config file: Permission denied");
            Node.DeleteConfig(vmid);
        }

        /// <summary>
        /// The commands of another member, for a call pvesh proxies there (PVE::CLI::pvesh proxy_handler: ssh to
        /// the node). An unknown name fails the host lookup; a node that is down fails the SSH connection.
        /// </summary>
        private NodeCommands ProxyTo(string name)
        {
            var member = Cluster.Member(name);
            if (member == null)
                throw new PveDie($"hostname lookup '{name}' failed - failed to get address info for: {name}: Name or service not known");
            // run_command with errmsg "proxy handler failed" and ssh's last line; ssh's own text is [UNVERIFIED].
            if (!IsOnline(name)) throw new PveDie($"proxy handler failed: ssh: connect to host {member.Address} port 22: No route to host");
            return new NodeCommands(Cluster.Node(name), Runner, Faults, Kind);
        }

        /// <summary>
        /// GET /cluster/status (PM/API2/Cluster.pm get_status 942-1009): a cluster entry, then one entry per
        /// member (in name order; Perl's hash order is random); a lone node gets the single entry Proxmox fakes
        /// for it (nodeid 0, local 1, online 1).
        /// </summary>
        private List<object?> ClusterStatus()
        {
            var res = new List<object?>();
            if (!Cluster.IsCluster)
            {
                res.Add(NodeStatusEntry(Cluster.Members[0]));
                return res;
            }
            var cluster = PerlJson.Obj();
            cluster["id"] = "cluster";
            cluster["name"] = Cluster.Name;
            cluster["nodes"] = Cluster.Members.Count;
            cluster["quorate"] = Quorate ? 1 : 0;
            cluster["type"] = "cluster";
            cluster["version"] = Cluster.Version;
            res.Add(cluster);
            foreach (var m in Cluster.Members.OrderBy(x => x.Name, StringComparer.Ordinal)) res.Add(NodeStatusEntry(m));
            return res;
        }

        private SortedDictionary<string, object?> NodeStatusEntry(SimClusterMember m)
        {
            var o = PerlJson.Obj();
            o["id"] = "node/" + m.Name;
            o["ip"] = m.Address;
            o["level"] = "";
            o["local"] = m.Name == Node.Name ? 1 : 0;
            o["name"] = m.Name;
            o["nodeid"] = m.NodeId;
            o["online"] = IsOnline(m.Name) ? 1 : 0;
            o["type"] = "node";
            return o;
        }

        /// <summary>GET /nodes: every member, online or offline.</summary>
        private List<object?> NodeList() => Cluster.Members.Select(m =>
        {
            var o = PerlJson.Obj();
            o["id"] = "node/" + m.Name;
            o["node"] = m.Name;
            o["status"] = IsOnline(m.Name) ? "online" : "offline";
            o["type"] = "node";
            return (object?)o;
        }).ToList();

        /// <summary>
        /// GET /cluster/nextid (PM/API2/Cluster.pm 1013-1054): the lowest ID that no VM or container of the
        /// cluster uses, or the given one when it is free.
        /// </summary>
        private string NextId(CommandContext c)
        {
            var used = new HashSet<int>(Cluster.Guests().Select(g => g.VmId).Concat(Faults?.Containers.Select(x => x.VmId) ?? Enumerable.Empty<int>()));
            if (c.Get("vmid") is string want)
            {
                var id = int.Parse(want, CultureInfo.InvariantCulture);
                if (used.Contains(id)) throw new ParamException("vmid", $"VM {id} already exists");
                return want;
            }
            for (var id = 100; id < 1000000; id++)
            {
                if (!used.Contains(id)) return id.ToString(CultureInfo.InvariantCulture);
            }
            throw new PveDie("unable to get any free VMID in range [100, 1000000]");
        }

        /// <summary>
        /// GET /cluster/resources (PM/API2/Cluster.pm 263-640): guests (in the string order of their IDs), then
        /// nodes, then one storage entry per node the storage is enabled on. What a node reports comes from its
        /// stats; a node that is down has none, so its guests show only their ID, node, type, lock and tags with
        /// status "unknown", the node itself "offline", its storages "unknown". (Proxmox keeps a down node's last
        /// stats for up to 5 minutes, pmxcfs status.c rrd expiry; the simulator drops them at once.)
        /// </summary>
        private List<object?> Resources(string? type)
        {
            var list = new List<object?>();
            if (type == null || type == "vm")
            {
                var guests = Cluster.Guests().ToDictionary(g => g.VmId);
                foreach (var ct in Faults?.Containers ?? new List<Faults.SimulatedContainer>()) guests[ct.VmId] = (ct.VmId, Node.Name, "fault-lxc");
                foreach (var g in guests.Values.OrderBy(g => g.VmId.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal))
                {
                    var entry = GuestResource(g.VmId, g.Node, g.Type);
                    if (entry != null) list.Add(entry);
                }
            }
            if (type == null || type == "node")
            {
                foreach (var m in Cluster.Members) list.Add(NodeResource(m.Name));
            }
            if (type == null || type == "storage")
            {
                foreach (var st in Node.LoadStorage().Storages)
                {
                    foreach (var m in Cluster.Members)
                    {
                        if (!st.EnabledOn(m.Name)) continue;
                        list.Add(StorageResource(st, m.Name));
                    }
                }
            }
            return list;
        }

        private SortedDictionary<string, object?>? GuestResource(int vmid, string nodeName, string type)
        {
            var owner = Cluster.Node(nodeName);
            var o = PerlJson.Obj();
            var id = vmid.ToString(CultureInfo.InvariantCulture);
            o["id"] = (type == "qemu" ? "qemu/" : "lxc/") + id;
            o["node"] = nodeName;
            o["status"] = "unknown";
            o["type"] = type == "qemu" ? "qemu" : "lxc";
            o["vmid"] = vmid;
            if (type == "fault-lxc")
            {
                var ct = Faults!.Containers.First(x => x.VmId == vmid);
                AddContainerStats(o, ct.Name, ct.Running);
                return o;
            }
            ConfigSection? main;
            if (type == "qemu")
            {
                var conf = owner.TryLoadConfig(vmid);
                if (conf == null) return null;
                main = conf.Main;
            }
            else
            {
                var raw = owner.Store.ReadFile(owner.LxcConfigPath(vmid));
                main = raw == null ? null : SimVmConfig.Parse(Encoding.UTF8.GetString(raw)).Main;
                if (main == null) return null;
            }
            // lock and tags come from the config (get_guest_config_properties), with or without stats.
            if (main["lock"] is string l) o["lock"] = l;
            if (main["tags"] is string tags) o["tags"] = tags;
            if (!IsOnline(nodeName)) return o;
            if (type == "lxc")
            {
                AddContainerStats(o, main["hostname"] ?? "CT" + id, owner.Store.FileExists($"/var/run/lxc/{id}.running"));
                return o;
            }
            var rt = owner.GetRuntime(vmid);
            o["cpu"] = 0;
            o["disk"] = 0;
            o["diskread"] = 0;
            o["diskwrite"] = 0;
            o["maxcpu"] = (int.TryParse(main["cores"], out var co) ? co : 1) * (int.TryParse(main["sockets"], out var so) ? so : 1);
            o["maxdisk"] = BootDiskSize(main);
            o["maxmem"] = MemoryMiB(main) * 1024 * 1024;
            o["mem"] = rt == null ? 0 : MemoryMiB(main) * 1024 * 1024 / 3;
            o["name"] = main["name"] ?? "VM " + id;
            o["netin"] = 0;
            o["netout"] = 0;
            o["status"] = rt == null ? "stopped" : "running";
            o["template"] = main["template"] == "1" ? 1 : 0;
            o["uptime"] = rt == null ? 0 : Math.Max(0L, (Clock.UtcNow.ToUnixTimeMilliseconds() - rt.StartedUnixMs) / 1000);
            return o;
        }

        private static void AddContainerStats(SortedDictionary<string, object?> o, string name, bool running)
        {
            o["cpu"] = 0;
            o["disk"] = 0;
            o["diskread"] = 0;
            o["diskwrite"] = 0;
            o["maxcpu"] = 1;
            o["maxdisk"] = 8L * 1024 * 1024 * 1024;
            o["maxmem"] = 512L * 1024 * 1024;
            o["mem"] = running ? 64L * 1024 * 1024 : 0;
            o["name"] = name;
            o["netin"] = 0;
            o["netout"] = 0;
            o["status"] = running ? "running" : "stopped";
            o["template"] = 0;
            o["uptime"] = running ? 3600 : 0;
        }

        /// <summary>extract_node_stats (PM/API2Tools.pm 38-79): stats while online, "offline" when down.</summary>
        private SortedDictionary<string, object?> NodeResource(string name)
        {
            var o = PerlJson.Obj();
            o["id"] = "node/" + name;
            o["node"] = name;
            o["type"] = "node";
            if (!IsOnline(name))
            {
                o["status"] = "offline";
                return o;
            }
            o["cpu"] = 0.01;
            o["disk"] = DirBaseUsed;
            o["level"] = "";
            o["maxcpu"] = 8;
            o["maxdisk"] = DirTotal;
            o["maxmem"] = 33554432L * 1024;
            o["mem"] = 4194304L * 1024;
            o["status"] = "online";
            o["uptime"] = 86400;
            return o;
        }

        /// <summary>extract_storage_stats (PM/API2Tools.pm 121-150): figures from the node that has the storage.</summary>
        private SortedDictionary<string, object?> StorageResource(StorageDef st, string nodeName)
        {
            var o = PerlJson.Obj();
            o["content"] = string.Join(",", st.Content.OrderBy(x => x, StringComparer.Ordinal));
            o["id"] = $"storage/{nodeName}/{st.Id}";
            o["node"] = nodeName;
            o["plugintype"] = st.Type;
            o["shared"] = st.Shared ? 1 : 0;
            o["status"] = "unknown";
            o["storage"] = st.Id;
            o["type"] = "storage";
            if (!IsOnline(nodeName)) return o;
            var there = nodeName == Node.Name ? this : new NodeCommands(Cluster.Node(nodeName), Runner, Faults, Kind);
            var s = there.StorageStatuses().First(x => x.Storage == st.Id);
            o["disk"] = s.Used;
            o["maxdisk"] = s.Total;
            o["status"] = "available";
            return o;
        }
    }
}
