using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// Pure functions that read what qm, pvesm and pvesh print (shapes from proxmox-behaviour.md).
    /// Output of another shape is a <see cref="ProxmoxException"/> with reason
    /// <see cref="ProxmoxErrorReason.UnexpectedOutput"/>, never a silent guess.
    /// </summary>
    public static class ProxmoxParsers
    {
        private const RegexOptions Opts = RegexOptions.CultureInvariant;

        // printf "%10s %-20s %-10s %-10s %12.2f %-10s\n": the name may hold spaces ("VM 100") and may
        // overflow its 20 columns, so it is whatever lies between the VMID and the last four fields.
        private static readonly Regex QmListRow = new Regex(
            @"^\s*(?<id>\d+) (?<name>.*?)\s+(?<status>\S+)\s+(?<mem>\d+(?:\.\d+)?)\s+(?<disk>\d+(?:\.\d+)?)\s+(?<pid>\d+)\s*$", Opts);

        private static readonly Regex ConfigLine = new Regex(@"^(?<key>[A-Za-z][A-Za-z0-9_\-]*):(?: (?<value>.*))?$", Opts);

        private static readonly Regex SnapshotTime = new Regex(@"^(?<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\s+(?<rest>.*))?$", Opts);

        private static readonly Regex CloneDrive = new Regex(@"^create (?<kind>linked|full) clone of drive (?<drive>\S+) \(", Opts | RegexOptions.Multiline);

        private const string SnapshotArrow = "`->";

        /// <summary>Reads <c>qm list</c>. No output at all means no VMs.</summary>
        public static IReadOnlyList<VmListEntry> ParseQmList(string output)
        {
            var result = new List<VmListEntry>();
            foreach (var line in Lines(output))
            {
                if (line.Trim().Length == 0) continue;
                if (line.TrimStart().StartsWith("VMID", StringComparison.Ordinal)) continue;
                var m = QmListRow.Match(line);
                if (!m.Success || !int.TryParse(m.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    throw ProxmoxError.UnexpectedOutput("the VM list", output);
                result.Add(new VmListEntry(
                    id,
                    m.Groups["name"].Value.Trim(),
                    m.Groups["status"].Value,
                    (long)decimal.Parse(m.Groups["mem"].Value, CultureInfo.InvariantCulture),
                    decimal.Parse(m.Groups["disk"].Value, CultureInfo.InvariantCulture),
                    int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture)));
            }
            return result;
        }

        /// <summary>Reads <c>qm status</c> (<c>status: running</c>); with --verbose the status line is found among the others.</summary>
        public static string ParseQmStatus(string output)
        {
            foreach (var line in Lines(output))
            {
                if (line.StartsWith("status:", StringComparison.Ordinal))
                {
                    var status = line.Substring("status:".Length).Trim();
                    if (status.Length > 0) return status;
                }
            }
            throw ProxmoxError.UnexpectedOutput("the VM status", output);
        }

        /// <summary>Reads <c>qm config</c>: <c>key: value</c> lines, the description decoded.</summary>
        public static VmConfig ParseQmConfig(string output)
        {
            var entries = new List<KeyValuePair<string, string>>();
            foreach (var line in Lines(output))
            {
                if (line.Trim().Length == 0) continue;
                var m = ConfigLine.Match(line);
                if (!m.Success) throw ProxmoxError.UnexpectedOutput("the VM configuration", output);
                var key = m.Groups["key"].Value;
                var value = m.Groups["value"].Success ? m.Groups["value"].Value.TrimEnd() : "";
                if (key == "description") value = DecodeDescription(value);
                entries.Add(new KeyValuePair<string, string>(key, value));
            }
            return new VmConfig(entries);
        }

        /// <summary>Undoes the URI escaping qm config applies to descriptions (<c>%0A</c> is a new line).</summary>
        public static string DecodeDescription(string value)
        {
            if (value.IndexOf('%') < 0) return value;
            try
            {
                return Uri.UnescapeDataString(value);
            }
            catch (UriFormatException)
            {
                return value;
            }
        }

        /// <summary>
        /// Reads the tree <c>qm listsnapshot</c> prints: each line <c>`-&gt; name time description</c>,
        /// one more leading space per level, the parent being the nearest line one level up. The
        /// <c>current</c> entry has no time. <c>no-description</c> (what Proxmox prints for an empty
        /// description) becomes null.
        /// </summary>
        public static IReadOnlyList<SnapshotInfo> ParseListSnapshot(string output)
        {
            var result = new List<SnapshotInfo>();
            var path = new List<string>();
            foreach (var line in Lines(output))
            {
                if (line.Trim().Length == 0) continue;
                var arrow = line.IndexOf(SnapshotArrow, StringComparison.Ordinal);
                if (arrow < 0 || line.Substring(0, arrow).Trim().Length != 0)
                    throw ProxmoxError.UnexpectedOutput("the snapshot list", output);
                var depth = arrow;
                var rest = line.Substring(arrow + SnapshotArrow.Length).Trim();
                var space = rest.IndexOf(' ');
                var name = space < 0 ? rest : rest.Substring(0, space);
                rest = space < 0 ? "" : rest.Substring(space + 1).Trim();
                if (name.Length == 0) throw ProxmoxError.UnexpectedOutput("the snapshot list", output);

                DateTime? time = null;
                var tm = SnapshotTime.Match(rest);
                if (tm.Success)
                {
                    time = DateTime.ParseExact(tm.Groups["time"].Value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None);
                    rest = tm.Groups["rest"].Success ? tm.Groups["rest"].Value.Trim() : "";
                }
                var description = rest.Length == 0 || rest == "no-description" ? null : rest;

                if (depth > path.Count) depth = path.Count;
                var parent = depth > 0 ? path[depth - 1] : null;
                path.RemoveRange(depth, path.Count - depth);
                path.Add(name);

                result.Add(new SnapshotInfo(name, parent, time, description, name == "current"));
            }
            return result;
        }

        /// <summary>
        /// Reads the JSON of <c>qm guest exec</c> or <c>qm guest exec-status</c>, including the
        /// <c>{"pid": N}</c> answer qm gives when its timeout passed first.
        /// </summary>
        public static GuestExecResult ParseGuestExec(string output)
        {
            var obj = ParseJson(output, "the guest exec result") as JObject
                ?? throw ProxmoxError.UnexpectedOutput("the guest exec result", output);
            if (obj["exited"] == null)
            {
                var pid = obj["pid"];
                if (pid == null || pid.Type != JTokenType.Integer) throw ProxmoxError.UnexpectedOutput("the guest exec result", output);
                return new GuestExecResult { Exited = false, Pid = pid.Value<long>() };
            }
            try
            {
                return new GuestExecResult
                {
                    Exited = Flag(obj["exited"]),
                    ExitCode = obj["exitcode"]?.Value<int>(),
                    Signal = obj["signal"]?.Value<int>(),
                    OutData = obj["out-data"]?.Value<string>() ?? "",
                    ErrData = obj["err-data"]?.Value<string>() ?? "",
                    OutTruncated = Flag(obj["out-truncated"]),
                    ErrTruncated = Flag(obj["err-truncated"]),
                    Pid = obj["pid"]?.Value<long>(),
                };
            }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
            {
                throw ProxmoxError.UnexpectedOutput("the guest exec result", output, inner: e);
            }
        }

        /// <summary>Reads <c>qm guest cmd &lt;vmid&gt; network-get-interfaces</c>.</summary>
        public static IReadOnlyList<GuestInterface> ParseNetworkInterfaces(string output)
        {
            var token = ParseJson(output, "the guest network interfaces");
            if (token is JObject wrapper && wrapper["result"] is JArray inner) token = inner;
            if (!(token is JArray array)) throw ProxmoxError.UnexpectedOutput("the guest network interfaces", output);
            var result = new List<GuestInterface>();
            try
            {
                foreach (var item in array.OfType<JObject>())
                {
                    var name = item["name"]?.Value<string>() ?? "";
                    var addresses = new List<GuestIpAddress>();
                    if (item["ip-addresses"] is JArray ips)
                    {
                        foreach (var ip in ips.OfType<JObject>())
                        {
                            var address = ip["ip-address"]?.Value<string>();
                            if (string.IsNullOrEmpty(address)) continue;
                            addresses.Add(new GuestIpAddress(name, address!, ip["ip-address-type"]?.Value<string>() ?? "", ip["prefix"]?.Value<int>() ?? 0));
                        }
                    }
                    result.Add(new GuestInterface(name, item["hardware-address"]?.Value<string>(), addresses));
                }
            }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
            {
                throw ProxmoxError.UnexpectedOutput("the guest network interfaces", output, inner: e);
            }
            return result;
        }

        /// <summary>The guest's addresses without loopback ones, IPv4 first, in interface order.</summary>
        public static IReadOnlyList<GuestIpAddress> ReachableAddresses(IEnumerable<GuestInterface> interfaces) =>
            interfaces.SelectMany(i => i.Addresses)
                .Where(a => !a.IsLoopback)
                .Select((a, index) => (a, index))
                .OrderBy(x => x.a.IsIPv4 ? 0 : 1).ThenBy(x => x.index)
                .Select(x => x.a)
                .ToList();

        /// <summary>
        /// Reads <c>pvesm status</c>, with the header of either release (<c>Total</c> or
        /// <c>Total (KiB)</c>); a disabled storage has <c>N/A</c> as its percentage.
        /// </summary>
        public static IReadOnlyList<StorageStatus> ParsePvesmStatus(string output)
        {
            var result = new List<StorageStatus>();
            foreach (var line in Lines(output))
            {
                if (line.Trim().Length == 0) continue;
                var fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (fields[0] == "Name" && fields.Contains("Type")) continue;
                if (fields.Length != 7 ||
                    !long.TryParse(fields[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var total) ||
                    !long.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var used) ||
                    !long.TryParse(fields[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var available))
                    throw ProxmoxError.UnexpectedOutput("the storage status", output);
                double? percent = null;
                var pct = fields[6];
                if (pct != "N/A")
                {
                    if (!pct.EndsWith("%", StringComparison.Ordinal) ||
                        !double.TryParse(pct.Substring(0, pct.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var p))
                        throw ProxmoxError.UnexpectedOutput("the storage status", output);
                    percent = p;
                }
                result.Add(new StorageStatus(fields[0], fields[1], fields[2], total, used, available, percent));
            }
            return result;
        }

        /// <summary>Reads <c>pvesm path</c>: one path.</summary>
        public static string ParsePvesmPath(string output)
        {
            var path = (output ?? "").Trim();
            if (path.Length == 0 || path.IndexOf('\n') >= 0) throw ProxmoxError.UnexpectedOutput("the volume path", output ?? "");
            return path;
        }

        /// <summary>Reads <c>pvesh get /cluster/nextid</c>: <c>100</c> as text, or <c>"100"</c> as JSON.</summary>
        public static int ParseNextId(string output)
        {
            var text = (output ?? "").Trim();
            if (text.Length >= 2 && text[0] == '"' && text[text.Length - 1] == '"') text = text.Substring(1, text.Length - 2);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !ProxmoxNames.IsValidVmId(id))
                throw ProxmoxError.UnexpectedOutput("the next free VMID", output ?? "");
            return id;
        }

        /// <summary>Reads <c>pvesh get /cluster/resources --output-format json</c>.</summary>
        public static IReadOnlyList<ClusterResource> ParseClusterResources(string output)
        {
            if (!(ParseJson(output, "the cluster resources") is JArray array))
                throw ProxmoxError.UnexpectedOutput("the cluster resources", output);
            var result = new List<ClusterResource>();
            try
            {
                foreach (var item in array.OfType<JObject>())
                {
                    var vmid = item["vmid"];
                    int? id = vmid == null || vmid.Type == JTokenType.Null ? (int?)null : int.Parse(vmid.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
                    result.Add(new ClusterResource(
                        item["id"]?.Value<string>() ?? "",
                        item["type"]?.Value<string>() ?? "",
                        id,
                        item["name"]?.Value<string>(),
                        item["node"]?.Value<string>(),
                        item["status"]?.Value<string>(),
                        Flag(item["template"]))
                    {
                        Storage = item["storage"]?.Value<string>(),
                        IsShared = Flag(item["shared"]),
                        Content = (item["content"]?.Value<string>() ?? "").Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries),
                    });
                }
            }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
            {
                throw ProxmoxError.UnexpectedOutput("the cluster resources", output, inner: e);
            }
            return result;
        }

        /// <summary>
        /// Reads <c>pvesh get /cluster/status --output-format json</c>: the <c>cluster</c> entry (name, quorate) when the node
        /// is in a cluster, and one <c>node</c> entry per member (name, nodeid, ip, online, local).
        /// </summary>
        public static ClusterStatus ParseClusterStatus(string output)
        {
            if (!(ParseJson(output, "the cluster status") is JArray array))
                throw ProxmoxError.UnexpectedOutput("the cluster status", output);
            try
            {
                string? name = null;
                var quorate = true;
                var nodes = new List<ClusterNode>();
                foreach (var item in array.OfType<JObject>())
                {
                    var type = item["type"]?.Value<string>();
                    if (type == "cluster")
                    {
                        name = item["name"]?.Value<string>();
                        quorate = Flag(item["quorate"]);
                    }
                    else if (type == "node" && item["name"]?.Value<string>() is string node && node.Length > 0)
                    {
                        var id = item["nodeid"];
                        nodes.Add(new ClusterNode(node,
                            id == null || id.Type == JTokenType.Null ? 0 : int.Parse(id.ToString(), NumberStyles.None, CultureInfo.InvariantCulture),
                            item["ip"]?.Value<string>(), Flag(item["online"]), Flag(item["local"])));
                    }
                }
                if (nodes.Count == 0) throw ProxmoxError.UnexpectedOutput("the cluster status", output);
                return new ClusterStatus(name, quorate, nodes);
            }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
            {
                throw ProxmoxError.UnexpectedOutput("the cluster status", output, inner: e);
            }
        }

        /// <summary>Parses <c>pvesh get /nodes --output-format json</c> (entries without a node name are left out).</summary>
        public static IReadOnlyList<NodeEntry> ParseNodeList(string output)
        {
            if (!(ParseJson(output, "the node list") is JArray array))
                throw ProxmoxError.UnexpectedOutput("the node list", output);
            return array.OfType<JObject>()
                .Select(item => new NodeEntry(item["node"]?.ToString() ?? "", item["status"]?.ToString() ?? "unknown"))
                .Where(n => n.Name.Length > 0)
                .ToList();
        }

        /// <summary>Reads the task log of <c>qm clone</c> for the drives cloned linked and in full.</summary>
        public static CloneResult ParseCloneOutput(string output)
        {
            var linked = new List<string>();
            var full = new List<string>();
            foreach (Match m in CloneDrive.Matches((output ?? "").Replace("\r\n", "\n")))
                (m.Groups["kind"].Value == "linked" ? linked : full).Add(m.Groups["drive"].Value);
            return new CloneResult(linked, full, Lines(output ?? "").Where(l => l.Trim().Length > 0).ToList());
        }

        private static bool Flag(JToken? token)
        {
            if (token == null || token.Type == JTokenType.Null) return false;
            if (token.Type == JTokenType.Boolean) return token.Value<bool>();
            if (token.Type == JTokenType.Integer) return token.Value<long>() != 0;
            var s = token.ToString();
            return s == "1" || string.Equals(s, "true", StringComparison.OrdinalIgnoreCase);
        }

        private static JToken ParseJson(string output, string what)
        {
            try
            {
                // Dates stay strings: a guest's output that looks like a date must come back unchanged.
                using var reader = new JsonTextReader(new StringReader(output ?? "")) { DateParseHandling = DateParseHandling.None };
                var token = JToken.ReadFrom(reader);
                while (reader.Read())
                {
                    if (reader.TokenType != JsonToken.Comment) throw new JsonReaderException("trailing content");
                }
                return token;
            }
            catch (JsonException e)
            {
                throw ProxmoxError.UnexpectedOutput(what, output ?? "", inner: e);
            }
        }

        private static IEnumerable<string> Lines(string output) =>
            (output ?? "").Replace("\r\n", "\n").Split('\n');
    }
}
