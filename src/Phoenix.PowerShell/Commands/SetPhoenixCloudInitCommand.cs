using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.PowerShell.Infrastructure;

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

        // The config field (as the validator names it) behind each piece, so a finding names what the admin typed.
        private static readonly (string Path, string Parameter)[] FieldParameters =
        {
            ("vmid", "VmId"),
            ("name", "HostName"),
            ("network_config.ip", "IpAddress"),
            ("network_config.gw", "Gateway"),
            ("network_config.nameservers", "Nameserver"),
            ("network_config.searchdomain", "SearchDomain"),
            ("user_config.username", "UserName"),
            ("user_config.password_hash", "PasswordHash"),
            ("user_config.ssh_public_keys", "SshPublicKey"),
            ("user_config", "UserName"),
        };

        private static readonly char[] ListSeparators = { ' ', ',', ';', '\t' };

        private CloudInitTemplateSet? _templates;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        public VmSpec Spec { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = SpecSet)]
        [Parameter(Mandatory = true, ParameterSetName = PiecesSet)]
        [ValidateRange(100, 999999999)]
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

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Storage { get; set; } = CloudInitApplyOptions.DefaultStorage;

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
                var built = SpecFromPieces();
                if (built == null) return;
                spec = built;
            }
            else spec = Spec;

            var session = ResolveSession();
            var vmId = spec.VmId;
            ForItem(vmId, () =>
            {
                if (ParameterSetName == SpecSet && VmId.HasValue && VmId.Value != vmId)
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, "VmIdMismatch",
                        $"-VmId {VmId.Value} does not match the spec, which is VM {vmId} ({spec.Name}). The snippets are named after the spec's VMID.",
                        VmId.Value)
                    { RecommendedAction = "Pass the spec of that VM, or leave -VmId out." };

                var options = new CloudInitApplyOptions { Storage = Storage, TemplateSet = _templates, Force = Force.IsPresent };
                var target = $"VM {vmId}" + (spec.Name != null ? $" ({spec.Name})" : "");
                if (!ConfirmWithPlan(session, spec, target, options)) return;

                var host = OpenHost(session);
                var applied = RunAsync(ct => CloudInitApplier.ApplyAsync(host, spec, options, ct));
                foreach (var c in applied.Changes) WriteVerbose($"VM {vmId}: {c}");
                foreach (var n in applied.Notes) WriteVerbose(n);
                foreach (var w in applied.Warnings) WriteWarning(w);
                WriteObject(new CloudInitResult(applied, spec, session));
            });
        }

        /// <summary>
        /// The spec the pieces describe, after the config file's own rules (<see cref="ConfigValidator.ValidateVms"/>);
        /// null when any rule refused it, each finding then written as an error naming the parameter.
        /// </summary>
        private VmSpec? SpecFromPieces()
        {
            var vmId = VmId!.Value;
            if (Dhcp.IsPresent && IpAddress != null)
            {
                WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidArgument, "DhcpWithIpAddress",
                    $"VM {Id(vmId)}: -Dhcp and -IpAddress {IpAddress} contradict each other: the VM takes its address either by DHCP or as given.", vmId)
                    { RecommendedAction = "Leave out -Dhcp for a static address, or -IpAddress (and -Gateway) for DHCP." }));
                return null;
            }

            var nameservers = (Nameserver ?? new string[0]).SelectMany(n => (n ?? "").Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries)).ToList();
            var searchDomain = SearchDomain == null ? null : string.Join(" ", SearchDomain.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()));
            VmNetworkConfig? network = null;
            if (Dhcp.IsPresent || IpAddress != null || Gateway != null || nameservers.Count > 0 || !string.IsNullOrEmpty(searchDomain))
                network = new VmNetworkConfig
                {
                    Ip = Dhcp.IsPresent ? "dhcp" : IpAddress?.Trim(),
                    Gateway = Gateway?.Trim(),
                    Nameservers = nameservers,
                    SearchDomain = string.IsNullOrEmpty(searchDomain) ? null : searchDomain,
                };
            var keys = SshPublicKey.Select(k => (k ?? "").Trim()).ToList();
            var user = new VmUserConfig
            {
                Username = UserName,
                PasswordHash = PasswordHash == null ? null : new Phoenix.Engine.Secrets.Secret(new NetworkCredential(string.Empty, PasswordHash).Password),
                SshPublicKeys = keys,
            };

            // Every field gets a position that is only its config path, so each finding carries the path the
            // parameter map below understands (a spec built in code has no file, line or column).
            var positions = new Dictionary<string, ConfigPosition>(StringComparer.Ordinal);
            void At(string field) => positions[field] = new ConfigPosition(null, 0, 0, field);
            foreach (var f in new[] { "vmid", "name", "network_config", "network_config.ip", "network_config.gw", "network_config.searchdomain", "user_config", "user_config.username", "user_config.password_hash" }) At(f);
            for (int i = 0; i < nameservers.Count; i++) At("network_config.nameservers[" + Id(i) + "]");
            for (int i = 0; i < keys.Count; i++) At("user_config.ssh_public_keys[" + Id(i) + "]");

            var spec = new VmSpec
            {
                VmId = vmId,
                Name = HostName.Trim(),
                NetworkConfig = network,
                UserConfig = user,
                FieldPositions = positions,
            };

            var findings = new ConfigValidator().ValidateVms(new[] { spec });
            foreach (var f in findings.Where(f => f.Severity == ConfigSeverity.Warning)) WriteWarning($"VM {Id(vmId)}, " + PiecesMessage(f));
            var errors = findings.Where(f => f.Severity == ConfigSeverity.Error).ToList();
            foreach (var f in errors)
            {
                var e = new PhoenixException(PhoenixErrorKind.InvalidArgument, f.Rule, $"VM {Id(vmId)}, " + PiecesMessage(f), vmId) { RecommendedAction = f.Suggestion };
                WriteError(ErrorMapper.ToErrorRecord(e));
            }
            return errors.Count == 0 ? spec : null;
        }

        // "-Gateway: gw 10.9.9.1 is outside the subnet ..." instead of "network_config.gw: ...". The validator never
        // quotes a secret, and nothing here adds a value, so a refused -PasswordHash stays unseen.
        private static string PiecesMessage(ConfigFinding f)
        {
            var text = f.Message;
            if (f.JsonPath.Length > 0 && text.StartsWith(f.JsonPath + ": ", StringComparison.Ordinal)) text = text.Substring(f.JsonPath.Length + 2);
            var parameter = ParameterOf(f.JsonPath);
            if (parameter != null) text = "-" + parameter + ": " + text;
            if (!string.IsNullOrEmpty(f.Suggestion)) text += " Fix: " + f.Suggestion;
            return text;
        }

        private static string? ParameterOf(string jsonPath)
        {
            foreach (var (path, parameter) in FieldParameters)
                if (jsonPath == path || jsonPath.StartsWith(path + "[", StringComparison.Ordinal) || jsonPath.StartsWith(path + ".", StringComparison.Ordinal))
                    return parameter;
            return null;
        }

        private static string Id(int value) => value.ToString(CultureInfo.InvariantCulture);

        // The plan is the applier itself run over a recorder: the reads are real (storage, qm config, the snippets on
        // the host), so the text says exactly which files would be written and which commands would run.
        private bool ConfirmWithPlan(PhoenixSession session, VmSpec spec, string target, CloudInitApplyOptions options)
        {
            const string Action = "Set cloud-init";
            if (!WillShowPlan()) return ShouldProcess(target, Action);
            CloudInitApplyResult? planned = null;
            var commands = Plan(session, async (h, ct) => planned = await CloudInitApplier.ApplyAsync(h, spec, options, ct).ConfigureAwait(false));
            if (!planned!.VmExists)
                throw new PhoenixException(PhoenixErrorKind.NotFound, "VmNotFound",
                    $"{target} does not exist on node {session.Node}, so there is no VM to give this cloud-init.", spec.VmId)
                { RecommendedAction = "Create it first (New-PhoenixVm), or check the VMID with Get-PhoenixVm." };
            var d = planned.Document;
            var lines = new List<string>
            {
                $"{d.UserDataFileName} sha256 {d.UserDataHash} -> {planned.UserDataFile}",
                $"{d.NetworkConfigFileName} sha256 {d.NetworkConfigHash} -> {planned.NetworkConfigFile}",
            };
            if (commands.Count == 0) lines.Add("nothing to change: the files on the host and cicustom are already as rendered");
            else lines.AddRange(commands);
            var text = Action + " (storage " + Storage + "):" + string.Concat(lines.Select(l => Environment.NewLine + "    " + l));
            return ShouldProcess(target, text);
        }
    }
}
