using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Phoenix.Simulator.Internal
{
    /// <summary>A JSON boolean as Perl's JSON module prints it (<c>true</c>/<c>false</c>), distinct from 1/0.</summary>
    internal sealed class JsonBool
    {
        public static readonly JsonBool True = new JsonBool(true);
        public static readonly JsonBool False = new JsonBool(false);
        private JsonBool(bool value) => Value = value;
        public bool Value { get; }
    }

    /// <summary>
    /// Writes JSON the way Proxmox's Perl code does with <c>to_json($x, {pretty => 1, canonical => 1})</c>:
    /// keys sorted by byte order, three-space indent, <c>"key" : value</c>. Objects are any
    /// <see cref="IDictionary{TKey,TValue}"/> with string keys; arrays any other enumerable.
    /// </summary>
    internal static class PerlJson
    {
        public static string Pretty(object? value)
        {
            var sb = new StringBuilder();
            Write(sb, value, 0, pretty: true);
            sb.Append('\n');
            return sb.ToString();
        }

        public static string Compact(object? value)
        {
            var sb = new StringBuilder();
            Write(sb, value, 0, pretty: false);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, object? value, int level, bool pretty)
        {
            switch (value)
            {
                case null:
                    sb.Append("null");
                    return;
                case string s:
                    WriteString(sb, s);
                    return;
                case JsonBool b:
                    sb.Append(b.Value ? "true" : "false");
                    return;
                case bool b2:
                    sb.Append(b2 ? "true" : "false");
                    return;
                case int i:
                    sb.Append(i.ToString(CultureInfo.InvariantCulture));
                    return;
                case long l:
                    sb.Append(l.ToString(CultureInfo.InvariantCulture));
                    return;
                case double d:
                    sb.Append(FormatDouble(d));
                    return;
                case IDictionary<string, object?> dict:
                    WriteObject(sb, dict, level, pretty);
                    return;
                case IEnumerable e:
                    WriteArray(sb, e.Cast<object?>().ToList(), level, pretty);
                    return;
                default:
                    WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                    return;
            }
        }

        private static void WriteObject(StringBuilder sb, IDictionary<string, object?> dict, int level, bool pretty)
        {
            if (dict.Count == 0)
            {
                sb.Append("{}");
                return;
            }
            var keys = dict.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
            sb.Append('{');
            for (var n = 0; n < keys.Count; n++)
            {
                if (pretty)
                {
                    sb.Append('\n');
                    sb.Append(' ', (level + 1) * 3);
                }
                WriteString(sb, keys[n]);
                sb.Append(pretty ? " : " : ":");
                Write(sb, dict[keys[n]], level + 1, pretty);
                if (n < keys.Count - 1) sb.Append(',');
            }
            if (pretty)
            {
                sb.Append('\n');
                sb.Append(' ', level * 3);
            }
            sb.Append('}');
        }

        private static void WriteArray(StringBuilder sb, List<object?> items, int level, bool pretty)
        {
            if (items.Count == 0)
            {
                sb.Append("[]");
                return;
            }
            sb.Append('[');
            for (var n = 0; n < items.Count; n++)
            {
                if (pretty)
                {
                    sb.Append('\n');
                    sb.Append(' ', (level + 1) * 3);
                }
                Write(sb, items[n], level + 1, pretty);
                if (n < items.Count - 1) sb.Append(',');
            }
            if (pretty)
            {
                sb.Append('\n');
                sb.Append(' ', level * 3);
            }
            sb.Append(']');
        }

        private static string FormatDouble(double d)
        {
            if (Math.Abs(d % 1) < double.Epsilon && Math.Abs(d) < 1e15) return ((long)d).ToString(CultureInfo.InvariantCulture);
            return d.ToString("G15", CultureInfo.InvariantCulture);
        }

        /// <summary>JSON::XS escaping: quote, backslash and control characters; everything else verbatim.</summary>
        private static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\f': sb.Append("\\f"); break;
                    case '\b': sb.Append("\\b"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>A sorted object builder, to keep call sites short.</summary>
        public static SortedDictionary<string, object?> Obj() => new SortedDictionary<string, object?>(StringComparer.Ordinal);
    }
}
