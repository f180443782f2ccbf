using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Engine.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// One feature script as the catalog found it: the feature <c>docker</c> is the file
    /// <c>feature_install_docker.sh</c>. The hash is taken from the bytes that would be sent to
    /// the guest, so a changed script is visible before it runs.
    /// </summary>
    public sealed class FeatureInfo
    {
        private static readonly Regex DescriptionLine =
            new Regex(@"^#\s*Description:\s*(?<text>.*?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        internal FeatureInfo(string name, string path, string? description, string hash, long length,
            FeatureSource source, IReadOnlyList<string> shadowedPaths)
        {
            Name = name;
            Path = path;
            Description = description;
            Hash = hash;
            Length = length;
            Origin = source;
            ShadowedPaths = shadowedPaths;
        }

        /// <summary>The feature's name, as used in <c>features</c> and <c>-Name</c> (<c>docker</c>).</summary>
        public string Name { get; }

        /// <summary>Full path of the script.</summary>
        public string Path { get; }

        /// <summary>The script's file name (<c>feature_install_docker.sh</c>).</summary>
        public string FileName => System.IO.Path.GetFileName(Path);

        /// <summary>The folder the script was found in.</summary>
        public string Folder => System.IO.Path.GetDirectoryName(Path) ?? string.Empty;

        /// <summary>The <c># Description:</c> line of the script's header comment, or null when it has none.</summary>
        public string? Description { get; }

        /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
        public string Hash { get; }

        /// <summary>Size of the script in bytes (delivery through the guest agent allows up to 1 MiB).</summary>
        public long Length { get; }

        /// <summary>Bundled with the module, or from a folder the user named (<see cref="FeatureSource"/>), as a name: ConvertTo-Json writes it so.</summary>
        public string Source => Origin.ToString();

        /// <summary>Where the script came from, for Phoenix's own code (<see cref="Source"/> is its name).</summary>
        internal FeatureSource Origin { get; }

        /// <summary>
        /// Scripts of the same name that this one hides (a user's feature overrides a bundled one of
        /// the same name; an earlier user folder overrides a later one), in search order.
        /// </summary>
        public IReadOnlyList<string> ShadowedPaths { get; }

        /// <inheritdoc />
        public override string ToString() => Name;

        /// <summary>Reads a script: its hash, size and description.</summary>
        internal static FeatureInfo FromFile(string name, string path, FeatureSource source, IReadOnlyList<string> shadowedPaths)
        {
            byte[] bytes = File.ReadAllBytes(path);
            var hash = Hex.Sha256(bytes);
            return new FeatureInfo(name, path, ParseDescription(Decode(bytes)), hash, bytes.LongLength, source, shadowedPaths);
        }

        /// <summary>
        /// The text of the first <c># Description:</c> line of the header comment: the comment
        /// lines at the top of the script (shebang included, blank lines allowed). A description
        /// further down, after code, does not count: the catalog shows what the author put in the
        /// header.
        /// </summary>
        internal static string? ParseDescription(string text)
        {
            foreach (var line in HeaderComment(text))
            {
                Match m = DescriptionLine.Match(line);
                if (m.Success && m.Groups["text"].Value.Length > 0) return m.Groups["text"].Value;
            }
            return null;
        }

        // The header comment's lines, trimmed: those at the top of the script (shebang included), blank lines passed over,
        // up to the first line of code.
        private static IEnumerable<string> HeaderComment(string text)
        {
            using (var reader = new StringReader(text))
            {
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    string trimmed = line.Trim();
                    if (trimmed.Length == 0) continue;
                    if (trimmed[0] != '#') yield break;
                    yield return trimmed;
                }
            }
        }

        private static readonly Regex ContextLine =
            new Regex(@"^#\s*Context:\s*(?<text>.*?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static readonly Regex ContextPath =
            new Regex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", RegexOptions.CultureInvariant);

        /// <summary>
        /// The context fields a script says it reads, from the first <c># Context:</c> line of its header comment: dotted
        /// paths into the context file (<c>timezone</c>, <c>user_config.username</c>), separated by commas or spaces, or
        /// <c>none</c>. Null when the header has no such line or a path is not a plain dotted name: then the script may
        /// read anything, and the whole context counts (<see cref="FeatureStateFile.RunHash(byte[], Config.VmSpec)"/>).
        /// </summary>
        internal static IReadOnlyList<string>? ParseContextFields(byte[] script)
        {
            foreach (var line in HeaderComment(Decode(script)))
            {
                var m = ContextLine.Match(line);
                if (!m.Success) continue;
                var words = m.Groups["text"].Value.Split(new[] { ',', ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 1 && string.Equals(words[0], "none", StringComparison.OrdinalIgnoreCase)) return Array.Empty<string>();
                if (words.Length == 0 || words.Any(w => !ContextPath.IsMatch(w))) return null;
                return words;
            }
            return null;
        }

        private static string Decode(byte[] bytes)
        {
            int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return new UTF8Encoding(false, false).GetString(bytes, start, bytes.Length - start);
        }
    }
}
