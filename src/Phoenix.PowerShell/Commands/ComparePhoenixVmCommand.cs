using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// The drift report: for each config entry piped in, one object per difference between the config and its VM
    /// (configuration fields as Proxmox means them, cloud-init snippets, snapshots that should exist, features whose
    /// script or context changed since they last ran), with the action Deploy-PhoenixVm would take. Touches nothing.
    /// </summary>
    [Cmdlet(VerbsData.Compare, "PhoenixVm")]
    [OutputType(typeof(VmDrift))]
    public sealed class ComparePhoenixVmCommand : PhoenixHostCmdlet
    {
        private readonly List<VmSpec> _specs = new List<VmSpec>();

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
        public string SnippetStorage { get; set; } = CloudInitApplyOptions.DefaultStorage;

        [Parameter]
        [ValidateVmId]
        public int DefaultTemplateVmId { get; set; } = 9000;

        protected override void ProcessRecord()
        {
            foreach (var s in Spec)
                if (_specs.All(x => x.VmId != s.VmId)) _specs.Add(s);
        }

        protected override void EndProcessing()
        {
            if (_specs.Count == 0) return;
            var session = ResolveSession();
            var byId = _specs.ToDictionary(s => s.VmId);
            var options = new DriftOptions
            {
                Provision = new ProvisionOptions { DefaultTemplateVmId = DefaultTemplateVmId },
                CloudInit = new CloudInitApplyOptions
                {
                    Storage = SnippetStorage,
                    TemplateSet = CloudInitTemplates.Load(this, TemplatePath == null ? null : GetUnresolvedProviderPathFromPSPath(TemplatePath)),
                },
                Features = FeatureFolders.Catalog(this, FeaturePath),
            };
            // Every command goes through a plan: reads run, anything else is only recorded, so the report cannot change the host.
            using var recorder = new PlanRecorder(ConnectionFor(session));
            var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);
            var unresolved = RunAsync(ct => TemplateNames.ResolveAsync(host, _specs, byId, options.Provision, ct));
            foreach (var spec in _specs)
            {
                if (unresolved.TryGetValue(spec.VmId, out var error))
                {
                    WriteError(ErrorMapper.ToErrorRecord(error, spec.VmId));
                    continue;
                }
                IReadOnlyList<VmDrift> drift;
                try
                {
                    drift = RunAsync(ct => DriftReport.CompareAsync(host, spec, byId, options, ct));
                }
                catch (PhoenixException e)
                {
                    WriteError(ErrorMapper.ToErrorRecord(e, spec.VmId));
                    continue;
                }
                foreach (var d in drift) WriteObject(d);
            }
        }
    }
}
