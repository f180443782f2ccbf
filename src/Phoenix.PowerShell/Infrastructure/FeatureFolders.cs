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
    /// <c>features</c> folder.
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

        /// <summary>The catalog for a cmdlet call; <paramref name="featurePath"/> is resolved against the current PowerShell location.</summary>
        public static FeatureCatalog Catalog(PSCmdlet cmdlet, IEnumerable<string>? featurePath)
        {
            var user = (featurePath ?? Enumerable.Empty<string>()).Select(cmdlet.GetUnresolvedProviderPathFromPSPath).ToList();
            user.AddRange(FromEnvironment());
            return new FeatureCatalog(BundledFolder, user);
        }
    }
}
