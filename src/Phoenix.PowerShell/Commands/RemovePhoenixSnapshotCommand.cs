using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Deletes a snapshot of VMs (qm delsnapshot).</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByNameSet)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixSnapshotCommand : SnapshotTargetCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void Process(PhoenixSession session)
        {
            var host = OpenHost(session);
            if (!ShouldProcessPlan(session, $"VM {VmId}", $"Delete snapshot '{Name}'", (h, ct) => h.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct))) return;
            RunAsync(ct => host.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct));
        }
    }
}
