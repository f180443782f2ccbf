using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Starts VMs that are not running; a running VM is reported unchanged.</summary>
    [Cmdlet(VerbsLifecycle.Start, "PhoenixVm", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class StartPhoenixVmCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            if (!TryChange(host, VmLabel.Of(VmId, Spec?.Name), "Start", (h, ct) => VmLifecycle.EnsureStartedAsync(h, VmId, ct), out var started)) return;
            if (!started) WriteVerbose($"VM {VmId} is already running.");
            var state = RunAsync(ct => VmLifecycle.GetAsync(host, VmId, includeSnapshots: false, ct));
            var vm = VmObjects.ToVm(state, session, Spec, NodeNameFor(session));
            if (started) vm.Changes = new[] { "started" };
            WriteObject(vm);
        }
    }
}
