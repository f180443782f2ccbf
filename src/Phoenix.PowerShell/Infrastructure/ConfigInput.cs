using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Microsoft.PowerShell.Commands;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// What Import-PhoenixConfig and Test-PhoenixConfig share: turning -Path/-LiteralPath into files through the
    /// PowerShell provider, loading and validating them as one set, and showing findings as text and error records.
    /// Path problems become findings too, so both cmdlets report them the same way as any other.
    /// </summary>
    internal sealed class ConfigInput
    {
        private readonly List<string> _files = new List<string>();
        private readonly List<ConfigFinding> _pathFindings = new List<ConfigFinding>();

        /// <summary>Adds the files <paramref name="paths"/> stand for; with <paramref name="literal"/> no wildcard is expanded.</summary>
        public void Add(PSCmdlet cmdlet, IEnumerable<string> paths, bool literal)
        {
            foreach (var path in paths)
            {
                if (string.IsNullOrEmpty(path)) continue;
                if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
                {
                    var full = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
                    if (!IsFileSystem(provider)) { NotAFile(path, provider); continue; }
                    if (Directory.Exists(full))
                    {
                        _pathFindings.Add(PathFinding(ConfigRules.FileUnreadable, full, "'" + full + "' is a folder, not a config file.",
                            "Give the JSON file itself, or a wildcard such as '" + Path.Combine(path, "*.json") + "'."));
                        continue;
                    }
                    AddFile(full);
                    continue;
                }

                Collection<string> matches;
                ProviderInfo? wildcardProvider;
                try
                {
                    matches = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out wildcardProvider);
                }
                catch (ItemNotFoundException)
                {
                    matches = new Collection<string>();
                    wildcardProvider = null;
                }
                if (wildcardProvider != null && !IsFileSystem(wildcardProvider)) { NotAFile(path, wildcardProvider); continue; }
                var files = matches.Where(m => !Directory.Exists(m)).ToList();
                if (files.Count == 0)
                {
                    _pathFindings.Add(PathFinding(ConfigRules.FileNotFound, path, "No config file matches '" + path + "'.",
                        "Check the pattern; relative paths are taken from the current location."));
                    continue;
                }
                foreach (var f in files) AddFile(f);
            }
        }

        /// <summary>Number of files to read.</summary>
        public int FileCount => _files.Count;

        /// <summary>
        /// Loads every file and validates them as one set (VMIDs unique across files; clones and dependencies may
        /// cross files). A missing feature is an error when the user named feature folders, and a warning otherwise:
        /// without them Phoenix knows only its bundled features, and the folder may be given to Deploy-PhoenixVm instead.
        /// </summary>
        public ConfigCheck Check(string[]? featurePaths, Func<int, bool?>? hostHasVm, Func<IReadOnlyList<KeyValuePair<string, int>>?>? hostTemplates,
            Action<string> verbose, Func<bool, Phoenix.Engine.Proxmox.ClusterInventory?>? cluster = null, string? localNode = null,
            Func<int, string, Phoenix.Engine.Proxmox.VmConfig?>? sourceConfig = null)
        {
            var configs = new List<PhoenixConfig>();
            foreach (var file in _files)
            {
                var config = PhoenixConfigLoader.Load(file);
                verbose($"Read {file}: {config.Vms.Count.ToString(CultureInfo.InvariantCulture)} VM(s)" +
                    (config.HasDefaults ? ", vm_defaults merged in" : "") + ".");
                configs.Add(config);
            }

            // The one rule of every feature cmdlet (FeatureFolders): -FeaturePath, then PHOENIX_FEATURE_PATH, then the bundled folder.
            var catalog = FeatureFolders.Catalog(featurePaths ?? new string[0]);
            var userFolders = catalog.UserFolders.Count > 0;
            verbose("Features are looked up in: " + (catalog.SearchedFolders.Count == 0 ? "no folder" : string.Join(", ", catalog.SearchedFolders)) + ".");
            var options = new ConfigValidationOptions
            {
                FeatureExists = name => catalog.TryResolve(name, out _),
                HostHasVm = hostHasVm,
                HostTemplates = hostTemplates,
                Cluster = cluster,
                LocalNode = localNode,
                SourceConfig = sourceConfig,
            };
            var findings = new ConfigValidator(options).Validate(configs)
                .Select(f => !userFolders && f.Rule == ConfigRules.FeatureNotFound && f.Level == ConfigSeverity.Error
                    ? new ConfigFinding(ConfigSeverity.Warning, f.Rule, f.Message.Replace(" is found in no feature folder ", " is not among the bundled features ") +
                        " Deploy-PhoenixVm and Invoke-PhoenixFeature look for it in their own -FeaturePath folders before they change anything.",
                        "Name its folder here too (-FeaturePath or PHOENIX_FEATURE_PATH) to check it now.", f.File, f.Line, f.Column, f.JsonPath, f.VmId)
                    : f)
                .ToList();
            return new ConfigCheck(configs, _pathFindings.Concat(findings).ToList());
        }

        /// <summary><c>file:line:column: message Fix: suggestion</c>, the one-line form CI logs and editors link.</summary>
        public static string Describe(ConfigFinding f)
        {
            var where = (f.File ?? "<config>") + (f.Line > 0 ? ":" + f.Line.ToString(CultureInfo.InvariantCulture) + ":" + f.Column.ToString(CultureInfo.InvariantCulture) : "");
            return where + ": " + f.Message + (string.IsNullOrEmpty(f.Suggestion) ? "" : " Fix: " + f.Suggestion);
        }

        /// <summary>
        /// An error record for an error finding: ID = the rule, target = the VM when the finding is about one, else the
        /// file. The category is ObjectNotFound or ReadError for a file that cannot be read, InvalidData for the rest.
        /// </summary>
        public static ErrorRecord ToErrorRecord(ConfigFinding f)
        {
            object? target = f.VmId.HasValue ? (object)f.VmId.Value : f.File;
            var e = new PhoenixException(PhoenixErrorKind.InvalidData, f.Rule, Describe(f), target) { RecommendedAction = f.Suggestion };
            var category = f.Rule == ConfigRules.FileNotFound ? ErrorCategory.ObjectNotFound
                : f.Rule == ConfigRules.FileUnreadable ? ErrorCategory.ReadError
                : ErrorCategory.InvalidData;
            var record = new ErrorRecord(e, f.Rule, category, target);
            if (!string.IsNullOrEmpty(f.Suggestion)) record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = f.Suggestion };
            return record;
        }

        private void AddFile(string full)
        {
            if (!_files.Contains(full, StringComparer.Ordinal)) _files.Add(full);
        }

        private void NotAFile(string path, ProviderInfo provider) =>
            _pathFindings.Add(PathFinding(ConfigRules.FileUnreadable, path, "'" + path + "' is on the " + provider.Name + " provider, not a file.",
                "Give the path of a JSON file on disk."));

        private static ConfigFinding PathFinding(string rule, string file, string message, string suggestion) =>
            new ConfigFinding(ConfigSeverity.Error, rule, message, suggestion, file, 0, 0, "");

        private static bool IsFileSystem(ProviderInfo provider) => provider.ImplementingType == typeof(FileSystemProvider);
    }

    /// <summary>The files of one invocation, loaded, and every finding about them, sorted as the validator sorts them.</summary>
    internal sealed class ConfigCheck
    {
        public ConfigCheck(IReadOnlyList<PhoenixConfig> configs, IReadOnlyList<ConfigFinding> findings)
        {
            Configs = configs;
            Findings = findings;
        }

        public IReadOnlyList<PhoenixConfig> Configs { get; }

        public IReadOnlyList<ConfigFinding> Findings { get; }

        public bool HasErrors => Findings.Any(f => f.Level == ConfigSeverity.Error);

        /// <summary>
        /// The VMs of the files that have no error, in file order. A file with any error gives none, so nothing
        /// reaches a host from a broken file; an error that names no file stops every file.
        /// </summary>
        public IEnumerable<VmSpec> UsableVms()
        {
            var errors = Findings.Where(f => f.Level == ConfigSeverity.Error).ToList();
            if (errors.Any(f => f.File == null)) return Enumerable.Empty<VmSpec>();
            var broken = new HashSet<string>(errors.Select(f => f.File!), StringComparer.Ordinal);
            return Configs.Where(c => c.SourceFile != null && !broken.Contains(c.SourceFile)).SelectMany(c => c.Vms);
        }
    }
}
