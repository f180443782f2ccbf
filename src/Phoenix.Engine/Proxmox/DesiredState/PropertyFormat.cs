using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>How Proxmox's schema types a value, which decides when two spellings mean the same.</summary>
    public enum ProxmoxValueType
    {
        /// <summary>Compared to the letter.</summary>
        String,

        /// <summary><c>1/on/yes/true</c> and <c>0/off/no/false</c> (JSONSchema parse_boolean, any case).</summary>
        Boolean,

        /// <summary>A whole number: <c>04</c> is <c>4</c>.</summary>
        Integer,

        /// <summary>A decimal number: <c>1.50</c> is <c>1.5</c>.</summary>
        Number,

        /// <summary>A disk size with an optional unit (<c>K M G T</c>, also <c>KiB</c> ...): <c>32G</c> is <c>32768M</c>.</summary>
        DiskSize,

        /// <summary>A MAC address, compared without regard to case.</summary>
        MacAddress,

        /// <summary>CPU flags <c>+aes;-pcid</c>: a set of flags with their sign, order irrelevant, the last of a name wins.</summary>
        CpuFlags,
    }

    /// <summary>One key of a property-string format, as a <c>$..._fmt</c> hash in qemu-server declares it.</summary>
    public sealed class PropertyKey
    {
        internal PropertyKey(string name, ProxmoxValueType type, string? defaultValue, bool isDefaultKey, string? aliasOf, string? keyAlias)
        {
            Name = name;
            Type = type;
            Default = defaultValue;
            IsDefaultKey = isDefaultKey;
            AliasOf = aliasOf;
            KeyAlias = keyAlias;
        }

        /// <summary>The key.</summary>
        public string Name { get; }

        /// <summary>Its type.</summary>
        public ProxmoxValueType Type { get; }

        /// <summary>
        /// The value an omitted key has: the schema's <c>default</c>, or where qemu-server's code treats an
        /// omitted key as a fixed value (a drive's <c>backup</c> is on unless set to 0), that value. Null: no default.
        /// </summary>
        public string? Default { get; }

        /// <summary>True for the <c>default_key</c>: a bare item without <c>=</c> is its value.</summary>
        public bool IsDefaultKey { get; }

        /// <summary>For an alias (<c>volume</c> of <c>file</c>), the key it stands for.</summary>
        public string? AliasOf { get; }

        /// <summary>
        /// For a <c>keyAlias</c> (a NIC model used as a key, <c>virtio=MAC</c>): the key that receives the
        /// key's own name (<c>model</c>), while the value goes to <see cref="AliasOf"/> (<c>macaddr</c>).
        /// </summary>
        public string? KeyAlias { get; }
    }

    /// <summary>
    /// A property string read by its format the way PVE::JSONSchema::parse_property_string does: items split
    /// at commas, <c>key=value</c> or a bare value for the default key, aliases resolved, booleans as 1/0.
    /// Keys the format does not know are kept to the letter (a newer Proxmox may know them).
    /// </summary>
    public sealed class ParsedPropertyString
    {
        internal ParsedPropertyString(PropertyFormat format, IReadOnlyDictionary<string, string> values)
        {
            Format = format;
            Values = values;
        }

        /// <summary>The format it was read with.</summary>
        public PropertyFormat Format { get; }

        /// <summary>The keys given, after aliases, with booleans as <c>1</c>/<c>0</c>.</summary>
        public IReadOnlyDictionary<string, string> Values { get; }

        /// <summary>The given value of <paramref name="key"/>, or null.</summary>
        public string? this[string key] => Values.TryGetValue(key, out var v) ? v : null;

        /// <summary>The value <paramref name="key"/> has: given, else its default, else null.</summary>
        public string? Effective(string key) => this[key] ?? Format.Find(key)?.Default;
    }

    /// <summary>
    /// A property-string format of Proxmox's schema (memory, agent, cpu, netN, drives, vga, ...), with
    /// what it takes to compare two values by meaning and to print one as Proxmox prints it.
    /// </summary>
    public sealed class PropertyFormat
    {
        private readonly Dictionary<string, PropertyKey> _keys;

        internal PropertyFormat(string name, IEnumerable<PropertyKey> keys)
        {
            Name = name;
            _keys = keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
            DefaultKey = _keys.Values.Where(k => k.IsDefaultKey).Select(k => k.Name).SingleOrDefault();
        }

        /// <summary>The format's name (<c>pve-qm-net</c>, ...), for messages.</summary>
        public string Name { get; }

        /// <summary>The key a bare value belongs to, or null.</summary>
        public string? DefaultKey { get; }

        /// <summary>The key's schema, or null when the format does not know it.</summary>
        public PropertyKey? Find(string key) => _keys.TryGetValue(key, out var k) ? k : null;

        /// <summary>Reads <paramref name="text"/>; false with Proxmox's own error text when Proxmox would refuse it.</summary>
        public bool TryParse(string text, out ParsedPropertyString result, out string? error)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            result = new ParsedPropertyString(this, values);
            error = null;
            string? defaultSeen = null;
            // Perl's split(/,/) drops trailing empty fields; blank items are skipped either way.
            foreach (var part in (text ?? "").Split(','))
            {
                if (part.Trim().Length == 0) continue;
                var eq = part.IndexOf('=');
                if (eq > 0 && eq < part.Length - 1)
                {
                    var k = part.Substring(0, eq);
                    var v = part.Substring(eq + 1);
                    if (values.ContainsKey(k)) return Fail(out error, "duplicate key in comma-separated list property: " + k);
                    var schema = Find(k);
                    if (schema?.AliasOf != null)
                    {
                        if (schema.KeyAlias != null)
                        {
                            if (values.ContainsKey(schema.KeyAlias)) return Fail(out error, "key alias '" + schema.KeyAlias + "' is already defined");
                            values[schema.KeyAlias] = k;
                        }
                        k = schema.AliasOf;
                        schema = Find(k);
                        if (values.ContainsKey(k)) return Fail(out error, "key '" + k + "' is already defined (via alias)");
                    }
                    values[k] = Normalize(schema, v);
                }
                else if (eq < 0)
                {
                    if (defaultSeen != null || DefaultKey == null)
                    {
                        return Fail(out error, DefaultKey == null
                            ? "value without key, but schema does not define a default key"
                            : "duplicate key in comma-separated list property: " + DefaultKey);
                    }
                    defaultSeen = DefaultKey;
                    if (values.ContainsKey(DefaultKey)) return Fail(out error, "duplicate key in comma-separated list property: " + DefaultKey);
                    values[DefaultKey] = Normalize(Find(DefaultKey), part);
                }
                else
                {
                    return Fail(out error, "missing key in comma-separated list property");
                }
            }
            return true;
        }

        /// <summary>
        /// Prints <paramref name="values"/> as print_property_string does: the default key first (bare; a NIC
        /// model joined with its MAC as <c>virtio=MAC</c>), then the other keys in byte order. Sizes print
        /// as format_size prints them.
        /// </summary>
        public string Print(IReadOnlyDictionary<string, string> values)
        {
            var parts = new List<string>();
            var done = new HashSet<string>(StringComparer.Ordinal);
            if (DefaultKey != null && values.TryGetValue(DefaultKey, out var dv))
            {
                done.Add(DefaultKey);
                var joined = _keys.Values.FirstOrDefault(k => k.KeyAlias == DefaultKey)?.AliasOf;
                if (joined != null && values.TryGetValue(joined, out var jv))
                {
                    parts.Add(dv + "=" + jv);
                    done.Add(joined);
                }
                else parts.Add(dv);
            }
            foreach (var kv in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (done.Contains(kv.Key)) continue;
                var type = Find(kv.Key)?.Type;
                var text = type == ProxmoxValueType.DiskSize && VmDisk.ParseSize(kv.Value) is long bytes ? ProxmoxSize.Format(bytes) : kv.Value;
                parts.Add(kv.Key + "=" + text);
            }
            return string.Join(",", parts);
        }

        /// <summary>
        /// The keys whose values differ by meaning (given or default), in byte order, leaving out
        /// <paramref name="ignore"/>. A key neither side gives and that has no default is equal.
        /// </summary>
        public IReadOnlyList<string> Differences(ParsedPropertyString a, ParsedPropertyString b, IEnumerable<string>? ignore = null)
        {
            var skip = new HashSet<string>(ignore ?? Enumerable.Empty<string>(), StringComparer.Ordinal);
            var keys = new SortedSet<string>(a.Values.Keys.Concat(b.Values.Keys), StringComparer.Ordinal);
            return keys.Where(k => !skip.Contains(k) && !SameValue(Find(k)?.Type ?? ProxmoxValueType.String, a.Effective(k), b.Effective(k))).ToList();
        }

        /// <summary>True when two values of <paramref name="type"/> mean the same (both null: the same).</summary>
        public static bool SameValue(ProxmoxValueType type, string? a, string? b)
        {
            if (a == null || b == null) return a == null && b == null;
            switch (type)
            {
                case ProxmoxValueType.Boolean:
                    return (ParseBoolean(a) ?? a) == (ParseBoolean(b) ?? b);
                case ProxmoxValueType.Integer:
                    return long.TryParse(a, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ia) &&
                           long.TryParse(b, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ib)
                        ? ia == ib : a == b;
                case ProxmoxValueType.Number:
                    return decimal.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var na) &&
                           decimal.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var nb)
                        ? na == nb : a == b;
                case ProxmoxValueType.DiskSize:
                    return VmDisk.ParseSize(a) is long sa && VmDisk.ParseSize(b) is long sb ? sa == sb : a == b;
                case ProxmoxValueType.MacAddress:
                    return string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
                case ProxmoxValueType.CpuFlags:
                    return SameFlags(a, b);
                default:
                    return a == b;
            }
        }

        /// <summary>PVE::JSONSchema::parse_boolean: 1 or 0, null when the text is no boolean.</summary>
        public static string? ParseBoolean(string value)
        {
            if (Regex.IsMatch(value, "^(1|on|yes|true)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)) return "1";
            if (Regex.IsMatch(value, "^(0|off|no|false)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)) return "0";
            return null;
        }

        private static bool SameFlags(string a, string b)
        {
            static IDictionary<string, char> Read(string s)
            {
                var d = new SortedDictionary<string, char>(StringComparer.Ordinal);
                foreach (var f in s.Split(';').Select(x => x.Trim()).Where(x => x.Length > 0))
                    d[f.TrimStart('+', '-')] = f[0] == '-' ? '-' : '+';
                return d;
            }
            var x = Read(a);
            var y = Read(b);
            return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var sign) && sign == kv.Value);
        }

        private static string Normalize(PropertyKey? schema, string value) =>
            schema?.Type == ProxmoxValueType.Boolean ? ParseBoolean(value) ?? value : value;

        private static bool Fail(out string? error, string message)
        {
            error = message;
            return false;
        }

        /// <summary>The format's keys, for building formats in code.</summary>
        internal sealed class Builder
        {
            private readonly string _name;
            private readonly List<PropertyKey> _keys = new List<PropertyKey>();

            public Builder(string name) { _name = name; }

            public Builder Key(string name, ProxmoxValueType type = ProxmoxValueType.String, string? @default = null, bool defaultKey = false)
            {
                _keys.Add(new PropertyKey(name, type, @default, defaultKey, null, null));
                return this;
            }

            public Builder Alias(string name, string of, string? keyAlias = null)
            {
                _keys.Add(new PropertyKey(name, ProxmoxValueType.String, null, false, of, keyAlias));
                return this;
            }

            public PropertyFormat Build() => new PropertyFormat(_name, _keys);
        }
    }

    /// <summary>Disk sizes as PVE::JSONSchema parses and prints them.</summary>
    public static class ProxmoxSize
    {
        /// <summary>format_size: the largest unit that divides the size exactly (<c>32G</c>, <c>4M</c>, <c>512</c>).</summary>
        public static string Format(long bytes)
        {
            var kb = bytes / 1024;
            if (kb * 1024 != bytes) return bytes.ToString(CultureInfo.InvariantCulture);
            var mb = kb / 1024;
            if (mb * 1024 != kb) return kb.ToString(CultureInfo.InvariantCulture) + "K";
            var gb = mb / 1024;
            if (gb * 1024 != mb) return mb.ToString(CultureInfo.InvariantCulture) + "M";
            var tb = gb / 1024;
            if (tb * 1024 != gb) return gb.ToString(CultureInfo.InvariantCulture) + "G";
            return tb.ToString(CultureInfo.InvariantCulture) + "T";
        }

        /// <summary>
        /// The bytes a new disk <c>storage:N</c> asks for: N GiB (decimals allowed) in KiB rounded up, as
        /// PVE::Tools::convert_size gives vdisk_alloc.
        /// </summary>
        public static long FromGigabytes(decimal gb)
        {
            var kib = gb * 1024m * 1024m;
            var whole = decimal.Truncate(kib);
            if (kib > whole) whole += 1;
            return (long)whole * 1024;
        }
    }
}
