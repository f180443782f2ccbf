using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Proxmox;
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

        /// <summary>Keep the VM's cloud-init snippets on the host.</summary>
        [Parameter]
        public SwitchParameter KeepSnippets { get; set; }

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

        private async Task RemoveAsync(ProxmoxHost host, CancellationToken ct)
        {
            if (Force.IsPresent && await host.GetStatusAsync(VmId, ct).ConfigureAwait(false) == "running")
                await host.StopAsync(VmId, cancellationToken: ct).ConfigureAwait(false);
            var snippets = KeepSnippets.IsPresent ? new List<string>() : await PhoenixSnippetsAsync(host, ct).ConfigureAwait(false);
            await host.DestroyAsync(VmId, purge: !NoPurge.IsPresent, cancellationToken: ct).ConfigureAwait(false);
            // The snippets hold the VM's user, keys and password hash: they go with the VM.
            foreach (var path in snippets)
                if (await host.Connection.DeleteAsync(path, ct).ConfigureAwait(false)) Verbose($"VM {VmId}: removed {path}");
        }

        // Only the files Phoenix names for this VM (user-data-<id>.yml, network-config-<id>.yml and the marker
        // beside them), and only when the VM's cicustom points at them: an admin's own snippets are left alone.
        private async Task<List<string>> PhoenixSnippetsAsync(ProxmoxHost host, CancellationToken ct)
        {
            var paths = new List<string>();
            var config = await host.GetVmConfigAsync(VmId, cancellationToken: ct).ConfigureAwait(false);
            var cicustom = config["cicustom"];
            if (cicustom == null) return paths;
            var id = VmId.ToString(CultureInfo.InvariantCulture);
            var parts = PropertyString.Parse(cicustom).ToDictionary();
            string? dir = null;
            foreach (var (key, file) in new[] { ("user", $"user-data-{id}.yml"), ("network", $"network-config-{id}.yml") })
            {
                if (!parts.TryGetValue(key, out var volid) || !volid.EndsWith(":snippets/" + file, StringComparison.Ordinal)) continue;
                var path = await host.StoragePathAsync(volid, ct).ConfigureAwait(false);
                paths.Add(path);
                dir ??= path.Substring(0, path.LastIndexOf('/') + 1);
            }
            if (dir != null) paths.Add(dir + ".phoenix-cloudinit-" + id);
            return paths;
        }
    }
}
