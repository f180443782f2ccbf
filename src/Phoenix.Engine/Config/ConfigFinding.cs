using System.Globalization;
using System.Text;

namespace Phoenix.Engine.Config
{
    /// <summary>How bad a finding is. Errors stop a deploy; warnings are reported and the deploy goes on.</summary>
    public enum ConfigSeverity
    {
        /// <summary>The file cannot be used as it is.</summary>
        Error,
        /// <summary>Worth knowing; Phoenix still proceeds.</summary>
        Warning,
    }

    /// <summary>
    /// One problem found in a config file, with where it is (file, line, column, JSON path), what is wrong
    /// (<see cref="Message"/>), how to fix it (<see cref="Suggestion"/>) and a short rule ID (<see cref="Rule"/>)
    /// that scripts can filter on. Messages never quote a secret.
    /// </summary>
    public sealed class ConfigFinding
    {
        /// <summary>Creates a finding.</summary>
        public ConfigFinding(ConfigSeverity severity, string rule, string message, string? suggestion,
            string? file, int line, int column, string jsonPath, int? vmId = null)
        {
            Level = severity;
            Rule = rule;
            Message = message;
            Suggestion = suggestion;
            File = file;
            Line = line;
            Column = column;
            JsonPath = jsonPath;
            VmId = vmId;
        }

        /// <summary>Creates a finding at <paramref name="position"/> (or nowhere when null).</summary>
        public ConfigFinding(ConfigSeverity severity, string rule, string message, string? suggestion, ConfigPosition? position, int? vmId = null)
            : this(severity, rule, message, suggestion, position?.File, position?.Line ?? 0, position?.Column ?? 0, position?.JsonPath ?? string.Empty, vmId)
        {
        }

        /// <summary>Error or Warning (<see cref="ConfigSeverity"/>), as a name: ConvertTo-Json writes it so.</summary>
        public string Severity => Level.ToString();

        /// <summary>How bad the finding is, for Phoenix's own code (<see cref="Severity"/> is its name).</summary>
        internal ConfigSeverity Level { get; }

        /// <summary>The file; null when the config came from text.</summary>
        public string? File { get; }

        /// <summary>1-based line; 0 when the finding has no place in the file (a missing file).</summary>
        public int Line { get; }

        /// <summary>1-based column; 0 when unknown.</summary>
        public int Column { get; }

        /// <summary>JSON path of the offending value, e.g. <c>vms[2].network_config.gw</c>; empty for file-level findings.</summary>
        public string JsonPath { get; }

        /// <summary>What is wrong. Names the JSON path and line.</summary>
        public string Message { get; }

        /// <summary>How to fix it; null when the message says it all.</summary>
        public string? Suggestion { get; }

        /// <summary>Short rule ID such as <c>VmIdRange</c>; see <see cref="ConfigRules"/>.</summary>
        public string Rule { get; }

        /// <summary>The VMID of the VM concerned, when there is one.</summary>
        public int? VmId { get; }

        /// <summary><c>file:line:col: error Rule: message Fix: suggestion</c>, one line per finding.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append(File ?? "<config>");
            if (Line > 0) sb.Append(':').Append(Line.ToString(CultureInfo.InvariantCulture)).Append(':').Append(Column.ToString(CultureInfo.InvariantCulture));
            sb.Append(": ").Append(Level == ConfigSeverity.Error ? "error " : "warning ").Append(Rule).Append(": ").Append(Message);
            if (!string.IsNullOrEmpty(Suggestion)) sb.Append(" Fix: ").Append(Suggestion);
            return sb.ToString();
        }
    }
}
