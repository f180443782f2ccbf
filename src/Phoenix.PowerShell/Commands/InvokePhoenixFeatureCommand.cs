using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Runs feature scripts inside VMs through the QEMU guest agent, in order, one result per
    /// feature. A failing feature is a non-terminating error for its VM; the next VMs go on.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "PhoenixFeature", SupportsShouldProcess = true)]
    [OutputType(typeof(PhoenixFeatureResult))]
    public sealed class InvokePhoenixFeatureCommand : VmTargetCmdlet
    {
        private const int ProgressId = 1;
        private FeatureCatalog? _catalog;

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ValidateProxmoxName(NameKind.Feature)]
        [ArgumentCompleter(typeof(FeatureNameCompleter))]
        public string[]? Name { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? FeaturePath { get; set; }

        [Parameter]
        [Alias("Timeout")]
        [ValidateRange(1, 604800)]
        public int TimeoutSec { get; set; } = (int)FeatureRunOptions.DefaultTimeout.TotalSeconds;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int AgentTimeoutSec { get; set; } = (int)FeatureRunOptions.DefaultAgentTimeout.TotalSeconds;

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                _catalog = FeatureFolders.Catalog(this, FeaturePath);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
            }
        }

        // The VM is -VmId, or the piped spec's; both given, they must agree.
        protected override bool Check()
        {
            if (Spec != null && VmId != 0 && Spec.VmId != VmId)
            {
                WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.VmIdMismatch,
                    $"-VmId {VmId} and the spec's vmid {Spec.VmId} differ; Phoenix will not guess which VM is meant.", VmId)));
                return false;
            }
            if (VmId == 0 && Spec != null) VmId = Spec.VmId;
            if (VmId != 0) return true;
            WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.NoVm,
                "Invoke-PhoenixFeature needs a VM: give -VmId, or pipe in a VmSpec (Import-PhoenixConfig) or a PhoenixVm (Get-PhoenixVm).")));
            return false;
        }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            var vmId = VmId;
            var names = (IReadOnlyList<string>?)Name ?? Spec?.Features;
            if (names == null)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.NoFeatureNamed,
                    $"VM {vmId}: no feature to run. Name them with -Name, or pipe in the VM's spec, whose features are the default.", vmId);
            }
            if (names.Count == 0)
            {
                WriteWarning($"VM {vmId}: its spec names no features, so there is nothing to run. Name them with -Name.");
                return;
            }
            var features = names.Select(_catalog!.Resolve).ToList();
            var spec = Spec ?? RunAsync(ct => SpecFromHostAsync(host, vmId, ct));
            var options = new FeatureRunOptions
            {
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                AgentTimeout = TimeSpan.FromSeconds(AgentTimeoutSec),
                Force = Force.IsPresent,
            };
            var target = VmLabel.Of(spec);
            var action = (features.Count == 1 ? "Run feature " : "Run features ") + string.Join(", ", names);
            try
            {
                TryChange(host, target, action, (h, ct) =>
                {
                    var runner = new FeatureRunner(h, options);
                    if (h.IsDryRun) return runner.RunAsync(spec, features, null, ct);
                    runner.Progress += p => ShowProgress(target, p);
                    return runner.RunAsync(spec, features, r =>
                    {
                        if (r.Status == FeatureRunStatus.RecordedNotRun) Warning(FeatureRunner.NotRunWarning(r));
                        if (r.Status == FeatureRunStatus.Skipped)
                            Verbose($"{target}: feature {r.Feature} skipped: it already ran with this script and spec (-Force runs it again).");
                        Output(PhoenixFeatureResult.From(r, session, Spec));
                    }, ct);
                }, out _);
            }
            finally
            {
                WriteProgress(new ProgressRecord(ProgressId, $"Features of {target}", "done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private void ShowProgress(string target, FeatureProgress p)
        {
            if (p.Line != null) Verbose($"{target} {p.Feature}: {p.Line}");
            var elapsed = ((int)p.Elapsed.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s";
            string status;
            switch (p.Stage)
            {
                case FeatureStage.Delivering: status = "sending the context file and the script"; break;
                case FeatureStage.Finished: status = "finished"; break;
                default: status = p.Line == null ? "running" : p.Line.Trim(); break;
            }
            if (status.Length == 0) status = "running";
            Progress(new ProgressRecord(ProgressId, $"Features of {target}: {p.Feature} ({p.Index + 1} of {p.Count})", $"[{elapsed}] {status}")
            {
                PercentComplete = Math.Min(99, 100 * (p.Index * 2 + (p.Stage == FeatureStage.Finished ? 2 : 1)) / (2 * p.Count)),
            });
        }

        // Like OpenHost, but a feature's status polls (one every few seconds for as long as it runs)
        // show once each in the Verbose stream, not hundreds of times between its log lines.
        protected override ProxmoxHost OpenTargetHost(PhoenixSession session)
        {
            var shown = new HashSet<string>(StringComparer.Ordinal);
            var node = NodeNameFor(session);
            var connection = new LoggingConnection(RawConnectionFor(session), line =>
            {
                var poll = line.IndexOf(" " + FeatureRunner.PollProgramName + " ", StringComparison.Ordinal);
                if (poll >= 0)
                {
                    // What follows the program's name (the wait, the features and their log offsets) changes from poll to poll, and
                    // qm's options before `--` too (a poll that answers at once is started with --synchronous 0): the program is the poll.
                    var program = line.IndexOf(" -- ", StringComparison.Ordinal);
                    if (program < 0 || program > poll) program = 0;
                    lock (shown)
                    {
                        if (!shown.Add(line.Substring(program, poll - program))) return;
                    }
                    line += "   (repeated until the features end; later polls are not shown)";
                }
                Verbose($"[{node}] {line}");
            });
            var host = new ProxmoxHost(connection);
            host.Waiting += (_, e) => Verbose(e.Message);
            return host;
        }

        // Without a spec the context file still gets the VM's ID and name (from its config).
        private static async Task<VmSpec> SpecFromHostAsync(ProxmoxHost host, int vmId, CancellationToken ct)
        {
            var config = await host.GetVmConfigAsync(vmId, cancellationToken: ct).ConfigureAwait(false);
            return new VmSpec { VmId = vmId, Name = config.Name };
        }
    }
}
