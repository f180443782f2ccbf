using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace Phoenix.Simulator.Internal
{
    /// <summary>Proxmox's small text helpers (PVE::Tools, PVE::Format, PVE::JSONSchema size handling).</summary>
    internal static class PveText
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>
        /// PVE::Tools::encode_text (pve-common src/PVE/ParseUtils.pm 60-64): every byte outside 0x20-0x24,
        /// 0x26-0x39 and 0x3b-0x7e becomes %XX, so control and non-ASCII bytes, ':' and, since pve-common's
        /// fix #5486 (2024-05), '%' too; decode_text (uri_unescape) reads both forms.
        /// </summary>
        public static string EncodeText(string text)
        {
            var sb = new StringBuilder();
            foreach (var b in Utf8.GetBytes(text))
            {
                if ((b >= 0x20 && b <= 0x24) || (b >= 0x26 && b <= 0x39) || (b >= 0x3b && b <= 0x7e)) sb.Append((char)b);
                else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        /// <summary>PVE::Tools::decode_text: uri_unescape, then UTF-8.</summary>
        public static string DecodeText(string data) => Utf8.GetString(UriUnescapeBytes(data));

        /// <summary>URI::Escape::uri_escape with its default set: only A-Z a-z 0-9 - . _ ~ stay.</summary>
        public static string UriEscape(byte[] bytes)
        {
            var sb = new StringBuilder();
            foreach (var b in bytes)
            {
                var c = (char)b;
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
                    sb.Append(c);
                else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        public static byte[] UriUnescapeBytes(string s)
        {
            var ms = new MemoryStream();
            var raw = Utf8.GetBytes(s);
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
                {
                    ms.WriteByte((byte)((HexVal(raw[i + 1]) << 4) | HexVal(raw[i + 2])));
                    i += 2;
                }
                else ms.WriteByte(raw[i]);
            }
            return ms.ToArray();
        }

        public static string UriUnescape(string s) => Utf8.GetString(UriUnescapeBytes(s));

        private static bool IsHex(byte b) => (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');

        private static int HexVal(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

        /// <summary>PVE::Format::render_bytes with precision 1: "1.0 GiB", "0.0 B" style is "0.0 B".</summary>
        public static string RenderBytes(double value, int precision = 1)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
            var unit = 0;
            if (value > 1023)
            {
                unit = (int)(Math.Log(value) / Math.Log(1024));
                if (unit >= units.Length) unit = units.Length - 1;
                value /= Math.Pow(1024, unit);
            }
            return value.ToString("F" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " " + units[unit];
        }

        /// <summary>PVE::JSONSchema::parse_size: "32G" to bytes; null when it does not parse.</summary>
        public static long? ParseSize(string value)
        {
            var m = Regex.Match(value, @"^(\d+(\.\d+)?)([KMGT])?$");
            if (!m.Success) return null;
            var size = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            switch (m.Groups[3].Value)
            {
                case "K": size *= 1024; break;
                case "M": size *= 1024d * 1024; break;
                case "G": size *= 1024d * 1024 * 1024; break;
                case "T": size *= 1024d * 1024 * 1024 * 1024; break;
            }
            return (long)size;
        }

        /// <summary>PVE::JSONSchema::format_size: the largest unit that divides exactly ("32G", "4M", "512").</summary>
        public static string FormatSize(long size)
        {
            var kb = size / 1024;
            if (kb * 1024 != size) return size.ToString(CultureInfo.InvariantCulture);
            var mb = kb / 1024;
            if (mb * 1024 != kb) return kb.ToString(CultureInfo.InvariantCulture) + "K";
            var gb = mb / 1024;
            if (gb * 1024 != mb) return mb.ToString(CultureInfo.InvariantCulture) + "M";
            var tb = gb / 1024;
            if (tb * 1024 != gb) return gb.ToString(CultureInfo.InvariantCulture) + "G";
            return tb.ToString(CultureInfo.InvariantCulture) + "T";
        }

        /// <summary>PVE::JSONSchema::parse_boolean.</summary>
        public static int? ParseBoolean(string value)
        {
            if (Regex.IsMatch(value, "^(1|on|yes|true)$", RegexOptions.IgnoreCase)) return 1;
            if (Regex.IsMatch(value, "^(0|off|no|false)$", RegexOptions.IgnoreCase)) return 0;
            return null;
        }

        public static bool IsInteger(string value) => Regex.IsMatch(value, @"^[+-]?\d+$");

        public static bool IsNumber(string value) => Regex.IsMatch(value, @"^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$");

        /// <summary>Perl's "%.2f"-style formatting with the invariant culture.</summary>
        public static string F(double value, int decimals) =>
            value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

        public static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>Perl prints a number without a trailing ".0": 2048 not 2048.0, 0.5 as 0.5.</summary>
        public static string PerlNumber(double value)
        {
            if (Math.Abs(value % 1) < 1e-12) return ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture);
            return value.ToString("G15", CultureInfo.InvariantCulture);
        }
    }
}
