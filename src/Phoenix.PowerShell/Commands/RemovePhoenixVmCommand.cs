using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Destroys VMs (qm destroy --purge). A running VM is refused unless -Force stops it first, and so is a template. The VM
    /// is read first: when a name is given or piped in (a config entry, a PhoenixVm), the VM that holds the VMID must have
    /// it, and the confirmation names the VM as the host has it.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "PhoenixVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemovePhoenixVmCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        /// <summary>The name the VM must have; binds from a config entry or a PhoenixVm, so another VM on that VMID is left alone.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateProxmoxName(NameKind.VmName)]
        public string? Name { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter NoPurge { get; set; }

        /// <summary>Keep the VM's cloud-init snippets on the host.</summary>
        [Parameter]
        public SwitchParameter KeepSnippets { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            // Read and checked before the question, so the question names the VM the host really has on this VMID.
            var config = RunAsync(ct => VmLifecycle.CheckRemovalAsync(host, VmId, Name, allowTemplate: Force.IsPresent, ct));
            if (!TryChange(host, VmLabel.Of(VmId, config.Name), config.IsTemplate ? "Destroy template" : "Destroy",
                (h, ct) => VmLifecycle.RemoveAsync(h, VmId, Force.IsPresent, purge: !NoPurge.IsPresent, KeepSnippets.IsPresent, ct, config),
                out var removed)) return;
            foreach (var path in removed) WriteVerbose($"VM {VmId}: removed {path}");
        }
    }
}
