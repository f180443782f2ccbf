using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Deletes a snapshot of VMs (qm delsnapshot).</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByName")]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixSnapshotCommand : PhoenixHostCmdlet
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
        public SwitchParameter Force { get; set; }

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
                if (!ShouldProcessPlan(session, $"VM {VmId}", $"Delete snapshot '{Name}'", (h, ct) => h.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct))) return;
                RunAsync(ct => host.DeleteSnapshotAsync(VmId, Name, Force.IsPresent, ct));
            });
        }
    }
}
