using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Renders a VM's cloud-init, uploads the snippets that changed, points the VM's cicustom at them, makes sure it
    /// has a cloud-init drive and regenerates the drive. Idempotent; -WhatIf shows file names, hashes and the exact commands.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "PhoenixCloudInit", SupportsShouldProcess = true)]
    [OutputType(typeof(CloudInitResult))]
    public sealed class SetPhoenixCloudInitCommand : PhoenixHostCmdlet
    {
        private CloudInitTemplateSet? _templates;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public VmSpec Spec { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(100, 999999999)]
        public int? VmId { get; set; }

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
            var session = ResolveSession();
            var vmId = Spec.VmId;
            ForItem(vmId, () =>
            {
                if (VmId.HasValue && VmId.Value != vmId)
                    throw new PhoenixException(PhoenixErrorKind.InvalidArgument, "VmIdMismatch",
                        $"-VmId {VmId.Value} does not match the spec, which is VM {vmId} ({Spec.Name}). The snippets are named after the spec's VMID.",
                        VmId.Value)
                    { RecommendedAction = "Pass the spec of that VM, or leave -VmId out." };

                var options = new CloudInitApplyOptions { Storage = Storage, TemplateSet = _templates, Force = Force.IsPresent };
                var target = $"VM {vmId}" + (Spec.Name != null ? $" ({Spec.Name})" : "");
                if (!ConfirmWithPlan(session, target, options)) return;

                var host = OpenHost(session);
                var applied = RunAsync(ct => CloudInitApplier.ApplyAsync(host, Spec, options, ct));
                foreach (var c in applied.Changes) WriteVerbose($"VM {vmId}: {c}");
                foreach (var n in applied.Notes) WriteVerbose(n);
                foreach (var w in applied.Warnings) WriteWarning(w);
                WriteObject(new CloudInitResult(applied, Spec, session));
            });
        }

        // The plan is the applier itself run over a recorder: the reads are real (storage, qm config, the snippets on
        // the host), so the text says exactly which files would be written and which commands would run.
        private bool ConfirmWithPlan(PhoenixSession session, string target, CloudInitApplyOptions options)
        {
            const string Action = "Set cloud-init";
            if (!WillShowPlan()) return ShouldProcess(target, Action);
            CloudInitApplyResult? planned = null;
            var commands = Plan(session, async (h, ct) => planned = await CloudInitApplier.ApplyAsync(h, Spec, options, ct).ConfigureAwait(false));
            if (!planned!.VmExists)
                throw new PhoenixException(PhoenixErrorKind.NotFound, "VmNotFound",
                    $"{target} does not exist on node {session.Node}, so there is no VM to give this cloud-init.", Spec.VmId)
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
