using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Shuts VMs down gracefully, waiting up to -TimeoutSec; -Force stops them hard after that.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "PhoenixVm", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class StopPhoenixVmCommand : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 60;

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", "Stop", (h, ct) => VmLifecycle.EnsureStoppedAsync(h, VmId, TimeoutSec, Force.IsPresent, ct))) return;
                var result = RunAsync(async ct =>
                {
                    var stopped = await VmLifecycle.EnsureStoppedAsync(host, VmId, TimeoutSec, Force.IsPresent, ct).ConfigureAwait(false);
                    if (!stopped) Verbose($"VM {VmId} is already stopped.");
                    return (stopped, await VmLifecycle.GetAsync(host, VmId, includeSnapshots: false, ct).ConfigureAwait(false));
                });
                var vm = VmObjects.ToVm(result.Item2, session, Spec);
                if (result.stopped) vm.Changes = new[] { "stopped" };
                WriteObject(vm);
            });
        }
    }
}
