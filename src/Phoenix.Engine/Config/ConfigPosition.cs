using System.Globalization;

namespace Phoenix.Engine.Config
{
    /// <summary>Where something is in a config file: file, 1-based line and column, and its JSON path (<c>vms[2].network_config.gw</c>).</summary>
    public sealed class ConfigPosition
    {
        /// <summary>Creates a position; line and column 0 mean "unknown".</summary>
        public ConfigPosition(string? file, int line, int column, string jsonPath)
        {
            File = file;
            Line = line;
            Column = column;
            JsonPath = jsonPath;
        }

        /// <summary>The file, as given to the loader; null for text that came from no file.</summary>
        public string? File { get; }

        /// <summary>1-based line; 0 when unknown.</summary>
        public int Line { get; }

        /// <summary>1-based column of the token's first character; 0 when unknown.</summary>
        public int Column { get; }

        /// <summary>JSON path from the document root, e.g. <c>vms[1].user_config.ssh_public_keys[0]</c>.</summary>
        public string JsonPath { get; }

        /// <summary><c>file:line:column (path)</c>, the form editors and CI logs link.</summary>
        public override string ToString()
        {
            var where = File ?? "<config>";
            if (Line > 0) where += ":" + Line.ToString(CultureInfo.InvariantCulture) + ":" + Column.ToString(CultureInfo.InvariantCulture);
            return JsonPath.Length > 0 ? where + " (" + JsonPath + ")" : where;
        }
    }
}
