using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Shuts VMs down gracefully, waiting up to -TimeoutSec; -Force stops them hard after that.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "PhoenixVm", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class StopPhoenixVmCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 60;

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            if (!TryChange(host, VmLabel.Of(VmId, Spec?.Name), "Stop",
                (h, ct) => VmLifecycle.EnsureStoppedAsync(h, VmId, TimeoutSec, Force.IsPresent, ct), out var stopped)) return;
            if (!stopped) WriteVerbose($"VM {VmId} is already stopped.");
            var state = RunAsync(ct => VmLifecycle.GetAsync(host, VmId, includeSnapshots: false, ct));
            var vm = VmObjects.ToVm(state, session, Spec, NodeNameFor(session));
            if (stopped) vm.Changes = new[] { "stopped" };
            WriteObject(vm);
        }
    }
}
