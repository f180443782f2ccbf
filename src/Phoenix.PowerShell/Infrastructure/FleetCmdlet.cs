using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet over the config entries piped in, taken together at the end (Deploy-PhoenixVm, Compare-PhoenixVm):
    /// the parameters that say where features and templates come from, where snippets go and which template a clone
    /// defaults to are declared here once, so both cmdlets read a config the same way.
    /// </summary>
    public abstract class FleetCmdlet : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public VmSpec[] Spec { get; set; } = new VmSpec[0];

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? FeaturePath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TemplatePath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Storage)]
        [ArgumentCompleter(typeof(StorageNameCompleter))]
        public string SnippetStorage { get; set; } = CloudInitApplyOptions.DefaultStorage;

        [Parameter]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public int DefaultTemplateVmId { get; set; } = 9000;

        /// <summary>The entries collected so far, each VM once, in the order they came.</summary>
        protected List<VmSpec> Specs { get; } = new List<VmSpec>();

        /// <summary>-TemplatePath as a file-system path, or null for the templates bundled with Phoenix.</summary>
        protected string? TemplateFolder => TemplatePath == null ? null : GetUnresolvedProviderPathFromPSPath(TemplatePath);

        /// <summary>Collects this record's entries; returns those whose VM came before (they are not collected twice).</summary>
        protected IReadOnlyList<VmSpec> CollectSpecs()
        {
            var repeated = new List<VmSpec>();
            foreach (var s in Spec)
            {
                if (Specs.Any(x => x.VmId == s.VmId)) repeated.Add(s);
                else Specs.Add(s);
            }
            return repeated;
        }
    }
}
