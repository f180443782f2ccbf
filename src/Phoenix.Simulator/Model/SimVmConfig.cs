using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.Internal;

namespace Phoenix.Simulator.Model
{
    /// <summary>One section of a VM config: the main part, [PENDING], or a [snapshot].</summary>
    internal sealed class ConfigSection
    {
        public SortedDictionary<string, string> Values { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>The description, kept as the `#` comment lines at the top of the section.</summary>
        public string? Description { get; set; }

        public string? this[string key]
        {
            get => Values.TryGetValue(key, out var v) ? v : null;
            set
            {
                if (value == null) Values.Remove(key);
                else Values[key] = value;
            }
        }

        public bool Has(string key) => Values.ContainsKey(key);

        public ConfigSection Clone()
        {
            var c = new ConfigSection { Description = Description };
            foreach (var kv in Values) c.Values[kv.Key] = kv.Value;
            return c;
        }
    }

    /// <summary>
    /// A VM config in the format of /etc/pve/qemu-server/&lt;vmid&gt;.conf (qemu-server's
    /// parse_vm_config / write_vm_config): description as `#` lines, `key: value` lines sorted,
    /// then [PENDING], [special:...] and the snapshot sections in name order. This is the node's
    /// side (the file and all its sections); the engine's Phoenix.Engine.Proxmox.VmConfig is the
    /// client's side (what `qm config` prints).
    /// </summary>
    internal sealed class SimVmConfig
    {
        private static readonly Regex KeyLine = new Regex(@"^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$", RegexOptions.Compiled);
        private static readonly Regex SnapHeader = new Regex(@"^\[([a-z][a-z0-9_\-]+)\]\s*$", RegexOptions.Compiled | RegexOptions.IgnoreCase);
        private static readonly Regex SpecialHeader = new Regex(@"^\[special:([a-z]+)\]\s*$", RegexOptions.Compiled | RegexOptions.IgnoreCase);

        public ConfigSection Main { get; private set; } = new ConfigSection();

        public ConfigSection? Pending { get; set; }

        public SortedDictionary<string, ConfigSection> Snapshots { get; } = new SortedDictionary<string, ConfigSection>(StringComparer.Ordinal);

        public SortedDictionary<string, ConfigSection> Special { get; } = new SortedDictionary<string, ConfigSection>(StringComparer.Ordinal);

        public string? this[string key]
        {
            get => Main[key];
            set => Main[key] = value;
        }

        public static SimVmConfig Parse(string raw)
        {
            var conf = new SimVmConfig();
            var current = conf.Main;
            string? descr = null;

            void FinishDescription()
            {
                if (descr != null)
                {
                    current.Description = descr.TrimEnd();
                }
                descr = null;
            }

            foreach (var line in raw.Split('\n'))
            {
                if (line.Trim().Length == 0) continue;
                if (Regex.IsMatch(line, @"^\[PENDING\]\s*$", RegexOptions.IgnoreCase))
                {
                    FinishDescription();
                    current = conf.Pending = new ConfigSection();
                    continue;
                }
                var special = SpecialHeader.Match(line);
                if (special.Success)
                {
                    FinishDescription();
                    current = conf.Special[special.Groups[1].Value.ToLowerInvariant()] = new ConfigSection();
                    continue;
                }
                var snap = SnapHeader.Match(line);
                if (snap.Success)
                {
                    FinishDescription();
                    current = conf.Snapshots[snap.Groups[1].Value] = new ConfigSection();
                    continue;
                }
                if (line.StartsWith("#", StringComparison.Ordinal))
                {
                    descr = (descr ?? "") + PveText.DecodeText(line.Substring(1)) + "\n";
                    continue;
                }
                var m = Regex.Match(line, @"^description:\s*(.*\S)\s*$");
                if (m.Success)
                {
                    descr = (descr ?? "") + PveText.DecodeText(m.Groups[1].Value) + "\n";
                    continue;
                }
                m = KeyLine.Match(line);
                if (m.Success) current.Values[m.Groups[1].Value] = m.Groups[2].Value;
            }
            FinishDescription();
            return conf;
        }

        public string Write()
        {
            var sb = new StringBuilder();
            WriteSection(sb, Main, pending: false);
            if (Pending != null && (Pending.Values.Count > 0 || Pending.Description != null))
            {
                sb.Append("\n[PENDING]\n");
                WriteSection(sb, Pending, pending: true);
            }
            foreach (var kv in Special)
            {
                if (kv.Value.Values.Count == 0) continue;
                sb.Append("\n[special:").Append(kv.Key).Append("]\n");
                WriteSection(sb, kv.Value, pending: false);
            }
            foreach (var kv in Snapshots)
            {
                sb.Append("\n[").Append(kv.Key).Append("]\n");
                WriteSection(sb, kv.Value, pending: false);
            }
            return sb.ToString();
        }

        private static void WriteSection(StringBuilder sb, ConfigSection section, bool pending)
        {
            if (section.Description != null)
            {
                if (section.Description.Length > 0)
                {
                    // Perl's split(/\n/) drops trailing empty fields.
                    var lines = section.Description.Split('\n').ToList();
                    while (lines.Count > 0 && lines[lines.Count - 1].Length == 0) lines.RemoveAt(lines.Count - 1);
                    foreach (var l in lines) sb.Append('#').Append(PveText.EncodeText(l)).Append('\n');
                }
                else if (pending)
                {
                    sb.Append("#\n");
                }
            }
            foreach (var kv in section.Values) sb.Append(kv.Key).Append(": ").Append(kv.Value).Append('\n');
        }

        public SimVmConfig Clone() => Parse(Write());

        /// <summary>The pending deletions, as qemu-server's parse_pending_delete reads them.</summary>
        public Dictionary<string, bool> PendingDeletes()
        {
            var res = new Dictionary<string, bool>(StringComparer.Ordinal);
            var data = Pending?["delete"];
            if (string.IsNullOrEmpty(data)) return res;
            foreach (var entry in Regex.Split(data!.Replace(',', ' ').Replace(';', ' ').Trim(), @"\s+"))
            {
                if (entry.Length == 0) continue;
                var force = entry.StartsWith("!", StringComparison.Ordinal);
                res[force ? entry.Substring(1) : entry] = force;
            }
            return res;
        }

        public void SetPendingDeletes(Dictionary<string, bool> deletes)
        {
            if (deletes.Count == 0)
            {
                if (Pending != null) Pending["delete"] = null;
                return;
            }
            Pending ??= new ConfigSection();
            Pending["delete"] = string.Join(",", deletes.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => deletes[k] ? "!" + k : k));
        }
    }
}
