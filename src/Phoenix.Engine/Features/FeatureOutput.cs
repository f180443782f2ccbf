using System;
using System.Collections.Generic;

namespace Phoenix.Engine.Features
{
    /// <summary>Reading a feature script's output: the change report and the tail shown on failure.</summary>
    public static class FeatureOutput
    {
        /// <summary>
        /// What the script reported with its last <c>PHOENIX_CHANGED=1</c> / <c>PHOENIX_CHANGED=0</c>
        /// line: true, false, or null when it printed no such line (Changed is then unknown). The
        /// line must be exactly that (trailing blanks and a CR are ignored), so a log line that
        /// merely mentions the marker does not count.
        /// </summary>
        public static bool? ParseChanged(string? output)
        {
            if (string.IsNullOrEmpty(output)) return null;
            bool? result = null;
            foreach (string raw in SplitLines(output!))
            {
                string line = raw.TrimEnd(' ', '\t', '\r');
                if (line.Length != FeatureContract.ChangedMarker.Length + 1) continue;
                if (!line.StartsWith(FeatureContract.ChangedMarker, StringComparison.Ordinal)) continue;
                char v = line[line.Length - 1];
                if (v == '1') result = true;
                else if (v == '0') result = false;
            }
            return result;
        }

        /// <summary>
        /// The last <paramref name="count"/> lines of the output (fewer when it has fewer), without
        /// line endings. The empty line after a final newline is not a line.
        /// </summary>
        public static IReadOnlyList<string> LastLines(string? output, int count)
        {
            if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The number of lines cannot be negative.");
            if (string.IsNullOrEmpty(output) || count == 0) return Array.Empty<string>();
            List<string> lines = SplitLines(output!);
            if (lines.Count > 0 && lines[lines.Count - 1].Length == 0) lines.RemoveAt(lines.Count - 1);
            int skip = Math.Max(0, lines.Count - count);
            return lines.GetRange(skip, lines.Count - skip).AsReadOnly();
        }

        /// <summary>The last lines joined with <c>\n</c>, for error messages.</summary>
        public static string Tail(string? output, int count) => string.Join("\n", LastLines(output, count));

        private static List<string> SplitLines(string text)
        {
            var lines = new List<string>();
            int start = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '\n') continue;
                int end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                lines.Add(text.Substring(start, end - start));
                start = i + 1;
            }
            lines.Add(text.Substring(start));
            return lines;
        }
    }
}
