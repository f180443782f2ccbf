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
    public sealed class ComparePhoenixVmCommand : FleetCmdlet
    {
        protected override void ProcessRecord() => CollectSpecs();

        private string OwnerOrPlacedNode(PhoenixSession session, VmSpec spec)
        {
            var owner = Inventory(session).Guest(spec.VmId);
            return owner is { IsVm: true, Node: string n } ? n : spec.Node ?? session.Node;
        }

        protected override void EndProcessing()
        {
            if (Specs.Count == 0) return;
            var session = ResolveSession();
            var byId = Specs.ToDictionary(s => s.VmId);
            var options = new DriftOptions
            {
                Provision = new ProvisionOptions { DefaultTemplateVmId = DefaultTemplateVmId },
                CloudInit = new CloudInitApplyOptions
                {
                    Storage = SnippetStorage,
                    TemplateSet = CloudInitTemplates.Load(this, TemplateFolder),
                },
                Features = FeatureFolders.Catalog(this, FeaturePath),
            };
            // Every command goes through a plan: reads run, anything else is only recorded, so the report cannot change the host.
            using var recorder = new PlanRecorder(ConnectionFor(session));
            var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);
            var unresolved = RunAsync(ct => TemplateNames.ResolveAsync(host, Specs, byId, options.Provision, ct));
            var recorders = new List<PlanRecorder>();
            foreach (var spec in Specs)
            {
                if (unresolved.TryGetValue(spec.VmId, out var error))
                {
                    WriteError(ErrorMapper.ToErrorRecord(error, spec.VmId));
                    continue;
                }
                IReadOnlyList<VmDrift> drift;
                string node;
                try
                {
                    // In a cluster a VM is compared on the node that owns it (a new one: on the node its config names).
                    node = session.IsCluster ? OwnerOrPlacedNode(session, spec) : session.Node;
                    var there = host;
                    if (node != session.Node)
                    {
                        TargetNode = node;
                        var r = new PlanRecorder(ConnectionFor(session));
                        recorders.Add(r);
                        there = new ProxmoxHost(r, RetryPolicy.NoRetry);
                    }
                    drift = RunAsync(ct => DriftReport.CompareAsync(there, spec, byId, options, ct));
                }
                catch (PhoenixException e)
                {
                    WriteError(ErrorMapper.ToErrorRecord(e, spec.VmId));
                    continue;
                }
                finally
                {
                    TargetNode = null;
                }
                foreach (var d in drift)
                {
                    d.Node = node;
                    WriteObject(d);
                }
            }
            foreach (var r in recorders) r.Dispose();
        }
    }
}
