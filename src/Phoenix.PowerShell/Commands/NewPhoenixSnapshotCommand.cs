using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Takes a snapshot of each VM; an existing snapshot of that name is reported unchanged.</summary>
    [Cmdlet(VerbsCommon.New, "PhoenixSnapshot", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixSnapshot))]
    public sealed class NewPhoenixSnapshotCommand : VmTargetCmdlet
    {
        // Several objects of one VM can come down a pipeline (one per feature): snapshot it once.
        private readonly HashSet<int> _done = new HashSet<int>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Snapshot)]
        public string Name { get; set; } = "";

        [Parameter]
        [ValidateRemoteText]
        public string? Description { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override bool Check()
        {
            // -Name was checked while it bound (ValidateProxmoxName): a bad name never gets this far.
            return _done.Add(VmId);
        }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            if (!TryChange(host, VmLabel.Of(VmId, Spec?.Name), $"Take snapshot '{Name}'",
                (h, ct) => VmLifecycle.EnsureSnapshotAsync(h, VmId, Name, Description, ct), out var taken)) return;
            if (!taken) WriteVerbose($"VM {VmId} already has a snapshot '{Name}'; left as it is.");
            var list = RunAsync(ct => host.ListSnapshotsAsync(VmId, ct));
            WriteObject(VmObjects.ToSnapshot(VmId, list.First(s => s.Name == Name), session, taken, Spec));
        }
    }
}
