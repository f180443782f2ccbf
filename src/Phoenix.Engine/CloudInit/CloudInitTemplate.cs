using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>Which cloud-init file a template makes.</summary>
    public enum CloudInitTemplateKind
    {
        /// <summary><c>user-data.template.yml</c>: a <c>#cloud-config</c> document.</summary>
        UserData,
        /// <summary><c>network-config.template.yml</c>: a network config (version 1 or 2).</summary>
        NetworkConfig,
    }

    /// <summary>
    /// One template: its text and where it came from. Creating it checks that it is YAML and that every
    /// <c>__NAME__</c> in it is a known placeholder (<see cref="CloudInitPlaceholders"/>), so a bad template fails
    /// before any VM is rendered.
    /// </summary>
    public sealed class CloudInitTemplate
    {
        /// <summary>Checks and wraps <paramref name="text"/>; <paramref name="source"/> (a file path) names it in errors.</summary>
        /// <exception cref="PhoenixException">Broken YAML, or an unknown or misplaced placeholder (Reason <c>UnknownPlaceholder</c>, ...).</exception>
        public CloudInitTemplate(CloudInitTemplateKind kind, string text, string source)
        {
            Kind = kind;
            Source = source ?? throw new ArgumentNullException(nameof(source));
            Text = YamlTemplateEngine.Normalize(text ?? throw new ArgumentNullException(nameof(text)));
            Events = YamlTemplateEngine.ParseTemplate(Text, Source);
            EventPlaceholders = YamlTemplateEngine.PlaceholdersIn(Events);
            Placeholders = YamlTemplateEngine.Inspect(this);
        }

        /// <summary>User-data or network-config.</summary>
        public CloudInitTemplateKind Kind { get; }

        /// <summary>The template text (BOM removed, line ends as <c>\n</c>).</summary>
        public string Text { get; }

        /// <summary>The file it was read from, or <c>default user-data</c> / <c>default network-config</c>.</summary>
        public string Source { get; }

        /// <summary>The template's YAML events, parsed once here: every render walks these (they are immutable) instead of parsing again.</summary>
        internal IReadOnlyList<YamlDotNet.Core.Events.ParsingEvent> Events { get; }

        /// <summary>The placeholder names in each of <see cref="Events"/> (empty for most).</summary>
        internal IReadOnlyList<string[]> EventPlaceholders { get; }

        /// <summary>The placeholders it uses, in order of appearance.</summary>
        public IReadOnlyList<string> Placeholders { get; }

        /// <summary>Reads a template file.</summary>
        public static CloudInitTemplate FromFile(CloudInitTemplateKind kind, string path)
        {
            try
            {
                return new CloudInitTemplate(kind, File.ReadAllText(path), path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.TemplateUnreadable, "Cloud-init template '" + path +
                    "' cannot be read: " + e.Message, path, e)
                {
                    RecommendedAction = "Check that the file exists and can be read.",
                };
            }
        }

        /// <summary><c>user-data template (default user-data)</c>.</summary>
        public override string ToString() => (Kind == CloudInitTemplateKind.UserData ? "user-data" : "network-config") + " template (" + Source + ")";
    }

    /// <summary>The pair of templates a render uses.</summary>
    public sealed class CloudInitTemplateSet
    {
        /// <summary>File name of the user-data template in a template directory.</summary>
        public const string UserDataFileName = "user-data.template.yml";

        /// <summary>File name of the network-config template in a template directory.</summary>
        public const string NetworkConfigFileName = "network-config.template.yml";

        private static readonly Lazy<CloudInitTemplateSet> _default = new Lazy<CloudInitTemplateSet>(() => new CloudInitTemplateSet(
            new CloudInitTemplate(CloudInitTemplateKind.UserData, DefaultTemplates.UserData, "default user-data"),
            new CloudInitTemplate(CloudInitTemplateKind.NetworkConfig, DefaultTemplates.NetworkConfig, "default network-config")));

        /// <summary>Pairs two templates.</summary>
        public CloudInitTemplateSet(CloudInitTemplate userData, CloudInitTemplate networkConfig)
        {
            UserData = userData ?? throw new ArgumentNullException(nameof(userData));
            NetworkConfig = networkConfig ?? throw new ArgumentNullException(nameof(networkConfig));
            if (userData.Kind != CloudInitTemplateKind.UserData || networkConfig.Kind != CloudInitTemplateKind.NetworkConfig)
                throw new ArgumentException("Templates are of the wrong kind.");
        }

        /// <summary>Phoenix's own templates (the same text as templates/cloud-init/ in the module).</summary>
        public static CloudInitTemplateSet Default => _default.Value;

        /// <summary>The user-data template.</summary>
        public CloudInitTemplate UserData { get; }

        /// <summary>The network-config template.</summary>
        public CloudInitTemplate NetworkConfig { get; }

        /// <summary>
        /// The templates of a user's directory (<c>-TemplatePath</c>): <see cref="UserDataFileName"/> and
        /// <see cref="NetworkConfigFileName"/>; a file the directory lacks is taken from the defaults, but at least
        /// one must be there.
        /// </summary>
        /// <exception cref="PhoenixException">Directory missing or without templates (NotFound), or a bad template.</exception>
        public static CloudInitTemplateSet FromDirectory(string directory)
        {
            if (directory == null) throw new ArgumentNullException(nameof(directory));
            if (!Directory.Exists(directory))
                throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.TemplatePathNotFound, "Cloud-init template directory '" + directory +
                    "' does not exist.", directory)
                {
                    RecommendedAction = "Give a directory holding " + UserDataFileName + " and/or " + NetworkConfigFileName + ".",
                };
            var ud = Path.Combine(directory, UserDataFileName);
            var nc = Path.Combine(directory, NetworkConfigFileName);
            if (!File.Exists(ud) && !File.Exists(nc))
                throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.TemplateNotFound, "Cloud-init template directory '" + directory +
                    "' holds neither " + UserDataFileName + " nor " + NetworkConfigFileName + ".", directory)
                {
                    RecommendedAction = "Copy the templates from the module's templates/cloud-init folder and edit them.",
                };
            return new CloudInitTemplateSet(
                File.Exists(ud) ? CloudInitTemplate.FromFile(CloudInitTemplateKind.UserData, ud) : Default.UserData,
                File.Exists(nc) ? CloudInitTemplate.FromFile(CloudInitTemplateKind.NetworkConfig, nc) : Default.NetworkConfig);
        }

        /// <summary>Both sources.</summary>
        public override string ToString() => UserData.Source + ", " + NetworkConfig.Source;
    }
}
