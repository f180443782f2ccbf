using System.Management.Automation;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Destroys VMs (qm destroy --purge). A running VM is refused unless -Force stops it first.</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixVmCommand : PhoenixHostCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int VmId { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter NoPurge { get; set; }

        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                var host = OpenHost(session);
                if (!ShouldProcessPlan(session, $"VM {VmId}", "Destroy", (h, ct) => RemoveAsync(h, ct))) return;
                RunAsync(ct => RemoveAsync(host, ct));
            });
        }

        private async System.Threading.Tasks.Task RemoveAsync(Phoenix.Engine.Proxmox.ProxmoxHost host, System.Threading.CancellationToken ct)
        {
            if (Force.IsPresent && await host.GetStatusAsync(VmId, ct).ConfigureAwait(false) == "running")
                await host.StopAsync(VmId, cancellationToken: ct).ConfigureAwait(false);
            await host.DestroyAsync(VmId, purge: !NoPurge.IsPresent, cancellationToken: ct).ConfigureAwait(false);
        }
    }
}
