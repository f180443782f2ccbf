using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Renders a VM's user-data and network-config offline; touches no host.</summary>
    [Cmdlet(VerbsData.ConvertTo, "PhoenixCloudInit")]
    [OutputType(typeof(CloudInitDocument))]
    public sealed class ConvertToPhoenixCloudInitCommand : PhoenixCmdlet
    {
        private CloudInitRenderer? _renderer;
        private bool _verbose;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public VmSpec Spec { get; set; } = null!;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TemplatePath { get; set; }

        protected override void BeginProcessing()
        {
            _renderer = CloudInitTemplates.Renderer(this, TemplatePath);
            _verbose = VerboseWanted();
        }

        protected override void ProcessRecord()
        {
            ForItem(Spec.VmId, () =>
            {
                var document = _renderer!.Render(Spec);
                // Called once per VM: the verbose text (two ToString calls) is only built when someone sees it.
                if (_verbose) WriteVerbose($"Rendered {document} from {_renderer.Templates}.");
                WriteObject(document);
            });
        }
    }
}
