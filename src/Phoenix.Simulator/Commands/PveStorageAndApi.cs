using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        /// <summary>The size the simulated filesystem under a dir storage reports, in bytes.</summary>
        private const long DirTotal = 98497780L * 1024;
        private const long DirBaseUsed = 4475408L * 1024;
        private const long ThinTotal = 365760512L * 1024;

        /// <summary>
        /// A storage as the node measures it, the source of `pvesm status` and the API's storage lists
        /// (the engine's Phoenix.Engine.Proxmox.StorageStatus is a row parsed back from that output).
        /// </summary>
        internal sealed class SimStorageStatus
        {
            public string Storage = "";
            public string Type = "";
            public bool Enabled;
            public bool Active;
            public long Total;
            public long Used;
            public long Avail;
            public string Content = "";
            public bool Shared;
        }

        internal List<SimStorageStatus> StorageStatuses()
        {
            var res = new List<SimStorageStatus>();
            foreach (var st in Node.LoadStorage().Storages)
            {
                var s = new SimStorageStatus
                {
                    Storage = st.Id,
                    Type = st.Type,
                    Enabled = st.EnabledOn(Node.Name),
                    Active = st.EnabledOn(Node.Name),
                    Content = string.Join(",", st.Content.OrderBy(x => x, StringComparer.Ordinal)),
                    Shared = st.Shared,
                };
                var vols = Node.LoadVolumes(st.Id);
                if (st.IsFileBased)
                {
                    var files = Node.Store.ListFiles(st.Path).Sum(f => Node.Store.GetSize(f) ?? 0);
                    s.Total = DirTotal;
                    s.Used = Math.Min(DirTotal, DirBaseUsed + files + vols.Values.Sum(v => v.Size / 8));
                }
                else
                {
                    s.Total = ThinTotal;
                    s.Used = Math.Min(ThinTotal, vols.Values.Sum(v => v.Size / 16));
                }
                s.Avail = s.Total - s.Used;
                if (!s.Enabled)
                {
                    s.Total = s.Used = s.Avail = 0;
                }
                res.Add(s);
            }
            return res;
        }

        /// <summary>pvesm status (pvesm.pm print_status, with the 2025 "(KiB)" headers).</summary>
        public int PvesmStatus(CommandContext c)
        {
            Delay(c);
            var list = StorageStatuses();
            if (c.Get("storage") is string only)
            {
                Node.LoadStorage().Require(only);
                list = list.Where(s => s.Storage == only).ToList();
            }
            if (c.Get("content") is string content)
            {
                var wanted = SchemaCheck.SplitList(content).ToList();
                // storage_info: with a content filter, storages not enabled on this node are left out.
                list = list.Where(s => s.Enabled && s.Content.Split(',').Any(wanted.Contains)).ToList();
            }
            if (c.Flag("enabled")) list = list.Where(s => s.Enabled).ToList();
            var maxlen = list.Count == 0 ? 0 : list.Max(s => s.Storage.Length);
            maxlen += 1;
            c.Out.Append(Pad("Name", maxlen)).Append(' ').Append(PadLeft("Type", 10)).Append(' ').Append(PadLeft("Status", 10)).Append(' ')
             .Append(PadLeft("Total (KiB)", 15)).Append(' ').Append(PadLeft("Used (KiB)", 15)).Append(' ').Append(PadLeft("Available (KiB)", 15)).Append(' ')
             .Append(PadLeft("%", 8)).Append('\n');
            foreach (var s in list.OrderBy(s => s.Storage, StringComparer.Ordinal))
            {
                var status = s.Active ? "active" : "inactive";
                string pct;
                if (!s.Enabled)
                {
                    status = "disabled";
                    pct = PadLeft("N/A", 8);
                }
                else
                {
                    var per = s.Total > 0 ? s.Used * 100d / s.Total : 0;
                    // "% 7.2f%%": a space for the sign, then width 7.
                    var num = PveText.F(per, 2);
                    if (per >= 0) num = " " + num;
                    pct = PadLeft(num, 7) + "%";
                }
                c.Out.Append(Pad(s.Storage, maxlen)).Append(' ').Append(PadLeft(s.Type, 10)).Append(' ').Append(PadLeft(status, 10)).Append(' ')
                 .Append(PadLeft((s.Total / 1024).ToString(CultureInfo.InvariantCulture), 15)).Append(' ')
                 .Append(PadLeft((s.Used / 1024).ToString(CultureInfo.InvariantCulture), 15)).Append(' ')
                 .Append(PadLeft((s.Avail / 1024).ToString(CultureInfo.InvariantCulture), 15)).Append(' ')
                 .Append(pct).Append('\n');
            }
            return 0;
        }

        /// <summary>pvesm path: the volume's path, without checking that it exists.</summary>
        public int PvesmPath(CommandContext c)
        {
            Delay(c);
            c.Out.Append(Node.LoadStorage().VolumePath(c.Get("volume")!)).Append('\n');
            return 0;
        }

        /// <summary>pvesh get for the API paths Phoenix reads.</summary>
        public int PveshGet(CommandContext c)
        {
            Delay(c);
            var path = "/" + c.Get("api_path")!.Trim('/');
            object? data;
            var m = Regex.Match(path, @"^/nodes/([^/]+)(/.*)?$");
            if (path == "/cluster/nextid") data = NextId(c);
            else if (path == "/cluster/resources") data = Resources(c.Get("type"));
            else if (path == "/cluster/status") data = ClusterStatus();
            else if (path == "/version")
            {
                var o = PerlJson.Obj();
                o["release"] = "9.0";
                o["repoid"] = "c3d0b6c2d3a2a6a9";
                o["version"] = "9.0.3";
                data = o;
            }
            else if (path == "/nodes") data = NodeList();
            else if (m.Success)
            {
                var name = m.Groups[1].Value == "localhost" ? Node.Name : m.Groups[1].Value;
                // pvesh runs a call for another node there (check_proxyto, over SSH).
                var there = name == Node.Name ? this : ProxyTo(name);
                data = there.NodeApi(m.Groups[2].Value) ?? throw new PveDie($"No 'get' handler defined for '{path}'");
            }
            else
            {
                throw new PveDie($"No 'get' handler defined for '{path}'");
            }
            PrintApiResult(c, data);
            return 0;
        }

        /// <summary>The /nodes/{node}/... calls, answered by this node; null when there is no handler.</summary>
        private object? NodeApi(string subPath)
        {
            if (subPath == "/qemu")
                return Node.VmIds.Select(id => (object?)VmStatus(id, Node.LoadConfig(id), Node.GetRuntime(id))).ToList();
            if (Regex.Match(subPath, @"^/qemu/(\d+)/(config|status/current)$") is Match q && q.Success)
            {
                var vmid = int.Parse(q.Groups[1].Value, CultureInfo.InvariantCulture);
                var conf = Node.LoadConfig(vmid);
                if (q.Groups[2].Value != "config") return VmStatus(vmid, conf, Node.GetRuntime(vmid));
                var o = PerlJson.Obj();
                foreach (var kv in WithPending(conf).Values) o[kv.Key] = kv.Value;
                if (conf.Main.Description != null) o["description"] = conf.Main.Description;
                if (o.ContainsKey("cipassword")) o["cipassword"] = Secret;
                o["digest"] = Sha1Hex(conf.Write());
                return o;
            }
            if (subPath == "/storage")
            {
                return StorageStatuses().Select(s =>
                {
                    var o = PerlJson.Obj();
                    o["active"] = s.Active ? 1 : 0;
                    o["avail"] = s.Avail;
                    o["content"] = s.Content;
                    o["enabled"] = s.Enabled ? 1 : 0;
                    o["shared"] = s.Shared ? 1 : 0;
                    o["storage"] = s.Storage;
                    o["total"] = s.Total;
                    o["type"] = s.Type;
                    o["used"] = s.Used;
                    o["used_fraction"] = s.Total > 0 ? (double)s.Used / s.Total : 0d;
                    return (object?)o;
                }).ToList();
            }
            return null;
        }

        /// <summary>
        /// PVE::CLIFormatter for pvesh: json is compact and canonical, json-pretty like qm's JSON; text prints
        /// scalars as a line and lists as a plain table (the box drawing of a terminal is not reproduced).
        /// </summary>
        private static void PrintApiResult(CommandContext c, object? data)
        {
            var format = c.Get("output-format") ?? "text";
            switch (format)
            {
                case "json":
                    c.Out.Append(PerlJson.Compact(data)).Append('\n');
                    return;
                case "json-pretty":
                    c.Out.Append(PerlJson.Pretty(data));
                    return;
                case "yaml":
                    c.Out.Append("---\n").Append(PerlJson.Pretty(data));
                    return;
            }
            switch (data)
            {
                case null:
                    return;
                case string s:
                    c.Out.Append(s).Append('\n');
                    return;
                case IDictionary<string, object?> o:
                    foreach (var kv in o) c.Out.Append(kv.Key).Append(": ").Append(Scalar(kv.Value)).Append('\n');
                    return;
                case List<object?> list:
                    var rows = list.OfType<IDictionary<string, object?>>().ToList();
                    var cols = rows.SelectMany(r => r.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
                    var widths = cols.Select(col => Math.Max(col.Length, rows.Max(r => r.TryGetValue(col, out var v) ? Scalar(v).Length : 0))).ToList();
                    if (c.Get("noheader") != "1") c.Out.Append(string.Join(" ", cols.Select((col, i) => Pad(col, widths[i]))).TrimEnd()).Append('\n');
                    foreach (var r in rows)
                        {
                            var cells = cols.Select((col, i) => Pad(r.TryGetValue(col, out var v) ? Scalar(v) : "", widths[i]));
                            c.Out.Append(string.Join(" ", cells).TrimEnd()).Append('\n');
                        }
                    return;
                default:
                    c.Out.Append(Scalar(data)).Append('\n');
                    return;
            }
        }

        private static string Scalar(object? v) => v switch
        {
            null => "",
            string s => s,
            double d => d.ToString("G15", CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
        };
    }
}
