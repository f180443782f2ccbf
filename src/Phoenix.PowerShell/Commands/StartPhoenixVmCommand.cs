using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Starts VMs that are not running; a running VM is reported unchanged.</summary>
    [Cmdlet(VerbsLifecycle.Start, "PhoenixVm", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class StartPhoenixVmCommand : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", "Start", (h, ct) => VmLifecycle.EnsureStartedAsync(h, VmId, ct))) return;
                var state = RunAsync(async ct =>
                {
                    var started = await VmLifecycle.EnsureStartedAsync(host, VmId, ct).ConfigureAwait(false);
                    if (!started) Verbose($"VM {VmId} is already running.");
                    var s = await VmLifecycle.GetAsync(host, VmId, includeSnapshots: false, ct).ConfigureAwait(false);
                    return (started, s);
                });
                var vm = VmObjects.ToVm(state.s, session, Spec);
                if (state.started) vm.Changes = new[] { "started" };
                WriteObject(vm);
            });
        }
    }
}
