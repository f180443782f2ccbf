using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace Phoenix.Simulator.Model
{
    /// <summary>A drive value such as <c>local-lvm:vm-100-disk-0,discard=on,size=32G</c>.</summary>
    internal sealed class DriveSpec
    {
        private static readonly Regex DriveName =
            new Regex(@"^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)$", RegexOptions.Compiled);
        private static readonly Regex CloudInitFile = new Regex(@"[:/](?:vm-\d+-)?cloudinit(?:\.(raw|qcow2|vmdk))?$", RegexOptions.Compiled);

        public DriveSpec(string file) { File = file; }

        public string File { get; set; }

        /// <summary>Options after the volume, printed in byte order like Proxmox's print_drive.</summary>
        public SortedDictionary<string, string> Options { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        public string? this[string key]
        {
            get => Options.TryGetValue(key, out var v) ? v : null;
            set
            {
                if (value == null) Options.Remove(key);
                else Options[key] = value;
            }
        }

        public static bool IsDriveName(string key) => DriveName.IsMatch(key);

        public static IEnumerable<string> AllDriveNames()
        {
            for (var i = 0; i <= 3; i++) yield return "ide" + i;
            for (var i = 0; i <= 5; i++) yield return "sata" + i;
            for (var i = 0; i <= 30; i++) yield return "scsi" + i;
            for (var i = 0; i <= 15; i++) yield return "virtio" + i;
            yield return "efidisk0";
            yield return "tpmstate0";
        }

        /// <summary>Parses a drive value; null when it has no volume.</summary>
        public static DriveSpec? Parse(string value)
        {
            string? file = null;
            var opts = new List<KeyValuePair<string, string>>();
            foreach (var part in value.Split(','))
            {
                if (part.Trim().Length == 0) continue;
                var eq = part.IndexOf('=');
                if (eq < 0)
                {
                    if (file != null) return null;
                    file = part;
                }
                else
                {
                    var k = part.Substring(0, eq);
                    var v = part.Substring(eq + 1);
                    if (k == "file" || k == "volume") file = v;
                    else opts.Add(new KeyValuePair<string, string>(k, v));
                }
            }
            if (file == null) return null;
            var d = new DriveSpec(file);
            foreach (var kv in opts) d.Options[kv.Key] = kv.Value;
            return d;
        }

        public bool IsCdrom => this["media"] == "cdrom";

        public bool IsCloudInit => CloudInitFile.IsMatch(File);

        public override string ToString()
        {
            if (Options.Count == 0) return File;
            return File + "," + string.Join(",", Options.Select(kv => kv.Key + "=" + kv.Value));
        }

        /// <summary>The drive's size in bytes, from its size= option.</summary>
        public long SizeBytes => this["size"] is string s ? Internal.PveText.ParseSize(s) ?? 0 : 0;
    }

    /// <summary>A network value such as <c>virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1</c>.</summary>
    internal sealed class NetSpec
    {
        public static readonly string[] Models =
        {
            "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er",
            "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3",
        };

        public string Model { get; set; } = "virtio";

        public string? Mac { get; set; }

        public SortedDictionary<string, string> Options { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Parses a net value; returns an error text (without newline) when it cannot.</summary>
        public static NetSpec? Parse(string value, out string? error)
        {
            error = null;
            var net = new NetSpec();
            var modelSeen = false;
            foreach (var part in value.Split(','))
            {
                if (part.Trim().Length == 0) continue;
                var eq = part.IndexOf('=');
                var k = eq < 0 ? part : part.Substring(0, eq);
                var v = eq < 0 ? null : part.Substring(eq + 1);
                if (Models.Contains(k))
                {
                    if (modelSeen)
                    {
                        error = "duplicate key in comma-separated list property: model";
                        return null;
                    }
                    modelSeen = true;
                    net.Model = k;
                    net.Mac = v;
                }
                else if (k == "model")
                {
                    modelSeen = true;
                    net.Model = v ?? "";
                }
                else if (k == "macaddr")
                {
                    net.Mac = v;
                }
                else if (v == null)
                {
                    error = "value without key, but schema does not define a default key";
                    return null;
                }
                else
                {
                    switch (k)
                    {
                        case "bridge":
                        case "firewall":
                        case "link_down":
                        case "mtu":
                        case "queues":
                        case "rate":
                        case "tag":
                        case "trunks":
                            net.Options[k] = v;
                            break;
                        default:
                            error = "invalid key in comma-separated list property: " + k;
                            return null;
                    }
                }
            }
            if (!modelSeen)
            {
                error = "format error";
                return null;
            }
            if (!Models.Contains(net.Model))
            {
                error = "format error";
                return null;
            }
            if (net.Mac != null && !Regex.IsMatch(net.Mac, "^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"))
            {
                error = "format error";
                return null;
            }
            return net;
        }

        public override string ToString()
        {
            var s = Mac != null ? Model + "=" + Mac : Model;
            if (Options.Count > 0) s += "," + string.Join(",", Options.Select(kv => kv.Key + "=" + kv.Value));
            return s;
        }
    }
}
