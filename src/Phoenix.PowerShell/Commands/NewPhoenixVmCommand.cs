using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Makes a VM as its spec says: a clone of its source (clone_from_vmid, from that VM's
    /// template_snapshot_name snapshot; else template_vmid; else the base template), then cores,
    /// memory, disk, bridge, boot settings, agent and qm_options. An existing VM of that name is
    /// brought in line and reported; one with another name is an error.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "PhoenixVm", SupportsShouldProcess = true, DefaultParameterSetName = SpecSet)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class NewPhoenixVmCommand : PhoenixHostCmdlet
    {
        private const string SpecSet = "Spec";
        private const string ParameterSet = "Parameters";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        public VmSpec? Spec { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSet)]
        [ValidateVmId]
        public int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 1, ParameterSetName = ParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.VmName)]
        public string Name { get; set; } = "";

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public int CloneFromVmId { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Snapshot)]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        public string? SnapshotName { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateRange(1, 512)]
        public int Cores { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateRange(16, 16777216)]
        public int MemoryMb { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateRange(1, 131072)]
        public int DiskSizeGb { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Bridge)]
        public string? NetworkBridge { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Storage)]
        [ArgumentCompleter(typeof(StorageNameCompleter))]
        public string? StoragePool { get; set; }

        /// <summary>Full ($true) or linked ($false) clones; by default Proxmox's choice: linked from a template, full otherwise.</summary>
        [Parameter]
        public bool? FullClone { get; set; }

        [Parameter]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public int DefaultTemplateVmId { get; set; } = 9000;

        // Specs seen in this pipeline, so a VM cloned from another VM's snapshot finds that VM's snapshot name.
        private readonly Dictionary<int, VmSpec> _seen = new Dictionary<int, VmSpec>();
        private readonly HashSet<int> _planned = new HashSet<int>();

        protected override void ProcessRecord()
        {
            var spec = ParameterSetName == SpecSet ? Spec! : FromParameters();
            _seen[spec.VmId] = spec;
            if (ParameterSetName == ParameterSet && SnapshotName != null && spec.CloneFromVmId is int source && !_seen.ContainsKey(source))
            {
                // -SnapshotName names the source's snapshot the way template_snapshot_name does in a config.
                _seen[source] = new VmSpec { VmId = source, TemplateSnapshotName = SnapshotName };
            }
            var session = ResolveSession();
            var options = new ProvisionOptions { DefaultTemplateVmId = DefaultTemplateVmId, FullClone = FullClone };
            ForItem(spec.VmId, () =>
            {
                if (spec.IsTemplate)
                {
                    WriteWarning($"{VmLabel.Of(spec)} is a template in the config; New-PhoenixTemplate makes templates. Skipped.");
                    return;
                }
                var host = OpenHost(session);
                // A VM planned under -WhatIf counts as there for the VMs after it in this pipeline (a clone of it is planned from it).
                if (!TryChange(host, VmLabel.Of(spec), "Create or update", async (h, ct) =>
                {
                    var unresolved = await TemplateNames.ResolveAsync(h, new[] { spec }, _seen, options, ct).ConfigureAwait(false);
                    if (unresolved.TryGetValue(spec.VmId, out var error)) throw error;
                    var clone = await VmProvisioner.EnsureCloneAsync(h, spec, _seen, options, _planned, ct).ConfigureAwait(false);
                    var configure = await VmProvisioner.ConfigureAsync(h, spec, ct, _seen, options).ConfigureAwait(false);
                    return (clone, configure);
                }, out var result)) return;

                var state = RunAsync(ct => VmLifecycle.GetAsync(host, spec.VmId, includeSnapshots: true, ct));
                foreach (var w in result.configure.Warnings) WriteWarning(w);
                var vm = VmObjects.ToVm(state, session, spec);
                vm.Changes = result.clone.Changes.Concat(result.configure.Changes).ToList();
                WriteVerbose(vm.Changed ? $"VM {spec.VmId}: {string.Join("; ", vm.Changes)}" : $"{VmLabel.Of(spec)} is already as the config says; unchanged.");
                WriteObject(vm);
            });
        }

        private VmSpec FromParameters() => new VmSpec
        {
            VmId = VmId,
            Name = Name,
            CloneFromVmId = MyInvocation.BoundParameters.ContainsKey(nameof(CloneFromVmId)) ? CloneFromVmId : (int?)null,
            TemplateSnapshotName = null,
            Cores = MyInvocation.BoundParameters.ContainsKey(nameof(Cores)) ? Cores : (int?)null,
            MemoryMb = MyInvocation.BoundParameters.ContainsKey(nameof(MemoryMb)) ? MemoryMb : (int?)null,
            DiskSizeGb = MyInvocation.BoundParameters.ContainsKey(nameof(DiskSizeGb)) ? DiskSizeGb : (int?)null,
            NetworkBridge = NetworkBridge,
            StoragePool = StoragePool,
        };
    }
}
