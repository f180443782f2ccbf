using System.Management.Automation;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that acts on one named snapshot of a VM: by -VmId and -Name, or on snapshots piped
    /// from Get-PhoenixSnapshot. -Name is deliberately not bound by property name: a piped VM's Name
    /// is the VM's, not a snapshot's. The cmdlets default to the Snapshot set, so that a piped snapshot
    /// binds as a whole (PowerShell tries the default set first and would bind only its VmId by name).
    /// </summary>
    public abstract class SnapshotTargetCmdlet : VmTargetCmdlet
    {
        protected const string ByNameSet = "ByName";
        protected const string SnapshotSet = "Snapshot";

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByNameSet)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Snapshot)]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        public string Name { get; set; } = "";

        /// <summary>A snapshot from Get-PhoenixSnapshot.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SnapshotSet)]
        public PhoenixSnapshot? InputObject { get; set; }

        protected override bool Check()
        {
            if (InputObject != null)
            {
                VmId = InputObject.VmId;
                Name = InputObject.Name;
                if (InputObject.Session != null && Session == null) Session = InputObject.Session;
            }
            // -Name was checked while it bound (ValidateProxmoxName); a piped snapshot's name is checked by the same rule here.
            var bad = SnapshotNames.Check(VmId, Name);
            if (bad == null) return true;
            WriteError(ErrorMapper.ToErrorRecord(bad));
            return false;
        }
    }
}
