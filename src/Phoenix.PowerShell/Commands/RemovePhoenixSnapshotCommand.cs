using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Deletes a snapshot of VMs (qm delsnapshot).</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixSnapshotCommand : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var bad = SnapshotNames.Check(VmId, Name);
            if (bad != null) { WriteError(ErrorMapper.ToErrorRecord(bad)); return; }
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", $"Delete snapshot '{Name}'", (h, ct) => h.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct))) return;
                RunAsync(ct => host.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct));
            });
        }
    }
}
