using System.Globalization;
using Newtonsoft.Json;

namespace Phoenix.Engine.Config
{
    /// <summary>Builds findings whose message names the JSON path and line, and shows values safely.</summary>
    internal static class FindingText
    {
        public static ConfigFinding Make(ConfigSeverity severity, string rule, ConfigPosition? pos, string reason, string? suggestion, int? vmId = null)
        {
            string message;
            if (pos == null || pos.JsonPath.Length == 0 && pos.Line == 0) message = reason;
            else if (pos.Line > 0)
                message = (pos.JsonPath.Length > 0 ? pos.JsonPath + " " : "") + "(line " + pos.Line.ToString(CultureInfo.InvariantCulture) + "): " + reason;
            else message = pos.JsonPath + ": " + reason;
            return new ConfigFinding(severity, rule, message, suggestion, pos, vmId);
        }

        /// <summary>
        /// A non-secret value as a JSON string literal, so newlines and control characters show as escapes and
        /// cannot break a log line; long values are cut. Never call this with a secret.
        /// </summary>
        public static string Show(string? value)
        {
            if (value == null) return "null";
            var v = value.Length > 80 ? value.Substring(0, 77) + "..." : value;
            return JsonConvert.ToString(v);
        }

        public static string TypeName(Newtonsoft.Json.Linq.JTokenType t)
        {
            switch (t)
            {
                case Newtonsoft.Json.Linq.JTokenType.Integer: return "a whole number";
                case Newtonsoft.Json.Linq.JTokenType.Float: return "a decimal number";
                case Newtonsoft.Json.Linq.JTokenType.String: return "a string";
                case Newtonsoft.Json.Linq.JTokenType.Boolean: return "true/false";
                case Newtonsoft.Json.Linq.JTokenType.Array: return "a list";
                case Newtonsoft.Json.Linq.JTokenType.Object: return "an object";
                case Newtonsoft.Json.Linq.JTokenType.Null: return "null";
                default: return t.ToString();
            }
        }
    }
}
