using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        /// <summary>qm list (qm.pm 1336-1356).</summary>
        public int QmList(CommandContext c)
        {
            Delay(c);
            var rows = new List<string>();
            foreach (var vmid in Node.VmIds)
            {
                var conf = Node.TryLoadConfig(vmid);
                if (conf == null) continue;
                var rt = Node.GetRuntime(vmid);
                var name = conf["name"] ?? "VM " + vmid.ToString(CultureInfo.InvariantCulture);
                var status = rt != null ? "running" : "stopped";
                var mem = PveText.PerlNumber(MemoryMiB(conf.Main));
                var disk = BootDiskSize(conf.Main) / (1024d * 1024 * 1024);
                rows.Add(PadLeft(vmid.ToString(CultureInfo.InvariantCulture), 10) + " " + Pad(name, 20) + " " + Pad(status, 10) + " " + Pad(mem, 10) + " "
                    + PadLeft(PveText.F(disk, 2), 12) + " " + Pad((rt?.Pid ?? 0).ToString(CultureInfo.InvariantCulture), 10) + "\n");
            }
            if (rows.Count == 0) return 0;
            c.Out.Append(PadLeft("VMID", 10) + " " + Pad("NAME", 20) + " " + Pad("STATUS", 10) + " " + Pad("MEM(MB)", 10) + " ")
                .Append(PadLeft("BOOTDISK(GB)", 12) + " " + Pad("PID", 10) + "\n");
            foreach (var r in rows) c.Out.Append(r);
            return 0;
        }

        /// <summary>qm status (qm.pm 301-339).</summary>
        public int QmStatus(CommandContext c)
        {
            Delay(c);
            var vmid = Vmid(c);
            var conf = Node.LoadConfig(vmid);
            var rt = Node.GetRuntime(vmid);
            if (!c.Flag("verbose"))
            {
                c.Out.Append("status: ").Append(rt == null ? "stopped" : rt.Status).Append('\n');
                return 0;
            }
            foreach (var kv in VmStatus(vmid, conf, rt))
                c.Out.Append(kv.Key).Append(": ").Append(Convert.ToString(kv.Value, CultureInfo.InvariantCulture)).Append('\n');
            return 0;
        }

        /// <summary>The vmstatus fields the simulator can give (sorted, as print_recursive_hash prints them).</summary>
        internal SortedDictionary<string, object?> VmStatus(int vmid, SimVmConfig conf, SimNode.Runtime? rt)
        {
            var res = PerlJson.Obj();
            var cores = int.TryParse(conf["cores"], out var co) ? co : 1;
            var sockets = int.TryParse(conf["sockets"], out var so) ? so : 1;
            if (AgentEnabled(conf)) res["agent"] = 1;
            res["cpus"] = cores * sockets;
            res["disk"] = 0;
            res["diskread"] = 0;
            res["diskwrite"] = 0;
            res["maxdisk"] = BootDiskSize(conf.Main);
            res["maxmem"] = MemoryMiB(conf.Main) * 1024 * 1024;
            res["mem"] = rt == null ? 0 : MemoryMiB(conf.Main) * 1024 * 1024 / 3;
            res["name"] = conf["name"] ?? "VM " + vmid.ToString(CultureInfo.InvariantCulture);
            res["netin"] = 0;
            res["netout"] = 0;
            if (rt != null)
            {
                res["pid"] = rt.Pid;
                res["qmpstatus"] = rt.Status;
                res["running-machine"] = "pc-i440fx-9.2+pve1";
                res["running-qemu"] = "9.2.0";
            }
            res["status"] = rt == null ? "stopped" : "running";
            if (conf["tags"] is string tags) res["tags"] = tags;
            if (IsTemplate(conf)) res["template"] = 1;
            res["uptime"] = rt == null ? 0L : Math.Max(0L, (Clock.UtcNow.ToUnixTimeMilliseconds() - rt.StartedUnixMs) / 1000);
            res["vmid"] = vmid;
            return res;
        }

        /// <summary>qm config (qm.pm 1373-1389; Qemu.pm vm_config).</summary>
        public int QmConfig(CommandContext c)
        {
            if (c.Get("snapshot") != null && c.Flag("current"))
            {
                const string msg = "cannot use 'snapshot' parameter with 'current'";
                throw new ParamException(new Dictionary<string, string> { ["snapshot"] = msg, ["current"] = msg });
            }
            Delay(c);
            var vmid = Vmid(c);
            var conf = Node.LoadConfig(vmid);
            ConfigSection shown;
            if (c.Get("snapshot") is string snap)
            {
                if (!conf.Snapshots.TryGetValue(snap, out var s)) throw new PveDie($"snapshot '{snap}' does not exist");
                shown = s;
            }
            else
            {
                shown = c.Flag("current") ? conf.Main.Clone() : WithPending(conf);
            }
            var values = new SortedDictionary<string, string>(shown.Values, StringComparer.Ordinal);
            if (shown.Description != null) values["description"] = PveText.EncodeText(shown.Description);
            if (values.ContainsKey("cipassword")) values["cipassword"] = Secret;
            foreach (var kv in values) c.Out.Append(kv.Key).Append(": ").Append(kv.Value).Append('\n');
            return 0;
        }

        /// <summary>qm pending (format_pending).</summary>
        public int QmPending(CommandContext c)
        {
            var vmid = Vmid(c);
            var conf = Node.LoadConfig(vmid);
            var deletes = conf.PendingDeletes();
            var keys = new SortedSet<string>(conf.Main.Values.Keys, StringComparer.Ordinal);
            if (conf.Main.Description != null) keys.Add("description");
            if (conf.Pending != null)
            {
                foreach (var k in conf.Pending.Values.Keys) if (k != "delete") keys.Add(k);
                if (conf.Pending.Description != null) keys.Add("description");
            }
            foreach (var d in deletes.Keys) keys.Add(d);
            if (Kind == "cloudinit-pending")
                {
                    const string CloudInitKeys = @"^(ciuser|cipassword|citype|ciupgrade|sshkeys|nameserver|searchdomain|cicustom|ipconfig\d+)$";
                    keys.RemoveWhere(k => !System.Text.RegularExpressions.Regex.IsMatch(k, CloudInitKeys));
                }
            foreach (var k in keys)
            {
                string? v = k == "description" ? conf.Main.Description : conf.Main[k];
                string? p = conf.Pending == null ? null : k == "description" ? conf.Pending.Description : conf.Pending[k];
                if (k == "description")
                {
                    if (v != null) v = PveText.EncodeText(v);
                    if (p != null) p = PveText.EncodeText(p);
                }
                if (k == "cipassword" && v != null) v = Secret;
                if (v != null)
                {
                    if (deletes.ContainsKey(k)) c.Out.Append($"del {k}: {v}\n");
                    else if (p != null) c.Out.Append($"cur {k}: {v}\nnew {k}: {p}\n");
                    else c.Out.Append($"cur {k}: {v}\n");
                }
                else if (p != null) c.Out.Append($"new {k}: {p}\n");
            }
            return 0;
        }

        /// <summary>qm listsnapshot: GuestHelpers::print_snapshot_tree in the node's time zone.</summary>
        public int QmListSnapshot(CommandContext c)
        {
            Delay(c);
            var vmid = Vmid(c);
            var conf = Node.LoadConfig(vmid);
            var items = new Dictionary<string, SnapItem>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var kv in conf.Snapshots)
            {
                var snaptime = long.TryParse(kv.Value["snaptime"], out var t) ? t : 0;
                items[kv.Key] = new SnapItem { Name = kv.Key, SnapTime = snaptime, Description = kv.Value.Description ?? "", Parent = kv.Value["parent"] };
                order.Add(kv.Key);
            }
            items["current"] = new SnapItem { Name = "current", SnapTime = null, Description = "You are here!", Parent = conf["parent"] };
            order.Add("current");

            var roots = new List<string>();
            foreach (var name in order)
            {
                var e = items[name];
                if (e.Parent != null && items.ContainsKey(e.Parent) && e.Parent != name) items[e.Parent].Children.Add(name);
                else roots.Add(name);
            }
            var tz = NodeTimeZone();
            foreach (var root in SortBySnapTime(roots, items)) PrintSnapTree(c, "`->", root, items, tz);
            return 0;
        }

        private sealed class SnapItem
        {
            public string Name = "";
            public long? SnapTime;
            public string Description = "";
            public string? Parent;
            public List<string> Children = new List<string>();
        }

        private static IEnumerable<string> SortBySnapTime(List<string> names, Dictionary<string, SnapItem> items)
        {
            var list = names.ToList();
            // Perl's sort is a stable merge sort; "current" (no snaptime) sorts last.
            return list.Select((n, i) => (n, i)).OrderBy(x => items[x.n].SnapTime.HasValue ? 0 : 1)
                .ThenBy(x => items[x.n].SnapTime ?? 0).ThenBy(x => x.i).Select(x => x.n);
        }

        private void PrintSnapTree(CommandContext c, string prefix, string root, Dictionary<string, SnapItem> items, TimeZoneInfo tz)
        {
            var e = items[root];
            var description = e.Description.Length > 0 ? e.Description : "no-description";
            description = description.Split('\n')[0];
            var time = "";
            if (e.SnapTime.HasValue)
            {
                var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(e.SnapTime.Value), tz);
                time = local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            }
            var len = Math.Max(0, 30 - prefix.Length);
            c.Out.Append(prefix).Append(' ').Append(Pad(root, len)).Append(' ').Append(Pad(time, 23)).Append(' ').Append(description).Append('\n');
            if (e.Children.Count > 0)
            {
                foreach (var child in SortBySnapTime(e.Children, items)) PrintSnapTree(c, " " + prefix, child, items, tz);
            }
        }

        /// <summary>qm unlock: removes the lock, no output, no error without one.</summary>
        public int QmUnlock(CommandContext c)
        {
            var vmid = Vmid(c);
            using (Node.LockConfig(vmid, c.Err, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                conf["lock"] = null;
                if (conf.Pending != null) conf.Pending["lock"] = null;
                Delay(c);
                WriteConfig(vmid, conf);
            }
            return 0;
        }
    }
}
