using System;
using System.Management.Automation;
using System.Net;
using System.Security;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Secrets;
using Phoenix.PowerShell.Infrastructure;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Renders a VM's cloud-init, uploads the snippets that changed, points the VM's cicustom at them, makes sure it
    /// has a cloud-init drive and regenerates the drive. Idempotent; -WhatIf shows file names, hashes and the exact commands.
    /// The VM is given as a <see cref="VmSpec"/> (set Spec) or as pieces on the command line (set Pieces), which are
    /// built into a spec and checked by the same rules as a config file before anything touches the host.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "PhoenixCloudInit", SupportsShouldProcess = true, DefaultParameterSetName = SpecSet)]
    [OutputType(typeof(CloudInitResult))]
    public sealed class SetPhoenixCloudInitCommand : PhoenixHostCmdlet
    {
        private const string SpecSet = "Spec";
        private const string PiecesSet = "Pieces";

        private CloudInitTemplateSet? _templates;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        public VmSpec Spec { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        [Parameter(Mandatory = true, ParameterSetName = PiecesSet)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public int? VmId { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string HostName { get; set; } = null!;

        [Parameter(Mandatory = true, ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string UserName { get; set; } = null!;

        [Parameter(Mandatory = true, ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string[] SshPublicKey { get; set; } = null!;

        // A SecureString, as for every Phoenix secret (-KeyPassphrase): Read-Host -AsSecureString keeps the hash out of
        // the console, history and transcripts, and a string parameter would show in parameter-binding traces.
        [Parameter(ParameterSetName = PiecesSet)]
        public SecureString? PasswordHash { get; set; }

        [Parameter(ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string? IpAddress { get; set; }

        [Parameter(ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string? Gateway { get; set; }

        [Parameter(ParameterSetName = PiecesSet)]
        public SwitchParameter Dhcp { get; set; }

        [Parameter(ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string[]? Nameserver { get; set; }

        [Parameter(ParameterSetName = PiecesSet)]
        [ValidateNotNullOrEmpty]
        public string[]? SearchDomain { get; set; }

        /// <summary>The storage whose snippets folder receives the files (-Storage is the name it had first).</summary>
        [Parameter]
        [Alias("Storage")]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Storage)]
        [ArgumentCompleter(typeof(StorageNameCompleter))]
        public string SnippetStorage { get; set; } = CloudInitApplyOptions.DefaultStorage;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TemplatePath { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void BeginProcessing()
        {
            _templates = CloudInitTemplates.Load(this, TemplatePath);
        }

        protected override void ProcessRecord()
        {
            VmSpec spec;
            if (ParameterSetName == PiecesSet)
            {
                // Checked before the session is even looked at: bad pieces never reach a host, -WhatIf included.
                var built = new VmPieces
                {
                    VmId = VmId!.Value,
                    HostName = HostName,
                    UserName = UserName,
                    SshPublicKeys = SshPublicKey,
                    PasswordHash = PasswordHash == null ? null : new Secret(new NetworkCredential(string.Empty, PasswordHash).Password),
                    IpAddress = IpAddress,
                    Gateway = Gateway,
                    Dhcp = Dhcp.IsPresent,
                    Nameservers = Nameserver ?? new string[0],
                    SearchDomain = SearchDomain ?? new string[0],
                }.ToSpec();
                foreach (var w in built.Warnings) WriteWarning(w);
                foreach (var e in built.Errors) WriteError(ErrorMapper.ToErrorRecord(e));
                if (built.Spec == null) return;
                spec = built.Spec;
            }
            else spec = Spec;

            var session = ResolveSession();
            var vmId = spec.VmId;
            ForItem(vmId, () =>
            {
                if (ParameterSetName == SpecSet && VmId.HasValue && VmId.Value != vmId)
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.VmIdMismatch,
                        $"-VmId {VmId.Value} does not match the spec, which is VM {vmId} ({spec.Name}). The snippets are named after the spec's VMID.",
                        VmId.Value)
                    { RecommendedAction = "Pass the spec of that VM, or leave -VmId out." };

                var options = new CloudInitApplyOptions { Storage = SnippetStorage, TemplateSet = _templates, Force = Force.IsPresent };
                var target = VmLabel.Of(spec);
                var host = OpenHost(session);
                // The plan is the applier itself run over a recorder: the reads are real (storage, qm config, the snippets
                // on the host), so it says exactly which files would be written and which commands would run.
                if (!TryChange(host, target, "Set cloud-init (storage " + SnippetStorage + ")", async (h, ct) =>
                {
                    var r = await CloudInitApplier.ApplyAsync(h, spec, options, ct).ConfigureAwait(false);
                    if (!r.VmExists)
                        throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.VmNotFound,
                            $"{target} does not exist on node {session.Node}, so there is no VM to give this cloud-init.", spec.VmId)
                        { RecommendedAction = "Create it first (New-PhoenixVm), or check the VMID with Get-PhoenixVm." };
                    return r;
                }, out var applied, planNotes: r => new[]
                {
                    $"{CloudInitDocument.UserDataFileNameFor(r.VmId)} sha256 {r.UserDataHash} -> {r.UserDataFile}",
                    $"{CloudInitDocument.NetworkConfigFileNameFor(r.VmId)} sha256 {r.NetworkConfigHash} -> {r.NetworkConfigFile}",
                }, nothingToChange: "nothing to change: the files on the host and cicustom are already as rendered")) return;

                foreach (var c in applied.Changes) WriteVerbose($"VM {vmId}: {c}");
                foreach (var n in applied.Notes) WriteVerbose(n);
                foreach (var w in applied.Warnings) WriteWarning(w);
                WriteObject(new CloudInitResult(applied, spec, session));
            });
        }
    }
}
