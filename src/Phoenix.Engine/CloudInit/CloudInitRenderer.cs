using System;
using System.Globalization;
using System.Linq;
using System.Text;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// Renders a VM's user-data and network-config from templates (Phoenix's defaults or a user's directory).
    /// Offline and deterministic: the same spec and templates give the same bytes and hash.
    /// </summary>
    public sealed class CloudInitRenderer
    {
        /// <summary>The rules whose values reach cloud-init; a renderer called on an unvalidated spec still refuses them.</summary>
        internal static readonly string[] ValueRules =
        {
            ConfigRules.NameDnsFormat, ConfigRules.UsernameFormat, ConfigRules.PasswordHashFormat, ConfigRules.SshKeyFormat,
            ConfigRules.IpFormat, ConfigRules.GatewayFormat, ConfigRules.GatewayOutsideSubnet, ConfigRules.GatewayWithDhcp,
            ConfigRules.NameserverFormat, ConfigRules.SearchDomainFormat, ConfigRules.VmIdRange,
        };

        /// <summary>A renderer with Phoenix's default templates.</summary>
        public CloudInitRenderer() : this(CloudInitTemplateSet.Default)
        {
        }

        /// <summary>A renderer with the given templates (see <see cref="CloudInitTemplateSet.FromDirectory"/>).</summary>
        public CloudInitRenderer(CloudInitTemplateSet templates)
        {
            Templates = templates ?? throw new ArgumentNullException(nameof(templates));
        }

        /// <summary>The templates in use.</summary>
        public CloudInitTemplateSet Templates { get; }

        /// <summary>
        /// Renders both files for <paramref name="vm"/>. Each value is inserted as a quoted YAML scalar or list and the
        /// result is parsed back and compared with the intended values before it is returned.
        /// </summary>
        /// <exception cref="PhoenixException">
        /// A value that validation refuses (Reason <c>InvalidCloudInitValue</c>, message without secrets), a missing
        /// required value (<c>MissingValue</c>), a template problem, a render that does not parse back as intended
        /// (<c>CloudInitRenderMismatch</c>), or a file over 1 MiB (<c>SnippetTooLarge</c>).
        /// </exception>
        public CloudInitDocument Render(VmSpec vm)
        {
            if (vm == null) throw new ArgumentNullException(nameof(vm));
            var label = VmLabel.Of(vm);

            // A spec that Import-PhoenixConfig (or any ValidateVms) found clean for these rules is not checked again per render.
            if (!vm.CloudInitValuesChecked)
            {
                var refused = new ConfigValidator().ValidateVms(new[] { vm })
                    .Where(f => f.Level == ConfigSeverity.Error && ValueRules.Contains(f.Rule)).ToList();
                if (refused.Count > 0)
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidCloudInitValue,
                        "Cloud-init for " + label + " cannot be rendered: " + string.Join(" ", refused.Select(f => f.Message)), vm)
                    {
                        RecommendedAction = refused[0].Suggestion,
                    };
            }

            var values = CloudInitPlaceholders.ValuesFor(vm);
            var userData = YamlTemplateEngine.Render(Templates.UserData, values, label);
            userData = EnsureCloudConfigHeader(userData);
            var network = YamlTemplateEngine.Render(Templates.NetworkConfig, values, label);

            foreach (var (name, text) in new[] { ("user-data", userData), ("network-config", network) })
                if (Encoding.UTF8.GetByteCount(text) > CloudInitDocument.MaxSnippetBytes)
                    throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.SnippetTooLarge,
                        "The " + name + " rendered for " + label +
                            " is over 1 MiB; Proxmox refuses such a snippet (\"file '<path>' too long - aborting\").", vm);

            return new CloudInitDocument(vm.VmId, userData, network, Templates.ToString());
        }

        // cloud-init reads a file as cloud-config only when "#cloud-config" is its very first line; the bash templates
        // put comments first. A template that lacks it on line 1 gets it added (its own later "#cloud-config" is a comment).
        private static string EnsureCloudConfigHeader(string text)
        {
            var firstEnd = text.IndexOf('\n');
            var first = firstEnd < 0 ? text : text.Substring(0, firstEnd);
            if (first.TrimEnd() == "#cloud-config") return "#cloud-config" + (firstEnd < 0 ? "\n" : text.Substring(firstEnd));
            return "#cloud-config\n" + text;
        }
    }
}
