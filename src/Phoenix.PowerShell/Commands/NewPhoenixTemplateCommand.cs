using System;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Makes a base template from a cloud image that is on the host: qm create, importdisk, disk and
    /// cloud-init drive, serial console, agent on, resize, qm template. Idempotent: a finished template
    /// is left alone and a half-built one is finished.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "PhoenixTemplate", SupportsShouldProcess = true, DefaultParameterSetName = ParameterSet)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class NewPhoenixTemplateCommand : PhoenixHostCmdlet
    {
        private const string SpecSet = "Spec";
        private const string ParameterSet = "Parameters";
        private const string UrlSet = "Url";

        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        public VmSpec? Spec { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = UrlSet)]
        [ValidateVmId]
        public int VmId { get; set; }

        [Parameter(Mandatory = true, Position = 1, ParameterSetName = ParameterSet)]
        [Parameter(Mandatory = true, Position = 1, ParameterSetName = UrlSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.VmName)]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = UrlSet)]
        [ValidateNotNullOrEmpty]
        public Uri? ImageUrl { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = UrlSet)]
        [ValidatePattern("^[0-9a-fA-F]{64}$")]
        public string? ImageSha256 { get; set; }

        [Parameter(Mandatory = true, Position = 2, ParameterSetName = ParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateRemoteText]
        public string Image { get; set; } = "";

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Storage)]
        [ArgumentCompleter(typeof(StorageNameCompleter))]
        public string ImageStorage { get; set; } = ProxmoxNames.LocalStorage;

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Storage)]
        [ArgumentCompleter(typeof(StorageNameCompleter))]
        public string Storage { get; set; } = "local-lvm";

        [Parameter(ParameterSetName = ParameterSet)]
        [Parameter(ParameterSetName = UrlSet)]
        [ValidateRange(1, 512)]
        public int Cores { get; set; } = 2;

        [Parameter(ParameterSetName = ParameterSet)]
        [Parameter(ParameterSetName = UrlSet)]
        [ValidateRange(16, 16777216)]
        public int MemoryMb { get; set; } = 2048;

        [Parameter(ParameterSetName = ParameterSet)]
        [Parameter(ParameterSetName = UrlSet)]
        [ValidateRange(1, 131072)]
        public int DiskSizeGb { get; set; }

        [Parameter(ParameterSetName = ParameterSet)]
        [Parameter(ParameterSetName = UrlSet)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Bridge)]
        public string NetworkBridge { get; set; } = "vmbr0";

        protected override void ProcessRecord()
        {
            var request = ParameterSetName == SpecSet ? TemplateRequest.FromSpec(Spec!, ImageStorage, Storage) : new TemplateRequest
            {
                VmId = VmId,
                Name = Name,
                Image = Image ?? "",
                ImageStorage = ImageStorage,
                Storage = Storage,
                Cores = Cores,
                MemoryMb = MemoryMb,
                Bridge = NetworkBridge,
                DiskSizeGb = MyInvocation.BoundParameters.ContainsKey(nameof(DiskSizeGb)) ? DiskSizeGb : (int?)null,
                ImageUrl = ImageUrl?.AbsoluteUri,
                ImageSha256 = ImageSha256,
            };
            if (ParameterSetName == SpecSet && !Spec!.IsTemplate)
            {
                WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.NotATemplate,
                    $"{VmLabel.Of(Spec)} is not marked is_template in the config; New-PhoenixVm makes ordinary VMs.", Spec.VmId)));
                return;
            }
            if (ParameterSetName == SpecSet && !string.IsNullOrEmpty(Spec!.TemplateSnapshotName))
                WriteWarning($"{VmLabel.Of(Spec)} is a template, and Proxmox templates hold no snapshots: template_snapshot_name " +
                    $"'{Spec.TemplateSnapshotName}' is ignored.");

            var session = ResolveSession();
            ForItem(request.VmId, () =>
            {
                var host = OpenHost(session);
                if (!TryChange(host, VmLabel.Of(request.VmId, request.Name), "Build template",
                    (h, ct) => TemplateBuilder.EnsureTemplateAsync(h, request, ct), out var outcome)) return;
                var state = RunAsync(ct => VmLifecycle.GetAsync(host, request.VmId, includeSnapshots: false, ct));
                foreach (var n in outcome.Notes) WriteVerbose(n);
                var vm = VmObjects.ToVm(state, session, Spec);
                vm.Changes = outcome.Changes;
                WriteObject(vm);
            });
        }
    }
}
