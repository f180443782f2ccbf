using System.Management.Automation;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Destroys VMs (qm destroy --purge). A running VM is refused unless -Force stops it first.</summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixVmCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        public override int VmId { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter NoPurge { get; set; }

        /// <summary>Keep the VM's cloud-init snippets on the host.</summary>
        [Parameter]
        public SwitchParameter KeepSnippets { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            if (!TryChange(host, $"VM {VmId}", "Destroy",
                (h, ct) => VmLifecycle.RemoveAsync(h, VmId, Force.IsPresent, purge: !NoPurge.IsPresent, KeepSnippets.IsPresent, ct), out var removed)) return;
            foreach (var path in removed) WriteVerbose($"VM {VmId}: removed {path}");
        }
    }
}
