using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>
    /// Compares one wanted <c>qm set</c> option with what <c>qm config</c> printed, the way Proxmox means the
    /// values (see <see cref="QemuOptions"/> for how each option is read). Pure: it reads nothing and runs nothing.
    /// </summary>
    public static class OptionComparer
    {
        // Drive.pm $NEW_DISK_RE: "storage:size" (or a bare size) asks qm set to allocate a new volume.
        private static readonly Regex NewDiskRe = new Regex(@"^(?:([^/:\s]+):)?(\d+(?:\.\d+)?)$", RegexOptions.CultureInvariant);

        // Drive.pm drive_is_cloudinit.
        private static readonly Regex CloudInitVolume = new Regex(@"[:/](?:vm-\d+-)?cloudinit(?:\.(?:raw|qcow|qcow2|qed|vmdk|cloop))?$", RegexOptions.CultureInvariant);

        private static readonly string[] DefaultHotplug = { "disk", "network", "usb" };

        /// <summary>
        /// Compares option <paramref name="key"/> (as qm spells it; <c>cdrom</c> is ide2) wanted as
        /// <paramref name="wanted"/> with <paramref name="current"/>. <paramref name="field"/> names it in the
        /// rows (default <c>qm_options.&lt;key&gt;</c>).
        /// </summary>
        public static IReadOnlyList<FieldComparison> Compare(string key, string wanted, VmConfig current, string? field = null)
        {
            if (key == null) throw new ArgumentNullException(nameof(key));
            if (wanted == null) throw new ArgumentNullException(nameof(wanted));
            if (current == null) throw new ArgumentNullException(nameof(current));
            field ??= "qm_options." + key;
            if (key == "cdrom")
            {
                // qm's alias: -cdrom is ide2 with media=cdrom ($resolve_cdrom_alias).
                key = "ide2";
                if (wanted.IndexOf("media=", StringComparison.Ordinal) < 0) wanted += ",media=cdrom";
            }
            var actual = current[key];
            var option = QemuOptions.Get(key);
            var rows = new Rows(field, key, wanted, actual);
            switch (option.Kind)
            {
                case QemuOptionKind.Scalar: Scalar(rows, option); break;
                case QemuOptionKind.PropertyString: PropertyString(rows, option.Format!); break;
                case QemuOptionKind.Drive: Drive(rows); break;
                case QemuOptionKind.Net: Net(rows); break;
                case QemuOptionKind.Tags: Tags(rows); break;
                case QemuOptionKind.Description: Description(rows, current.Description); break;
                case QemuOptionKind.Startup: Startup(rows); break;
                case QemuOptionKind.Boot: Boot(rows); break;
                case QemuOptionKind.Hotplug: Hotplug(rows); break;
                case QemuOptionKind.AddressList: AddressList(rows); break;
                case QemuOptionKind.SshKeys: SshKeys(rows); break;
                case QemuOptionKind.VmGenId: VmGenId(rows); break;
                case QemuOptionKind.Secret: Secret(rows); break;
                case QemuOptionKind.Rewritten: Smp(rows, current); break;
                case QemuOptionKind.Internal: Internal(rows); break;
                case QemuOptionKind.NotAnOption:
                    rows.CannotChange($"'{key}' is a parameter of qm set, not an option of the VM's configuration.");
                    break;
                default: Unknown(rows); break;
            }
            return rows.List;
        }

        /// <summary>Reads <c>startup</c> as pve_parse_startup_order does: <c>[order=]N</c>, <c>up=N</c>, <c>down=N</c>; null when Proxmox would not.</summary>
        public static IDictionary<string, long>? ParseStartup(string? value)
        {
            var res = new SortedDictionary<string, long>(StringComparer.Ordinal);
            if (string.IsNullOrEmpty(value)) return res;
            foreach (var p in value!.Split(','))
            {
                if (p.Trim().Length == 0) continue;
                var m = Regex.Match(p, @"^(?:(order|up|down)=)?(\d+)$", RegexOptions.CultureInvariant);
                if (!m.Success) return null;
                var name = m.Groups[1].Success ? m.Groups[1].Value : "order";
                if (!long.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
                res[name] = n;
            }
            return res;
        }

        /// <summary>Prints a startup value in the order Proxmox documents it: <c>order=N,up=N,down=N</c>.</summary>
        public static string PrintStartup(IDictionary<string, long> values) =>
            string.Join(",", new[] { "order", "up", "down" }.Where(values.ContainsKey)
                .Select(k => k + "=" + values[k].ToString(CultureInfo.InvariantCulture)));

        /// <summary>PVE::Tools::split_list: items separated by <c>,</c> <c>;</c> or white space.</summary>
        public static IReadOnlyList<string> SplitList(string? text) =>
            (text ?? "").Split(new[] { ',', ';', ' ', '\t', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries);

        /// <summary>True for a drive value that allocates a new volume (<c>storage:size</c>).</summary>
        public static bool IsNewDisk(string volume) => NewDiskRe.IsMatch(volume);

        /// <summary>True for a cloud-init volume (<c>local-lvm:vm-101-cloudinit</c>, <c>local:101/vm-101-cloudinit.qcow2</c>).</summary>
        public static bool IsCloudInitVolume(string volume) => CloudInitVolume.IsMatch(volume);

        // ---- kinds

        private static void Scalar(Rows r, QemuOption o)
        {
            var wanted = r.Wanted;
            if (o.Type == ProxmoxValueType.Boolean)
            {
                if (PropertyFormat.ParseBoolean(wanted) is string b) wanted = b;
                else
                {
                    r.CannotChange($"'{r.Wanted}' is not a boolean (1/0, yes/no, on/off, true/false); Proxmox would refuse it.");
                    return;
                }
            }
            else if (o.Type == ProxmoxValueType.Integer && !Regex.IsMatch(wanted, @"^\d+$"))
            {
                r.CannotChange($"'{r.Wanted}' is not a whole number; Proxmox would refuse it.");
                return;
            }
            else if (o.Type == ProxmoxValueType.Number && !Regex.IsMatch(wanted, @"^\d+(?:\.\d+)?$"))
            {
                r.CannotChange($"'{r.Wanted}' is not a number; Proxmox would refuse it.");
                return;
            }
            var compared = wanted;
            // update_vm_api clamps cpuunits to what cgroup v2 takes (1..10000) before it stores them.
            if (r.Key == "cpuunits" && long.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out var units) && units > 10000) compared = "10000";
            if (r.Key == "name" && r.Actual != null && r.Actual != wanted)
            {
                r.CannotChange($"the VM is named '{r.Actual}' on the host; Phoenix never renames a VM or takes over another one.");
                return;
            }
            if (PropertyFormat.SameValue(o.Type, compared, r.Actual ?? o.Default))
                r.Equal(r.Actual == null ? "not set; Proxmox's default is " + wanted : null);
            else r.Set(wanted, Differs(r.Actual, o.Default));
        }

        /// <summary>Reads both sides (an absent option as empty: every key at its default); false after a CannotChange row.</summary>
        private static bool ParseBoth(Rows r, PropertyFormat format, out ParsedPropertyString w, out ParsedPropertyString a)
        {
            a = w = null!;
            if (!format.TryParse(r.Wanted, out w, out var werr))
                r.CannotChange($"the config's value does not parse as Proxmox's {format.Name} format ({werr}).");
            else if (!format.TryParse(r.Actual ?? "", out a, out var aerr))
                r.CannotChange($"Phoenix cannot read the value on the host as {format.Name} ({aerr}).");
            else return true;
            return false;
        }

        private static void PropertyString(Rows r, PropertyFormat format)
        {
            if (!ParseBoth(r, format, out var w, out var a)) return;
            var diffs = format.Differences(w, a);
            if (diffs.Count == 0) r.Equal(r.Actual == null ? "not set; the wanted value is Proxmox's default" : null);
            else r.Set(r.Wanted, "differs in " + Describe(diffs, w, a));
        }

        private static void Drive(Rows r)
        {
            var format = ProxmoxFormats.Drive;
            if (!format.TryParse(r.Wanted, out var w, out var werr) || w["file"] == null)
            {
                r.CannotChange($"the config's value does not parse as a Proxmox drive ({werr ?? "no volume"}).");
                return;
            }
            if (r.Actual == null)
            {
                r.Set(r.Wanted, IsNewDisk(w["file"]!) ? $"no {r.Key} yet: qm set allocates it" : $"no {r.Key} yet: qm set attaches it");
                return;
            }
            if (!format.TryParse(r.Actual, out var a, out var aerr) || a["file"] == null)
            {
                r.CannotChange($"Phoenix cannot read {r.Key} on the host ({aerr ?? "no volume"}).");
                return;
            }
            var wFile = w["file"]!;
            var aFile = a["file"]!;
            var aStorage = StorageOf(aFile);
            var aIsCdrom = a.Effective("media") == "cdrom";
            var wIsCdrom = w.Effective("media") == "cdrom";
            var aIsCloudInit = IsCloudInitVolume(aFile);
            var efiOrTpm = r.Key == "efidisk0" || r.Key == "tpmstate0";

            if (VolumeName(wFile) == "cloudinit")
            {
                if (!aIsCloudInit) r.CannotChange($"{r.Key} holds {aFile}, not a cloud-init drive; Phoenix does not replace a drive.");
                else if (StorageOf(wFile) is string ws && ws != aStorage)
                    r.CannotChange($"the cloud-init drive is on storage '{aStorage}', not '{ws}'; moving it is not Phoenix's to do.");
                else r.Equal("the cloud-init drive exists on that storage");
                return;
            }

            var newDisk = NewDiskRe.Match(wFile);
            if (newDisk.Success && !wIsCdrom)
            {
                if (aIsCdrom || aIsCloudInit)
                {
                    r.CannotChange($"{r.Key} is a CD-ROM drive ({aFile}); Phoenix does not replace it with a disk.");
                    return;
                }
                var storage = newDisk.Groups[1].Success ? newDisk.Groups[1].Value : null;
                if (storage != null && storage != aStorage)
                {
                    r.CannotChange($"{r.Key} is on storage '{aStorage ?? aFile}', not '{storage}'; moving a disk (qm disk move) is not Phoenix's to do.");
                    return;
                }
                var diffs = OptionDifferences(w, a);
                if (efiOrTpm)
                {
                    // Proxmox sizes EFI vars and TPM state itself; efitype, pre-enrolled-keys and version are fixed at creation.
                    if (diffs.Count > 0)
                        r.CannotChange($"{r.Key} differs in {Describe(diffs, w, a)}; that takes a new {(r.Key == "efidisk0" ? "EFI" : "TPM")} disk, which Phoenix does not make on its own.");
                    else r.Equal("exists on that storage; Proxmox sizes it itself");
                    return;
                }
                if (diffs.Count > 0) r.Set(KeepVolume(w, a), "options differ: " + Describe(diffs, w, a));
                if (w["import-from"] != null)
                {
                    if (diffs.Count == 0) r.Equal("imported when it was made; its contents are not compared");
                    return;
                }
                var wantedBytes = ProxmoxSize.FromGigabytes(decimal.Parse(newDisk.Groups[2].Value, CultureInfo.InvariantCulture));
                var actualBytes = VmDisk.ParseSize(a["size"]);
                if (actualBytes == null)
                    r.CannotChange($"qm config shows no size for {r.Key}, so Phoenix cannot tell whether it must grow.");
                else if (wantedBytes > actualBytes)
                    r.Resize(ProxmoxSize.Format(wantedBytes), $"{a["size"]} is smaller than the wanted {ProxmoxSize.Format(wantedBytes)}");
                else if (wantedBytes < actualBytes)
                    r.CannotChange($"{r.Key} is {a["size"]}, bigger than the wanted {ProxmoxSize.Format(wantedBytes)}; Proxmox cannot shrink a disk.");
                else if (diffs.Count == 0) r.Equal($"{ProxmoxSize.Format(wantedBytes)} on {aStorage}");
                return;
            }

            if (wFile != aFile)
            {
                if (wIsCdrom && aIsCdrom && !aIsCloudInit) r.Set(r.Wanted, $"another medium in the CD-ROM drive ({aFile} now)");
                else r.CannotChange($"{r.Key} holds {aFile}; attaching {wFile} instead would detach it (Proxmox keeps it as an unused disk). Phoenix does not swap disks.");
                return;
            }
            var optionDiffs = OptionDifferences(w, a);
            if (optionDiffs.Count == 0) r.Equal(null);
            else if (efiOrTpm) r.CannotChange($"{r.Key} differs in {Describe(optionDiffs, w, a)}; that takes a new disk, which Phoenix does not make on its own.");
            else r.Set(KeepVolume(w, a), "options differ: " + Describe(optionDiffs, w, a));
        }

        private static void Net(Rows r)
        {
            var format = ProxmoxFormats.Net;
            if (!format.TryParse(r.Wanted, out var w, out var werr) || w["model"] == null)
            {
                r.CannotChange($"the config's value does not parse as a Proxmox NIC ({werr ?? "no model such as virtio"}).");
                return;
            }
            if (r.Actual == null)
            {
                r.Set(r.Wanted, $"no {r.Key} yet" + (w["macaddr"] == null ? "; Proxmox gives it a MAC address" : ""));
                return;
            }
            if (!format.TryParse(r.Actual, out var a, out var aerr))
            {
                r.CannotChange($"Phoenix cannot read {r.Key} on the host ({aerr}).");
                return;
            }
            // A config without a MAC accepts the one the NIC has: it is kept, never regenerated.
            var diffs = format.Differences(w, a, w["macaddr"] == null ? new[] { "macaddr" } : null);
            if (diffs.Count == 0)
            {
                r.Equal(null);
                return;
            }
            var values = new Dictionary<string, string>(w.Values.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
            if (!values.ContainsKey("macaddr") && a["macaddr"] is string mac) values["macaddr"] = mac;
            r.Set(format.Print(values), "differs in " + Describe(diffs, w, a) + (w["macaddr"] == null ? "; the MAC address is kept" : ""));
        }

        private static void Tags(Rows r)
        {
            // get_unique_tags: split, lower-case (unless the datacenter says case-sensitive), sort, de-duplicate, join with ';'.
            static ISet<string> Read(string? s) => new HashSet<string>(SplitList(s).Select(t => t.ToLowerInvariant()), StringComparer.Ordinal);
            var w = Read(r.Wanted);
            var a = Read(r.Actual);
            if (w.SetEquals(a)) r.Equal(null);
            else r.Set(r.Wanted, Differs(r.Actual, null));
        }

        private static void Description(Rows r, string? decoded)
        {
            // qm config prints it URI-escaped (encode_text); VmConfig holds it decoded. parse_vm_config strips trailing white space.
            var w = TrimEnd(r.Wanted);
            var a = TrimEnd(decoded ?? "");
            if (w == a) r.Equal(null);
            else r.Set(r.Wanted, decoded == null ? "no description yet" : "the text differs");
        }

        private static void Startup(Rows r)
        {
            var w = ParseStartup(r.Wanted);
            var a = ParseStartup(r.Actual);
            if (w == null) r.CannotChange($"'{r.Wanted}' does not parse as a startup order ([order=]N,up=N,down=N).");
            else if (a == null) r.CannotChange($"Phoenix cannot read the startup order on the host ('{r.Actual}').");
            else if (w.Count == a.Count && w.All(kv => a.TryGetValue(kv.Key, out var v) && v == kv.Value)) r.Equal(null);
            else r.Set(r.Wanted, Differs(r.Actual, null));
        }

        private static void Boot(Rows r)
        {
            if (!ParseBoth(r, ProxmoxFormats.Boot, out var w, out var a)) return;
            // order= overrides the deprecated legacy letters; without either the legacy default cdn holds.
            static string Meaning(ParsedPropertyString p) =>
                p["order"] is string order ? "order=" + string.Join(";", SplitList(order)) : "legacy=" + p.Effective("legacy");
            if (Meaning(w) == Meaning(a)) r.Equal(null);
            else r.Set(r.Wanted, $"boots {Meaning(a)}, wanted {Meaning(w)}");
        }

        private static void Hotplug(Rows r)
        {
            static ISet<string>? Read(string value)
            {
                if (value == "0") return new HashSet<string>();
                if (value == "1") return new HashSet<string>(DefaultHotplug);
                var set = new HashSet<string>(SplitList(value), StringComparer.Ordinal);
                return set.All(f => Regex.IsMatch(f, "^(network|disk|cpu|memory|usb|cloudinit)$")) ? set : null;
            }
            var w = Read(r.Wanted);
            var a = Read(r.Actual ?? string.Join(",", DefaultHotplug));
            if (w == null) r.CannotChange($"'{r.Wanted}' is not a list of hotplug features (network, disk, cpu, memory, usb, cloudinit, or 0/1).");
            else if (a == null) r.CannotChange($"Phoenix cannot read the hotplug features on the host ('{r.Actual}').");
            else if (w.SetEquals(a)) r.Equal(null);
            else r.Set(r.Wanted, Differs(r.Actual, "network,disk,usb"));
        }

        private static void AddressList(Rows r)
        {
            if (SplitList(r.Wanted).SequenceEqual(SplitList(r.Actual), StringComparer.Ordinal)) r.Equal(null);
            else r.Set(r.Wanted, Differs(r.Actual, null));
        }

        private static void SshKeys(Rows r)
        {
            static IEnumerable<string> Keys(string? s) =>
                ProxmoxParsers.DecodeDescription(s ?? "").Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
            if (Keys(r.Wanted).SequenceEqual(Keys(r.Actual), StringComparer.Ordinal)) r.Equal(null);
            else r.CannotChange("the SSH keys differ; Phoenix sets them through cloud-init from user_config (qm set reads sshkeys from a file), not from qm_options.");
        }

        private static void VmGenId(Rows r)
        {
            var w = r.Wanted;
            bool equal;
            if (w == "1") equal = r.Actual != null && Regex.IsMatch(r.Actual, "^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$");
            else if (w == "0") equal = r.Actual == null || r.Actual == "0";
            else equal = string.Equals(w, r.Actual, StringComparison.OrdinalIgnoreCase);
            if (equal) r.Equal(w == "1" ? "1 asks for a generated ID, and the VM has one" : null);
            else r.Set(w, Differs(r.Actual, null));
        }

        private static void Secret(Rows r)
        {
            if (r.Actual == null) r.Set(r.Wanted, $"no {r.Key} yet");
            else r.CannotChange($"qm config shows {r.Key} only as {VmConfig.MaskedPassword}, so Phoenix cannot tell whether it matches.");
        }

        private static void Smp(Rows r, VmConfig current)
        {
            // write_vm_config turns smp into sockets (and drops cores when there were no sockets).
            if (current["sockets"] is string sockets && PropertyFormat.SameValue(ProxmoxValueType.Integer, sockets, r.Wanted))
                r.Equal("Proxmox keeps smp as sockets");
            else r.CannotChange("Proxmox rewrites smp as sockets (and drops cores) when it stores it, so it never reads back; use sockets and cores.");
        }

        private static void Internal(Rows r)
        {
            if (r.Actual == r.Wanted) r.Equal(null);
            else r.CannotChange($"'{r.Key}' is kept by Proxmox itself; Phoenix does not set it.");
        }

        private static void Unknown(Rows r)
        {
            if (r.Actual == null) r.Set(r.Wanted, $"no {r.Key} yet");
            else if (r.Actual == r.Wanted) r.Equal(null);
            else r.CannotChange($"Phoenix does not know the format of '{r.Key}', so it cannot tell whether '{r.Wanted}' and '{r.Actual}' mean the same.");
        }

        // ---- helpers

        private static IReadOnlyList<string> OptionDifferences(ParsedPropertyString w, ParsedPropertyString a)
        {
            // The volume is compared on its own; size is the volume's (Proxmox reads it from the storage);
            // format and import-from only matter when a volume is allocated, unless both sides name a format.
            // ms-cert is a marker Proxmox itself writes when it enrols newer keys (OVMF.pm create_efidisk).
            var ignore = new List<string> { "file", "size", "import-from" };
            if (w["format"] == null || a["format"] == null) ignore.Add("format");
            if (w["ms-cert"] == null) ignore.Add("ms-cert");
            return ProxmoxFormats.Drive.Differences(w, a, ignore);
        }

        /// <summary>The drive as qm set must get it to change options only: the existing volume and size, the wanted options.</summary>
        private static string KeepVolume(ParsedPropertyString w, ParsedPropertyString a)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in w.Values)
                if (kv.Key != "file" && kv.Key != "size" && kv.Key != "format" && kv.Key != "import-from") values[kv.Key] = kv.Value;
            values["file"] = a["file"]!;
            if (a["size"] is string size) values["size"] = size;
            if (a["format"] is string format && w["format"] != null) values["format"] = format;
            return ProxmoxFormats.Drive.Print(values);
        }

        private static string Describe(IReadOnlyList<string> keys, ParsedPropertyString wanted, ParsedPropertyString actual) =>
            string.Join(", ", keys.Select(k => $"{k} ({actual.Effective(k) ?? "unset"} -> {wanted.Effective(k) ?? "unset"})"));

        private static string Differs(string? actual, string? @default) =>
            actual == null ? (@default != null ? $"not set (Proxmox's default is {@default})" : "not set") : "differs";

        private static string? StorageOf(string volume)
        {
            var colon = volume.IndexOf(':');
            return colon > 0 && volume[0] != '/' ? volume.Substring(0, colon) : null;
        }

        private static string? VolumeName(string volume)
        {
            var colon = volume.IndexOf(':');
            return colon > 0 && volume[0] != '/' ? volume.Substring(colon + 1) : null;
        }

        private static string TrimEnd(string s) => s.TrimEnd(' ', '\t', '\r', '\n', '\f', '\v');

        /// <summary>Collects the rows of one field.</summary>
        private sealed class Rows
        {
            public Rows(string field, string key, string wanted, string? actual)
            {
                Field = field;
                Key = key;
                Wanted = wanted;
                Actual = actual;
            }

            public string Field { get; }
            public string Key { get; }
            public string Wanted { get; }
            public string? Actual { get; }
            public List<FieldComparison> List { get; } = new List<FieldComparison>();

            public void Equal(string? note) => List.Add(new FieldComparison(Field, Key, Wanted, Actual, DesiredAction.Equal, reason: note));
            public void Set(string value, string why) => List.Add(new FieldComparison(Field, Key, Wanted, Actual, DesiredAction.Set, setValue: value, reason: why));
            public void Resize(string size, string why) => List.Add(new FieldComparison(Field, Key, Wanted, Actual, DesiredAction.Resize, resizeTo: size, reason: why));
            public void CannotChange(string why) => List.Add(new FieldComparison(Field, Key, Wanted, Actual, DesiredAction.CannotChange, reason: why));
        }
    }
}
