using System.Management.Automation;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Rolls VMs back to a snapshot (qm rollback). A running VM is stopped by Proxmox first.</summary>
    [Cmdlet(VerbsData.Restore, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = SnapshotSet)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class RestorePhoenixSnapshotCommand : SnapshotTargetCmdlet
    {
        [Parameter]
        public SwitchParameter Start { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            if (!TryChange(host, $"VM {VmId}", $"Roll back to snapshot '{Name}' (the current state is lost)",
                (h, ct) => h.RollbackAsync(VmId, Name, Start.IsPresent, ct))) return;
            var state = RunAsync(ct => VmLifecycle.GetAsync(host, VmId, includeSnapshots: true, ct));
            var vm = VmObjects.ToVm(state, session, null, NodeNameFor(session));
            vm.Changes = new[] { $"rolled back to {Name}" };
            WriteObject(vm);
        }
    }
}
