using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

// ApiSchema: each command's API parameters and how the CLI reads them, as PVE::JSONSchema and
// PVE::CLIHandler do. (The phoenix-sim program that the fake host runs is src/Phoenix.Simulator.Cli.)
namespace Phoenix.Simulator.ApiSchema
{
    internal enum PropType
    {
        String,
        Integer,
        Number,
        Boolean,
        Array,
    }

    /// <summary>
    /// A format check. Returns null when the value is fine, else the text Proxmox's validator dies with,
    /// including its trailing newline (which is what makes the blank line after `invalid format - ...`).
    /// </summary>
    internal delegate string? FormatCheck(string value, string path);

    /// <summary>One API parameter, as much of Proxmox's JSON schema as the simulator needs.</summary>
    internal sealed class Prop
    {
        public Prop(string name, PropType type = PropType.String) { Name = name; Type = type; }

        public string Name { get; }
        public PropType Type { get; }
        public bool Optional { get; set; } = true;
        public FormatCheck? Format { get; set; }
        public bool ListFormat { get; set; }
        public Regex? Pattern { get; set; }
        public int? MaxLength { get; set; }
        public int? MinLength { get; set; }
        public double? Minimum { get; set; }
        public double? Maximum { get; set; }
        public string[]? Enum { get; set; }
        public string? TypeText { get; set; }

        /// <summary>Getopt spec: boolean options take an optional value, the rest a mandatory one.</summary>
        public bool OptionalValue => Type == PropType.Boolean;

        /// <summary>`=s@`: repeatable.</summary>
        public bool Repeatable => ListFormat || Type == PropType.Array;

        public string UsageType()
        {
            if (TypeText != null) return TypeText;
            if (Enum != null) return "<" + string.Join(" | ", Enum.OrderBy(e => e, StringComparer.Ordinal)) + ">";
            switch (Type)
            {
                case PropType.Integer: return "<integer>";
                case PropType.Number: return "<number>";
                case PropType.Boolean: return "<boolean>";
                default: return "<string>";
            }
        }
    }

    /// <summary>Schema checks in Proxmox's order (JSONSchema.pm check_prop).</summary>
    internal static class SchemaCheck
    {
        /// <summary>Checks one value; returns the error text for `path: text` or null.</summary>
        public static string? Check(Prop prop, string value, string path)
        {
            switch (prop.Type)
            {
                case PropType.Integer:
                    if (!PveText.IsInteger(value)) return $"type check ('integer') failed - got '{value}'";
                    break;
                case PropType.Number:
                    if (!PveText.IsNumber(value)) return $"type check ('number') failed - got '{value}'";
                    break;
                case PropType.Boolean:
                    if (value != "0" && value != "1") return $"type check ('boolean') failed - got '{value}'";
                    break;
            }
            if (prop.Format != null)
            {
                if (prop.ListFormat)
                {
                    foreach (var item in SplitList(value))
                    {
                        var err = prop.Format(item, path);
                        if (err != null) return "invalid format - " + err;
                    }
                }
                else
                {
                    var err = prop.Format(value, path);
                    if (err != null) return "invalid format - " + err;
                }
            }
            if (prop.Pattern != null && !prop.Pattern.IsMatch(value)) return "value does not match the regex pattern";
            if (prop.MaxLength is int max && value.Length > max) return $"value may only be {max} characters long";
            if (prop.MinLength is int min && value.Length < min) return $"value must be at least {min} characters long";
            if (PveText.IsNumber(value))
            {
                var d = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                if (prop.Maximum is double mx && d > mx) return $"value must have a maximum value of {PveText.PerlNumber(mx)}";
                if (prop.Minimum is double mn && d < mn) return $"value must have a minimum value of {PveText.PerlNumber(mn)}";
            }
            if (prop.Enum != null && !prop.Enum.Contains(value))
                return $"value '{value}' does not have a value in the enumeration '{string.Join(", ", prop.Enum)}'";
            return null;
        }

        /// <summary>PVE::Tools::split_list.</summary>
        public static IEnumerable<string> SplitList(string value)
        {
            if (value.IndexOf('\0') >= 0) return value.Split('\0');
            return Regex.Split(Regex.Replace(value, "[,;]", " ").TrimStart(), @"\s+").Where(s => s.Length > 0);
        }
    }

    /// <summary>A property-string format (`key=value,...`), checked like parse_property_string.</summary>
    internal sealed class PropertyStringFormat
    {
        private readonly Dictionary<string, Prop> _keys = new Dictionary<string, Prop>(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _requires = new Dictionary<string, string>(StringComparer.Ordinal);

        public PropertyStringFormat(string? defaultKey = null) { DefaultKey = defaultKey; }

        public string? DefaultKey { get; }

        public PropertyStringFormat Key(Prop prop, string? requires = null)
        {
            _keys[prop.Name] = prop;
            if (requires != null) _requires[prop.Name] = requires;
            return this;
        }

        public Dictionary<string, string> Parse(string data, out string? error, string path)
        {
            var res = new Dictionary<string, string>(StringComparer.Ordinal);
            error = null;
            string? defaultKeyUsed = null;
            foreach (var part in data.Split(','))
            {
                if (part.Trim().Length == 0) continue;
                var m = Regex.Match(part, "^([^=]+)=(.+)$", RegexOptions.Singleline);
                if (m.Success)
                {
                    var k = m.Groups[1].Value;
                    var v = m.Groups[2].Value;
                    if (res.ContainsKey(k))
                    {
                        error = $"duplicate key in comma-separated list property: {k}\n";
                        return res;
                    }
                    if (!_keys.TryGetValue(k, out var schema))
                    {
                        error = $"invalid key in comma-separated list property: {k}\n";
                        return res;
                    }
                    if (schema.Type == PropType.Boolean && PveText.ParseBoolean(v) is int b) v = b.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    res[k] = v;
                }
                else if (part.IndexOf('=') < 0)
                {
                    if (defaultKeyUsed != null)
                    {
                        error = $"duplicate key in comma-separated list property: {defaultKeyUsed}\n";
                        return res;
                    }
                    if (DefaultKey == null)
                    {
                        error = "value without key, but schema does not define a default key\n";
                        return res;
                    }
                    defaultKeyUsed = DefaultKey;
                    if (res.ContainsKey(DefaultKey))
                    {
                        error = $"duplicate key in comma-separated list property: {DefaultKey}\n";
                        return res;
                    }
                    var schema = _keys[DefaultKey];
                    var v = part;
                    if (schema.Type == PropType.Boolean && PveText.ParseBoolean(v) is int b) v = b.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    res[DefaultKey] = v;
                }
                else
                {
                    error = "missing key in comma-separated list property\n";
                    return res;
                }
            }

            // check_object: every key's own checks, then `requires`, collected as a nested exception text.
            var errors = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in _keys)
            {
                var sub = path + "." + kv.Key;
                if (!res.TryGetValue(kv.Key, out var v))
                {
                    if (!kv.Value.Optional) errors[sub] = "property is missing and it is not optional";
                    continue;
                }
                var err = SchemaCheck.Check(kv.Value, v, sub);
                if (err != null) errors[sub] = err;
            }
            foreach (var kv in _requires)
            {
                if (res.ContainsKey(kv.Key) && !res.ContainsKey(kv.Value))
                    errors[path + "." + kv.Value] = $"missing property - '{path}.{kv.Key}' requires this property";
            }
            if (errors.Count > 0)
            {
                // PVE::Exception "format error\n" with errors, stringified.
                error = "format error\n" + string.Concat(errors.Select(e => e.Key + ": " + e.Value + "\n"));
            }
            return res;
        }

        public FormatCheck AsCheck() => (value, path) =>
        {
            Parse(value, out var error, path);
            return error;
        };
    }

    /// <summary>The named formats of Proxmox's schema that the simulated commands use.</summary>
    internal static class Formats
    {
        public const string Ipv4Re = @"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        private const string DnsLabel = "[a-zA-Z0-9](?:[a-zA-Z0-9\\-]*[a-zA-Z0-9])?";

        public static readonly FormatCheck Vmid = (v, p) => Regex.IsMatch(v, "^[1-9][0-9]{2,8}$") ? null : "value does not look like a valid VM ID\n";

        public static readonly FormatCheck ConfigId = (v, p) =>
            Regex.IsMatch(v, "^[a-z][a-z0-9_-]+$", RegexOptions.IgnoreCase) ? null : $"invalid configuration ID '{v}'\n";

        public static readonly FormatCheck StorageId = (v, p) =>
            Regex.IsMatch(v, @"^[a-z][a-z0-9\-_.]*[a-z0-9]$", RegexOptions.IgnoreCase) ? null : $"storage ID '{v}' contains illegal characters\n";

        public static readonly FormatCheck VolumeId = (v, p) => StorageConfig.TryParseVolumeId(v, out _, out _) ? null : $"unable to parse volume ID '{v}'\n";

        public static readonly FormatCheck DnsName = (v, p) =>
            Regex.IsMatch(v, $"^(?:{DnsLabel}\\.)*{DnsLabel}$") ? null : "value does not look like a valid DNS name\n";

        public static readonly FormatCheck NodeName = (v, p) => Regex.IsMatch(v, $"^{DnsLabel}$") ? null : "value does not look like a valid node name\n";

        public static readonly FormatCheck Ipv4 = (v, p) => Regex.IsMatch(v, $"^{Ipv4Re}$") ? null : "value does not look like a valid IPv4 address\n";

        public static readonly FormatCheck Ipv6 = (v, p) => IsIpv6(v) ? null : "value does not look like a valid IPv6 address\n";

        public static readonly FormatCheck Address = (v, p) =>
            Regex.IsMatch(v, $"^{Ipv4Re}$") || IsIpv6(v) || Regex.IsMatch(v, $"^(?:{DnsLabel}\\.)*{DnsLabel}$")
                ? null
                : $"value does not look like a valid address: {v}\n";

        public static readonly FormatCheck Urlencoded = (v, p) => Regex.IsMatch(v, @"^[-%a-zA-Z0-9_.!~*'()]*$") ? null : $"invalid urlencoded string: {v}\n";

        public static readonly FormatCheck Tag = (v, p) =>
            Regex.IsMatch(v, @"^[a-z0-9_][a-z0-9_\-+.]*$", RegexOptions.IgnoreCase) ? null : "invalid characters in tag\n";

        public static readonly FormatCheck StartupOrder = (v, p) =>
        {
            if (string.IsNullOrEmpty(v)) return "unable to parse startup options\n";
            foreach (var part in v.Split(','))
            {
                if (part.Trim().Length == 0) continue;
                if (!Regex.IsMatch(part, @"^(order=)?\d+$") && !Regex.IsMatch(part, @"^up=\d+$") && !Regex.IsMatch(part, @"^down=\d+$"))
                    return "unable to parse startup options\n";
            }
            return null;
        };

        public static readonly FormatCheck Ipv4Config = (v, p) =>
            v == "dhcp" || v == "manual" || IsCidr4(v) ? null : "value does not look like a valid IPv4 network configuration\n";

        public static readonly FormatCheck Ipv6Config = (v, p) =>
            v == "dhcp" || v == "auto" || v == "manual" || IsCidr6(v) ? null : "value does not look like a valid IPv6 network configuration\n";

        public static bool IsCidr4(string v)
        {
            var m = Regex.Match(v, $"^({Ipv4Re})/(\\d+)$");
            return m.Success && int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) <= 32;
        }

        public static bool IsCidr6(string v)
        {
            var idx = v.LastIndexOf('/');
            if (idx < 0) return false;
            return IsIpv6(v.Substring(0, idx)) && int.TryParse(v.Substring(idx + 1), out var len) && len >= 0 && len <= 128;
        }

        public static bool IsIpv6(string v) =>
            v.IndexOf(':') >= 0 && System.Net.IPAddress.TryParse(v, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

        public static readonly PropertyStringFormat IpConfig = new PropertyStringFormat()
            .Key(new Prop("ip") { Format = Ipv4Config })
            .Key(new Prop("gw") { Format = Ipv4 }, requires: "ip")
            .Key(new Prop("ip6") { Format = Ipv6Config })
            .Key(new Prop("gw6") { Format = Ipv6 }, requires: "ip6");

        public static readonly PropertyStringFormat CiCustom = new PropertyStringFormat()
            .Key(new Prop("meta") { Format = VolumeId })
            .Key(new Prop("network") { Format = VolumeId })
            .Key(new Prop("user") { Format = VolumeId })
            .Key(new Prop("vendor") { Format = VolumeId });

        public static readonly PropertyStringFormat Agent = new PropertyStringFormat("enabled")
            .Key(new Prop("enabled", PropType.Boolean))
            .Key(new Prop("fstrim_cloned_disks", PropType.Boolean))
            .Key(new Prop("freeze-fs-on-backup", PropType.Boolean))
            .Key(new Prop("guest-fsfreeze", PropType.Boolean))
            .Key(new Prop("type") { Enum = new[] { "virtio", "isa" } });

        public static readonly PropertyStringFormat Memory = new PropertyStringFormat("current")
            .Key(new Prop("current", PropType.Integer) { Minimum = 16 });

        public static readonly PropertyStringFormat Boot = new PropertyStringFormat("legacy")
            .Key(new Prop("legacy") { Pattern = new Regex("^[acdn]{1,4}$") })
            .Key(new Prop("order") { Format = BootOrder });

        public static readonly PropertyStringFormat Vga = new PropertyStringFormat("type")
            .Key(new Prop("type")
            {
                Enum = new[]
                {
                    "cirrus", "qxl", "qxl2", "qxl3", "qxl4", "none", "serial0", "serial1", "serial2", "serial3", "std", "virtio", "virtio-gl", "vmware",
                },
            })
            .Key(new Prop("memory", PropType.Integer) { Minimum = 4, Maximum = 512 })
            .Key(new Prop("clipboard") { Enum = new[] { "vnc" } });

        /// <summary>pve-qm-bootdev-list: a list (split_list: ',', ';' or blanks) of boot devices.</summary>
        private static string? BootOrder(string v, string p)
        {
            foreach (var dev in SchemaCheck.SplitList(v))
            {
                if (!DriveSpec.IsDriveName(dev) && !Regex.IsMatch(dev, @"^(net\d+|hostpci\d+|usb\d+)$"))
                    return $"invalid boot device '{dev}'\n";
            }
            return null;
        }

        public static readonly FormatCheck Net = (v, p) => NetSpec.Parse(v, out var err) == null ? (err ?? "format error") + "\n" : null;

        private static readonly HashSet<string> KnownDriveOptions = new HashSet<string>(StringComparer.Ordinal)
        {
            "aio", "backup", "bps", "bps_max_length", "bps_rd", "bps_rd_max_length", "bps_wr", "bps_wr_max_length", "cache",
            "cyls", "detect_zeroes", "discard", "format", "heads", "import-from", "iops", "iops_max", "iops_rd", "iops_wr",
            "iothread", "mbps", "mbps_rd", "mbps_wr", "media", "model", "product", "queues", "replicate", "rerror", "ro",
            "scsiblock", "secs", "serial", "shared", "size", "snapshot", "ssd", "trans", "vendor", "werror", "wwn",
            "efitype", "pre-enrolled-keys", "version",
        };


        public static readonly FormatCheck Drive = (v, p) =>
        {
            var d = DriveSpec.Parse(v);
            if (d == null) return "format error\n";
            foreach (var k in d.Options.Keys)
            {
                if (!KnownDriveOptions.Contains(k)) return $"invalid key in comma-separated list property: {k}\n";
            }
            if (d["media"] is string media && media != "cdrom" && media != "disk")
                return $"format error\n{p}.media: value '{media}' does not have a value in the enumeration 'cdrom, disk'\n";
            if (d["size"] is string size && PveText.ParseSize(size) == null)
                return $"format error\n{p}.size: invalid format - value does not look like a valid disk size: {size}\n\n";
            return null;
        };

    }
}
