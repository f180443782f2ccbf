using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Takes a snapshot of each VM; an existing snapshot of that name is reported unchanged.</summary>
    [Cmdlet(VerbsCommon.New, "PhoenixSnapshot", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixSnapshot))]
    public sealed class NewPhoenixSnapshotCommand : PhoenixHostCmdlet
    {
        // Several objects of one VM can come down a pipeline (one per feature): snapshot it once.
        private readonly HashSet<int> _done = new HashSet<int>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter]
        public string? Description { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void ProcessRecord()
        {
            if (!_done.Add(VmId)) return;
            var bad = SnapshotNames.Check(VmId, Name);
            if (bad != null) { WriteError(ErrorMapper.ToErrorRecord(bad)); return; }
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", $"Take snapshot '{Name}'", (h, ct) => VmLifecycle.EnsureSnapshotAsync(h, VmId, Name, Description, ct))) return;
                var result = RunAsync(async ct =>
                {
                    var taken = await VmLifecycle.EnsureSnapshotAsync(host, VmId, Name, Description, ct).ConfigureAwait(false);
                    var list = await host.ListSnapshotsAsync(VmId, ct).ConfigureAwait(false);
                    return (taken, snap: list.First(s => s.Name == Name));
                });
                if (!result.taken) WriteVerbose($"VM {VmId} already has a snapshot '{Name}'; left as it is.");
                WriteObject(VmObjects.ToSnapshot(VmId, result.snap, session, result.taken, Spec));
            });
        }
    }
}
