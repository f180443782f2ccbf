using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The feature scripts available to Phoenix: the module's bundled folder and the folders the
    /// user adds. The feature <c>docker</c> is the file <c>feature_install_docker.sh</c>.
    /// </summary>
    /// <remarks>
    /// Precedence: user folders come first, in the order given, then the bundled folder. So an
    /// admin can replace a bundled feature (pin a Docker version, say) without editing the module;
    /// the replacement shows as <see cref="FeatureSource.User"/> with the hidden script in
    /// <see cref="FeatureInfo.ShadowedPaths"/>. Names match case-sensitively, as on the guest's
    /// filesystem. The folders are read on every call, so a script edited meanwhile is seen.
    /// </remarks>
    public sealed class FeatureCatalog
    {
        /// <summary>The start of a feature script's file name.</summary>
        public const string FilePrefix = "feature_install_";

        /// <summary>The end of a feature script's file name.</summary>
        public const string FileSuffix = ".sh";

        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        private readonly List<(string Folder, FeatureSource Source)> _searchOrder = new List<(string, FeatureSource)>();

        /// <summary>
        /// A catalog over the bundled folder (may be null, for a catalog of user folders only) and
        /// the user's folders, highest precedence first. Every folder must exist: a mistyped
        /// <c>-FeaturePath</c> is an error, not an empty list.
        /// </summary>
        /// <exception cref="PhoenixException">NotFound / FeatureFolderNotFound for a folder that does not exist.</exception>
        public FeatureCatalog(string? bundledFolder, IEnumerable<string>? userFolders = null)
        {
            string? bundled = bundledFolder == null ? null : CheckFolder(bundledFolder, "bundled feature folder");
            var users = new List<string>();
            foreach (string folder in userFolders ?? Enumerable.Empty<string>())
            {
                if (string.IsNullOrWhiteSpace(folder))
                {
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidFeatureFolder,
                        "A feature folder cannot be an empty path.");
                }
                string full = CheckFolder(folder, "feature folder");
                if (bundled != null && PathComparer.Equals(full, bundled)) continue;
                if (users.Contains(full, PathComparer)) continue;
                users.Add(full);
            }
            foreach (string u in users) _searchOrder.Add((u, FeatureSource.User));
            if (bundled != null) _searchOrder.Add((bundled, FeatureSource.Bundled));
            BundledFolder = bundled;
            UserFolders = users.AsReadOnly();
        }

        /// <summary>Full path of the bundled folder, or null.</summary>
        public string? BundledFolder { get; }

        /// <summary>Full paths of the user's folders, highest precedence first, without duplicates.</summary>
        public IReadOnlyList<string> UserFolders { get; }

        /// <summary>Every folder searched, in precedence order (user folders, then the bundled one).</summary>
        public IReadOnlyList<string> SearchedFolders => _searchOrder.Select(s => s.Folder).ToList().AsReadOnly();

        /// <summary>The file name of a feature: <c>docker</c> gives <c>feature_install_docker.sh</c>.</summary>
        public static string FileNameFor(string name) => FilePrefix + name + FileSuffix;

        /// <summary>The features that win, one per name, sorted by name (ordinal).</summary>
        public IReadOnlyList<FeatureInfo> GetAll()
        {
            return Scan()
                .Select(kv => Build(kv.Key, kv.Value))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .ToList()
                .AsReadOnly();
        }

        /// <summary>The names of all features, sorted (ordinal).</summary>
        public IReadOnlyList<string> GetNames() =>
            Scan().Keys.OrderBy(n => n, StringComparer.Ordinal).ToList().AsReadOnly();

        /// <summary>Finds a feature by name.</summary>
        /// <exception cref="PhoenixException">
        /// InvalidArgument / InvalidFeatureName for a name that cannot be a feature;
        /// NotFound / FeatureNotFound when no folder has it (the message lists the known names).
        /// </exception>
        public FeatureInfo Resolve(string name)
        {
            if (!ProxmoxNames.IsValidFeatureName(name))
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidFeatureName,
                    $"'{name}' is not a valid feature name: use letters, digits, '.', '_' and '-', starting with a letter or digit.",
                    name)
                {
                    RecommendedAction = "Use the name part of the script's file name: 'docker' for feature_install_docker.sh.",
                };
            }
            Dictionary<string, List<(string Path, FeatureSource Source)>> found = Scan();
            if (found.TryGetValue(name, out var candidates)) return Build(name, candidates);

            List<string> known = found.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
            string message = $"Feature '{name}' was not found. Known features: " +
                (known.Count == 0 ? "(none)" : string.Join(", ", known)) + ".";
            string? sameButCase = known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (sameButCase != null) message += $" Did you mean '{sameButCase}'? Feature names are case-sensitive.";
            message += " Searched: " + (_searchOrder.Count == 0 ? "no folder" : string.Join(", ", _searchOrder.Select(s => s.Folder))) + ".";
            throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.FeatureNotFound, message, name)
            {
                RecommendedAction = $"Check the name, or add the folder that holds {FileNameFor(name)} with -FeaturePath.",
            };
        }

        /// <summary>Finds a feature by name; false when the name is invalid or unknown.</summary>
        public bool TryResolve(string name, [NotNullWhen(true)] out FeatureInfo? feature)
        {
            feature = null;
            if (!ProxmoxNames.IsValidFeatureName(name)) return false;
            if (!Scan().TryGetValue(name, out var candidates)) return false;
            feature = Build(name, candidates);
            return true;
        }

        private static string CheckFolder(string folder, string what)
        {
            string full;
            try
            {
                full = Path.GetFullPath(folder);
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidFeatureFolder,
                    $"The {what} '{folder}' is not a valid path: {e.Message}", folder, e);
            }
            full = full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            if (full.Length == 0) full = Path.DirectorySeparatorChar.ToString();
            if (!Directory.Exists(full))
            {
                throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.FeatureFolderNotFound,
                    $"The {what} '{full}' does not exist.", folder)
                {
                    RecommendedAction = "Check the path given with -FeaturePath.",
                };
            }
            return full;
        }

        // Name -> scripts of that name in precedence order; the first one wins.
        private Dictionary<string, List<(string Path, FeatureSource Source)>> Scan()
        {
            var found = new Dictionary<string, List<(string, FeatureSource)>>(StringComparer.Ordinal);
            foreach (var (folder, source) in _searchOrder)
            {
                IEnumerable<string> files;
                try
                {
                    files = Directory.EnumerateFiles(folder, FilePrefix + "*" + FileSuffix, SearchOption.TopDirectoryOnly).ToList();
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.FeatureFolderUnreadable,
                        $"The feature folder '{folder}' cannot be read: {e.Message}", folder, e);
                }
                foreach (string file in files.OrderBy(f => f, StringComparer.Ordinal))
                {
                    string fileName = Path.GetFileName(file);
                    // The pattern is matched again by hand: Windows' wildcard matching is loose.
                    if (!fileName.StartsWith(FilePrefix, StringComparison.Ordinal) ||
                        !fileName.EndsWith(FileSuffix, StringComparison.Ordinal)) continue;
                    string name = fileName.Substring(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileSuffix.Length);
                    if (!ProxmoxNames.IsValidFeatureName(name)) continue;
                    if (!found.TryGetValue(name, out var list))
                    {
                        list = new List<(string, FeatureSource)>();
                        found.Add(name, list);
                    }
                    list.Add((file, source));
                }
            }
            return found;
        }

        private static FeatureInfo Build(string name, List<(string Path, FeatureSource Source)> candidates)
        {
            var winner = candidates[0];
            IReadOnlyList<string> shadowed = candidates.Skip(1).Select(c => c.Path).ToList().AsReadOnly();
            try
            {
                return FeatureInfo.FromFile(name, winner.Path, winner.Source, shadowed);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.FeatureUnreadable,
                    $"The feature script '{winner.Path}' cannot be read: {e.Message}", name, e);
            }
        }
    }
}
