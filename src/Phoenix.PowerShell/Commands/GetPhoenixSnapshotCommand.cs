using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Proxmox;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Lists the snapshots of VMs (from qm listsnapshot), with parent and time.</summary>
    [Cmdlet(VerbsCommon.Get, "PhoenixSnapshot")]
    [OutputType(typeof(PhoenixSnapshot))]
    public sealed class GetPhoenixSnapshotCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter(Position = 1)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        public string[]? Name { get; set; }

        [Parameter]
        public SwitchParameter IncludeCurrent { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            var list = RunAsync(ct => host.ListSnapshotsAsync(VmId, ct));
            var patterns = (Name ?? new[] { "*" }).Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
            foreach (var s in list)
            {
                if (s.IsCurrent && !IncludeCurrent.IsPresent) continue;
                if (!s.IsCurrent && !patterns.Any(p => p.IsMatch(s.Name))) continue;
                WriteObject(VmObjects.ToSnapshot(VmId, s, session));
            }
        }
    }
}
