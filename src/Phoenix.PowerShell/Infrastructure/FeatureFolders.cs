using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// Where the feature cmdlets look for scripts: -FeaturePath first, then the folders of the
    /// module-wide setting <see cref="EnvironmentVariable"/>, then the module's bundled
    /// <c>features</c> folder. Import, Test, Deploy, Invoke-PhoenixFeature, Get-PhoenixFeature and Tab
    /// completion all take their folders from here.
    /// </summary>
    /// <remarks>
    /// The setting is an environment variable rather than a PowerShell variable so that it also
    /// reaches ForEach-Object -Parallel runspaces, jobs and child processes, and can be set once
    /// in a profile or a CI job.
    /// </remarks>
    internal static class FeatureFolders
    {
        /// <summary>The module-wide feature folders, separated like PATH (':' on Linux and macOS, ';' on Windows).</summary>
        public const string EnvironmentVariable = "PHOENIX_FEATURE_PATH";

        /// <summary>The module's bundled folder (beside Phoenix.PowerShell.dll), or null when the module was laid out without it.</summary>
        public static string? BundledFolder
        {
            get
            {
                var dir = Path.GetDirectoryName(typeof(FeatureFolders).Assembly.Location);
                if (string.IsNullOrEmpty(dir)) return null;
                var folder = Path.Combine(dir, "features");
                return Directory.Exists(folder) ? folder : null;
            }
        }

        /// <summary>The folders of <see cref="EnvironmentVariable"/>, in order, each checked to exist.</summary>
        public static IReadOnlyList<string> FromEnvironment()
        {
            var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrWhiteSpace(value)) return Array.Empty<string>();
            var folders = value!.Split(Path.PathSeparator).Select(f => f.Trim()).Where(f => f.Length > 0).ToList();
            foreach (var folder in folders)
            {
                if (!Directory.Exists(folder))
                {
                    throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.FeatureFolderNotFound,
                        $"The feature folder '{folder}' named in the environment variable {EnvironmentVariable} does not exist.", folder)
                    { RecommendedAction = $"Correct {EnvironmentVariable} (folders separated by '{Path.PathSeparator}'), or remove the folder from it." };
                }
            }
            return folders;
        }

        /// <summary>
        /// The catalog Tab completion reads: the same folders, relative ones taken from the current location, leaving
        /// out any that do not exist (a half-typed -FeaturePath must not make Tab fail).
        /// </summary>
        public static FeatureCatalog ForCompletion(IEnumerable<string> featurePath)
        {
            var folders = featurePath.Where(p => !string.IsNullOrWhiteSpace(p)).Select(ResolveHere).ToList();
            try
            {
                folders.AddRange(FromEnvironment());
            }
            catch (PhoenixException)
            {
                folders.AddRange((Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "").Split(Path.PathSeparator).Select(f => f.Trim()));
            }
            return new FeatureCatalog(BundledFolder, folders.Where(f => f.Length > 0 && Directory.Exists(f)).ToList());
        }

        // A path as the current PowerShell location sees it, asked in a nested pipeline of the runspace that runs the
        // completion (the process's directory when there is none, or it cannot tell).
        private static string ResolveHere(string path)
        {
            try
            {
                if (System.Management.Automation.Runspaces.Runspace.DefaultRunspace != null)
                {
                    using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
                    ps.AddScript("param($p) $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p)").AddArgument(path);
                    var resolved = ps.Invoke<string>().FirstOrDefault();
                    if (!string.IsNullOrEmpty(resolved)) return resolved!;
                }
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // Not a file system path, or no runspace to ask: fall through.
            }
            return Path.GetFullPath(path);
        }

        /// <summary>The catalog for a cmdlet call; <paramref name="featurePath"/> is resolved against the current PowerShell location.</summary>
        public static FeatureCatalog Catalog(PSCmdlet cmdlet, IEnumerable<string>? featurePath) =>
            Catalog((featurePath ?? Enumerable.Empty<string>()).Select(cmdlet.GetUnresolvedProviderPathFromPSPath));

        /// <summary>
        /// The one rule of every feature cmdlet (Import, Test, Deploy, Invoke and Get): the folders of -FeaturePath (full
        /// paths here), then those of <see cref="EnvironmentVariable"/>, then the bundled folder; the first that holds a
        /// feature wins. about_Phoenix_Features documents it.
        /// </summary>
        public static FeatureCatalog Catalog(IEnumerable<string> featureFolders) =>
            new FeatureCatalog(BundledFolder, featureFolders.Concat(FromEnvironment()).ToList());
    }
}
