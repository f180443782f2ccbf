using System.Management.Automation;
using Phoenix.Engine.Proxmox;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Deletes a snapshot of VMs (qm delsnapshot).</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = SnapshotSet)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixSnapshotCommand : SnapshotTargetCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host) =>
            TryChange(host, $"VM {VmId}", $"Delete snapshot '{Name}'", (h, ct) => h.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct));
    }
}
