using System.Linq;
using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Rolls VMs back to a snapshot (qm rollback). A running VM is stopped by Proxmox first.</summary>
    [Cmdlet(VerbsData.Restore, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByName")]
    [OutputType(typeof(PhoenixVm))]
    public sealed class RestorePhoenixSnapshotCommand : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ByName")]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        // Not bound by property name: a piped VM's Name is the VM's, not a snapshot's.
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByName")]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>A snapshot from Get-PhoenixSnapshot.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Snapshot")]
        public PhoenixSnapshot? InputObject { get; set; }

        [Parameter]
        public SwitchParameter Start { get; set; }

        protected override void ProcessRecord()
        {
            if (InputObject != null)
            {
                VmId = InputObject.VmId;
                Name = InputObject.Name;
                if (InputObject.Session != null && Session == null) Session = InputObject.Session;
            }
            var bad = SnapshotNames.Check(VmId, Name);
            if (bad != null) { WriteError(ErrorMapper.ToErrorRecord(bad)); return; }
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", $"Roll back to snapshot '{Name}' (the current state is lost)",
                    (h, ct) => h.RollbackAsync(VmId, Name, Start.IsPresent, ct))) return;
                var state = RunAsync(async ct =>
                {
                    await host.RollbackAsync(VmId, Name, Start.IsPresent, ct).ConfigureAwait(false);
                    return await Phoenix.Engine.Workflow.VmLifecycle.GetAsync(host, VmId, includeSnapshots: true, ct).ConfigureAwait(false);
                });
                var vm = VmObjects.ToVm(state, session);
                vm.Changes = new[] { $"rolled back to {Name}" };
                WriteObject(vm);
            });
        }
    }
}
