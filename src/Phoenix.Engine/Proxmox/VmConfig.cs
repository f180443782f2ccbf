using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// The output of <c>qm config</c>: <c>key: value</c> pairs in the order printed. The
    /// description is stored decoded (Proxmox prints it URI-escaped); cipassword stays as the
    /// <c>**********</c> Proxmox prints.
    /// </summary>
    public sealed class VmConfig
    {
        /// <summary>What qm config prints instead of the cloud-init password.</summary>
        public const string MaskedPassword = "**********";

        private static readonly Regex DiskKey = new Regex(@"^(?:(?:ide|sata|scsi|virtio|unused)\d+|efidisk0|tpmstate0)$", RegexOptions.CultureInvariant);
        private static readonly Regex NetKey = new Regex(@"^net\d+$", RegexOptions.CultureInvariant);

        private readonly List<KeyValuePair<string, string>> _entries;
        private readonly Dictionary<string, string> _byKey;

        public VmConfig(IEnumerable<KeyValuePair<string, string>> entries)
        {
            _entries = new List<KeyValuePair<string, string>>();
            _byKey = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in entries ?? throw new ArgumentNullException(nameof(entries)))
            {
                // A repeated key would be a broken output; the last one printed is what Proxmox holds.
                if (_byKey.ContainsKey(entry.Key)) _entries.RemoveAll(e => e.Key == entry.Key);
                _entries.Add(entry);
                _byKey[entry.Key] = entry.Value;
            }
        }

        /// <summary>Every key and value in the order qm printed them.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

        /// <summary>The keys in order.</summary>
        public IEnumerable<string> Keys => _entries.Select(e => e.Key);

        /// <summary>The value of <paramref name="key"/>, or null.</summary>
        public string? this[string key] => _byKey.TryGetValue(key, out var v) ? v : null;

        /// <summary>True when the key is present.</summary>
        public bool ContainsKey(string key) => _byKey.ContainsKey(key);

        /// <summary>The value of <paramref name="key"/>.</summary>
        public bool TryGetValue(string key, out string value)
        {
            if (_byKey.TryGetValue(key, out var v)) { value = v; return true; }
            value = "";
            return false;
        }

        /// <summary>The VM name (Proxmox shows <c>VM &lt;vmid&gt;</c> in lists when there is none).</summary>
        public string? Name => this["name"];

        /// <summary>The description, decoded.</summary>
        public string? Description => this["description"];

        /// <summary>True when <c>template: 1</c>.</summary>
        public bool IsTemplate => IsTrue(this["template"]);

        /// <summary>The lock (clone, snapshot, backup, ...), or null.</summary>
        public string? Lock => this["lock"];

        /// <summary>The snapshot the current state derives from, or null.</summary>
        public string? Parent => this["parent"];

        /// <summary>True when an <c>agent</c> key exists at all: Proxmox's "configured" test (<c>agent: 0</c> counts).</summary>
        public bool HasAgentKey => ContainsKey("agent");

        /// <summary>True when the guest agent is enabled (<c>agent: 1</c> or <c>agent: enabled=1,...</c>).</summary>
        public bool IsAgentEnabled
        {
            get
            {
                var agent = this["agent"];
                if (agent == null) return false;
                var ps = PropertyString.Parse(agent, "enabled");
                return IsTrue(ps["enabled"]);
            }
        }

        /// <summary>True when a cloud-init password is set (its value is never shown).</summary>
        public bool HasCloudInitPassword => ContainsKey("cipassword");

        /// <summary>Number of cores, when set.</summary>
        public int? Cores => Int(this["cores"]);

        /// <summary>Memory in MiB, when set (<c>memory: 2048</c> or <c>memory: current=2048</c>).</summary>
        public long? MemoryMb
        {
            get
            {
                var memory = this["memory"];
                if (memory == null) return null;
                var current = PropertyString.Parse(memory, "current")["current"];
                return long.TryParse(current, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : (long?)null;
            }
        }

        /// <summary>The disks and cdroms (ide/sata/scsi/virtio N, efidisk0, tpmstate0, unusedN) in printed order.</summary>
        public IReadOnlyList<VmDisk> Disks =>
            _entries.Where(e => DiskKey.IsMatch(e.Key)).Select(e => VmDisk.Parse(e.Key, e.Value)).ToList();

        /// <summary>The network devices (netN) in printed order.</summary>
        public IReadOnlyList<VmNetworkDevice> NetworkDevices =>
            _entries.Where(e => NetKey.IsMatch(e.Key)).Select(e => VmNetworkDevice.Parse(e.Key, e.Value)).ToList();

        /// <summary>The disk with <paramref name="key"/>, or null.</summary>
        public VmDisk? GetDisk(string key) => this[key] is string v && DiskKey.IsMatch(key) ? VmDisk.Parse(key, v) : null;

        /// <summary>The cloud-init drive (a drive whose volume is <c>*-cloudinit*</c>), or null.</summary>
        public VmDisk? CloudInitDrive => Disks.FirstOrDefault(d => d.IsCloudInit);

        /// <summary>The value of <paramref name="key"/> as a property string, or null.</summary>
        public PropertyString? GetPropertyString(string key, string? defaultKey = null) =>
            this[key] is string v ? PropertyString.Parse(v, defaultKey) : null;

        /// <summary>The configuration as <c>key: value</c> lines (cipassword stays masked as Proxmox printed it).</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            foreach (var e in _entries)
            {
                var value = e.Key == "cipassword" ? MaskedPassword : e.Value;
                sb.Append(e.Key).Append(": ").Append(value).Append('\n');
            }
            return sb.ToString();
        }

        internal static bool IsTrue(string? value) =>
            value == "1" || string.Equals(value, "on", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(value, "yes", StringComparison.OrdinalIgnoreCase) || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

        private static int? Int(string? value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : (int?)null;
    }

    /// <summary>
    /// A Proxmox property string such as <c>local-lvm:vm-100-disk-0,size=32G</c> or
    /// <c>virtio=BC:24:11:AA:BB:CC,bridge=vmbr0</c>: comma-separated items, each <c>key=value</c>
    /// or a bare value that belongs to the format's default key. Values may be double-quoted.
    /// </summary>
    public sealed class PropertyString
    {
        private readonly List<KeyValuePair<string?, string>> _items;

        private PropertyString(List<KeyValuePair<string?, string>> items, string? defaultKey)
        {
            _items = items;
            DefaultKey = defaultKey;
        }

        /// <summary>The items in order; a bare value has the default key (or null when there is none).</summary>
        public IReadOnlyList<KeyValuePair<string?, string>> Items => _items;

        /// <summary>The key that bare values were given.</summary>
        public string? DefaultKey { get; }

        /// <summary>The value of <paramref name="key"/> (the last one when repeated), or null.</summary>
        public string? this[string key]
        {
            get
            {
                for (var i = _items.Count - 1; i >= 0; i--)
                    if (_items[i].Key == key) return _items[i].Value;
                return null;
            }
        }

        /// <summary>The first bare value (no <c>=</c>), or null.</summary>
        public string? BareValue => _items.Where(i => i.Key == DefaultKey).Select(i => i.Value).FirstOrDefault();

        /// <summary>The items with keys, as a dictionary (later items win).</summary>
        public IReadOnlyDictionary<string, string> ToDictionary()
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in _items)
                if (item.Key != null) d[item.Key] = item.Value;
            return d;
        }

        /// <summary>Splits <paramref name="text"/>; bare items get <paramref name="defaultKey"/>.</summary>
        public static PropertyString Parse(string text, string? defaultKey = null)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var items = new List<KeyValuePair<string?, string>>();
            var i = 0;
            while (i < text.Length)
            {
                var item = ReadItem(text, ref i);
                if (item.Length == 0) continue;
                var eq = IndexOfUnquoted(item, '=');
                if (eq <= 0)
                {
                    items.Add(new KeyValuePair<string?, string>(defaultKey, Unquote(item)));
                }
                else
                {
                    items.Add(new KeyValuePair<string?, string>(item.Substring(0, eq).Trim(), Unquote(item.Substring(eq + 1))));
                }
            }
            return new PropertyString(items, defaultKey);
        }

        private static string ReadItem(string text, ref int i)
        {
            var sb = new StringBuilder();
            var quoted = false;
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted && c == '\\' && i + 1 < text.Length) { sb.Append(c).Append(text[++i]); continue; }
                if (c == '"') quoted = !quoted;
                if (c == ',' && !quoted) { i++; break; }
                sb.Append(c);
            }
            return sb.ToString();
        }

        private static int IndexOfUnquoted(string item, char wanted)
        {
            for (var i = 0; i < item.Length; i++)
            {
                if (item[i] == '"') return -1;
                if (item[i] == wanted) return i;
            }
            return -1;
        }

        private static string Unquote(string value)
        {
            if (value.Length < 2 || value[0] != '"' || value[value.Length - 1] != '"') return value;
            var sb = new StringBuilder();
            for (var i = 1; i < value.Length - 1; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length - 1) i++;
                sb.Append(value[i]);
            }
            return sb.ToString();
        }
    }

    /// <summary>A disk or cdrom line of a VM configuration, for example <c>scsi0: local-lvm:base-9000-disk-0,size=32G</c>.</summary>
    public sealed class VmDisk
    {
        private VmDisk(string key, string volume, IReadOnlyDictionary<string, string> options, string raw)
        {
            Key = key;
            Volume = volume;
            Options = options;
            Raw = raw;
        }

        /// <summary>The configuration key (scsi0, ide2, unused0, ...).</summary>
        public string Key { get; }

        /// <summary>The volume: <c>&lt;storage&gt;:&lt;name&gt;</c>, an absolute path, or <c>none</c> for an empty cdrom.</summary>
        public string Volume { get; }

        /// <summary>The options after the volume (size, media, format, ...).</summary>
        public IReadOnlyDictionary<string, string> Options { get; }

        /// <summary>The line's value as printed.</summary>
        public string Raw { get; }

        /// <summary>The storage ID part of <see cref="Volume"/>, or null for paths and <c>none</c>.</summary>
        public string? StorageId
        {
            get
            {
                var colon = Volume.IndexOf(':');
                return colon > 0 && Volume[0] != '/' ? Volume.Substring(0, colon) : null;
            }
        }

        /// <summary>The part of <see cref="Volume"/> after the storage ID.</summary>
        public string? VolumeName
        {
            get
            {
                var colon = Volume.IndexOf(':');
                return colon > 0 && Volume[0] != '/' ? Volume.Substring(colon + 1) : null;
            }
        }

        /// <summary>The <c>size</c> option as printed (for example <c>32G</c>), or null.</summary>
        public string? Size => Options.TryGetValue("size", out var s) ? s : null;

        /// <summary>The size in bytes, when <see cref="Size"/> can be read.</summary>
        public long? SizeBytes => ParseSize(Size);

        /// <summary>True for <c>media=cdrom</c>.</summary>
        public bool IsCdrom => Options.TryGetValue("media", out var m) && m == "cdrom";

        /// <summary>True for the cloud-init drive.</summary>
        public bool IsCloudInit => (VolumeName ?? Volume).IndexOf("-cloudinit", StringComparison.Ordinal) >= 0;

        /// <summary>True for a template's base volume (<c>base-N-disk-M</c>).</summary>
        public bool IsBaseVolume => (VolumeName ?? "").StartsWith("base-", StringComparison.Ordinal) || (VolumeName ?? "").Contains("/base-");

        /// <summary>True for <c>unusedN</c>.</summary>
        public bool IsUnused => Key.StartsWith("unused", StringComparison.Ordinal);

        /// <summary>Reads one disk line's value.</summary>
        public static VmDisk Parse(string key, string value)
        {
            var ps = PropertyString.Parse(value, "file");
            var volume = ps["file"] ?? ps["volume"] ?? "";
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in ps.Items)
                if (item.Key != null && item.Key != "file" && item.Key != "volume") options[item.Key] = item.Value;
            return new VmDisk(key, volume, options, value);
        }

        /// <summary>
        /// Reads a Proxmox size as PVE::JSONSchema::parse_size does (<c>512</c> bytes, <c>4M</c>, <c>32G</c>,
        /// <c>1.5T</c>, and the <c>KiB</c>/<c>MiB</c>/<c>GiB</c>/<c>TiB</c> spellings newer releases accept).
        /// </summary>
        public static long? ParseSize(string? size)
        {
            if (string.IsNullOrEmpty(size)) return null;
            var m = Regex.Match(size, @"^(\d+(?:\.\d+)?)(?:([KMGT])(?:iB)?)?$", RegexOptions.CultureInvariant);
            if (!m.Success) return null;
            var number = decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            long factor;
            switch (m.Groups[2].Value)
            {
                case "K": factor = 1L << 10; break;
                case "M": factor = 1L << 20; break;
                case "G": factor = 1L << 30; break;
                case "T": factor = 1L << 40; break;
                default: factor = 1; break;
            }
            return (long)(number * factor);
        }

        public override string ToString() => $"{Key}: {Raw}";
    }

    /// <summary>A network line of a VM configuration, for example <c>net0: virtio=BC:24:11:AA:BB:CC,bridge=vmbr0</c>.</summary>
    public sealed class VmNetworkDevice
    {
        /// <summary>The NIC models Proxmox knows; in a net line the model is the key and the MAC its value.</summary>
        public static IReadOnlyCollection<string> Models { get; } = new[]
        {
            "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er",
            "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3",
        };

        private VmNetworkDevice(string key, string? model, string? macAddress, IReadOnlyDictionary<string, string> options, string raw)
        {
            Key = key;
            Model = model;
            MacAddress = macAddress;
            Options = options;
            Raw = raw;
        }

        /// <summary>The configuration key (net0, net1, ...).</summary>
        public string Key { get; }

        /// <summary>The NIC model (virtio, e1000, ...).</summary>
        public string? Model { get; }

        /// <summary>The MAC address as printed (upper-case), or null.</summary>
        public string? MacAddress { get; }

        /// <summary>The bridge, or null.</summary>
        public string? Bridge => Options.TryGetValue("bridge", out var b) ? b : null;

        /// <summary>The VLAN tag, or null.</summary>
        public int? Tag => Options.TryGetValue("tag", out var t) && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : (int?)null;

        /// <summary>The options besides model and MAC (bridge, firewall, tag, ...).</summary>
        public IReadOnlyDictionary<string, string> Options { get; }

        /// <summary>The line's value as printed.</summary>
        public string Raw { get; }

        /// <summary>Reads one net line's value.</summary>
        public static VmNetworkDevice Parse(string key, string value)
        {
            var ps = PropertyString.Parse(value, "model");
            string? model = null, mac = null;
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in ps.Items)
            {
                if (item.Key != null && Models.Contains(item.Key) && model == null)
                {
                    model = item.Key;
                    mac = item.Value.Length > 0 ? item.Value : null;
                }
                else if (item.Key == "model") model = item.Value;
                else if (item.Key == "macaddr") mac = item.Value;
                else if (item.Key != null) options[item.Key] = item.Value;
            }
            return new VmNetworkDevice(key, model, mac, options, value);
        }

        public override string ToString() => $"{Key}: {Raw}";
    }
}
