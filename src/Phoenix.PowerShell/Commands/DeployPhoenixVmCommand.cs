using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// The whole workflow for every VM piped in: clone if missing, configure, cloud-init, start, wait
    /// for the agent, snapshots and features; templates are built. Dependency order, independent VMs
    /// in parallel, one connection per node. On a cluster each VM goes to its <c>node</c> (else the session's), cloned
    /// across nodes with <c>--target</c> or a clone and an offline migration, at most -NodeThrottleLimit VMs of one
    /// node at once. A re-run changes only what differs.
    /// </summary>
    [Cmdlet("Deploy", "PhoenixVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DeployResult))]
    public sealed class DeployPhoenixVmCommand : FleetCmdlet
    {
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        [Parameter]
        [ValidateRange(1, 64)]
        public int NodeThrottleLimit { get; set; } = 4;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int AgentTimeoutSec { get; set; } = 600;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int FeatureTimeoutSec { get; set; } = 1800;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int LockWaitSec { get; set; } = 120;

        [Parameter]
        public SwitchParameter RequireDependency { get; set; }

        [Parameter]
        public SwitchParameter RefreshSnapshot { get; set; }

        [Parameter]
        public bool? FullClone { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var s in CollectSpecs())
                WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.DuplicateVmId,
                    $"VM {s.VmId} came down the pipeline twice; it is deployed once.", s.VmId)));
        }

        protected override void EndProcessing()
        {
            if (Specs.Count == 0) return;
            var session = ResolveSession();
            var catalog = FeatureCatalogOrStop();
            if (!session.IsCluster)
                foreach (var s in Specs.Where(s => s.Node != null && s.Node != session.Node))
                    WriteWarning($"{VmLabel.Of(s)} names node '{s.Node}', but the session's node '{session.Node}' is in no cluster; it is deployed there.");

            // ShouldProcess decides for each VM. -WhatIf holds for the whole invocation: the first answer tells, and then
            // the VMs are planned together (in dependency order) and each one's plan is shown under its own line.
            var specs = Specs.ToList();
            var first = Decide(VmLabel.Of(specs[0]), "Deploy");
            if (first == ChangeDecision.Plan)
            {
                var plan = RunDeploy(session, specs, catalog, dryRun: true);
                for (var i = 0; i < plan.Count; i++)
                {
                    var r = plan[i];
                    if (i > 0) Decide(VmLabel.Of(r.VmId, r.Name), "Deploy");
                    var lines = r.Plan.Count == 0 ? new List<string> { NothingToChange } : r.Plan.ToList();
                    if (r.State == DeployStatus.Failed) lines.Add("(planning stopped: " + string.Join("; ", r.Errors) + ")");
                    ShowPlan(lines);
                    // The same plan for scripts (CI publishes it as JSON): -InformationVariable, tag PhoenixPlan.
                    var planned = new PSObject();
                    planned.Properties.Add(new PSNoteProperty("VmId", r.VmId));
                    planned.Properties.Add(new PSNoteProperty("Name", r.Name));
                    planned.Properties.Add(new PSNoteProperty("Plan", lines.ToArray()));
                    WriteInformation(planned, new[] { "PhoenixPlan" });
                }
                return;
            }
            var approved = new HashSet<int>();
            if (first == ChangeDecision.Run) approved.Add(specs[0].VmId);
            foreach (var s in specs.Skip(1))
                if (Decide(VmLabel.Of(s), "Deploy") == ChangeDecision.Run) approved.Add(s.VmId);
            specs = specs.Where(s => approved.Contains(s.VmId)).ToList();
            if (specs.Count == 0) return;

            var results = RunDeploy(session, specs, catalog, dryRun: false);
            foreach (var r in results)
            {
                if (r.State == DeployStatus.Failed)
                {
                    var e = r.Exception as PhoenixException ?? new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.DeployFailed,
                        $"VM {r.VmId} ({r.Name}) failed to deploy: {string.Join("; ", r.Errors)}", r.VmId, r.Exception);
                    // An error that names the VM already (a node the run's listing had down) is left as it is; a lost connection is not.
                    if (session.IsCluster && e.Kind == PhoenixErrorKind.ConnectionError && !e.Message.StartsWith($"VM {r.VmId} ", StringComparison.Ordinal))
                        e = NodeFailure(session, r, e);
                    else if (e is ProxmoxException { ProxmoxReason: ProxmoxErrorReason.NoQuorum })
                        e = new PhoenixException(e.Kind, e.Reason, $"VM {r.VmId} ({r.Name}) did not deploy: {e.Message}", r.VmId, e)
                        { RecommendedAction = e.RecommendedAction };
                    WriteError(ErrorMapper.ToErrorRecord(e, r.VmId));
                }
                else if (r.State == DeployStatus.Skipped)
                {
                    WriteError(ErrorMapper.ToErrorRecord(new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.DependencyFailed,
                        string.Join(" ", r.Errors), r.VmId)));
                }
                else
                {
                    WriteVerbose(r.Changed ? $"VM {r.VmId} ({r.Name}): {string.Join("; ", r.Changes)}" : $"VM {r.VmId} ({r.Name}) is already as " +
                        $"the config says; nothing changed.");
                }
                WriteObject(r);
            }
        }

        // On a cluster, a VM whose node stopped answering (its connection lost or refused, or the cluster reporting the node
        // offline) fails with the VM, its node and the fix; the VMs of the other nodes went on, and a re-run finishes this one.
        private PhoenixException NodeFailure(PhoenixSession session, DeployResult r, PhoenixException e)
        {
            var node = Specs.FirstOrDefault(s => s.VmId == r.VmId)?.Node ?? session.Node;
            var fix = $"Start node '{node}' again (or bring its network back), then run Deploy-PhoenixVm again with the same config: the VMs of " +
                "the other nodes are deployed and stay as they are, and the re-run finishes this one.";
            return new PhoenixException(e.Kind, e.Reason, $"VM {r.VmId} ({r.Name}) on node '{node}' did not deploy: node '{node}' did not answer. " +
                $"{e.Message} {fix}", r.VmId, e) { RecommendedAction = fix };
        }

        // Every feature of every VM is found in the feature folders before anything changes, so a missing script
        // stops the deployment at the start instead of leaving a VM cloned and started without its features.
        private FeatureCatalog FeatureCatalogOrStop()
        {
            FeatureCatalog catalog;
            try
            {
                catalog = FeatureFolders.Catalog(this, FeaturePath);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
                throw; // not reached: Terminate throws
            }
            var missing = Specs.SelectMany(s => s.Features.Where(f => !catalog.TryResolve(f, out _)).Select(f => $"{VmLabel.Of(s)} needs feature '{f}'"))
                .ToList();
            if (missing.Count == 0) return catalog;
            var folders = catalog.SearchedFolders.Count == 0 ? "no folder" : string.Join(", ", catalog.SearchedFolders);
            Terminate(new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.FeatureNotFound,
                string.Join("; ", missing) + $", which is in none of the feature folders ({folders}). Nothing was deployed.", Specs[0].VmId)
            { RecommendedAction = "Give the folder that holds feature_install_<name>.sh with -FeaturePath or PHOENIX_FEATURE_PATH " +
                "(Get-Help about_Phoenix_Features), or correct the name in the config." });
            throw new InvalidOperationException(); // not reached: Terminate throws
        }

        // A host on another node of the session's cluster, its commands in the Verbose stream under the node's name; under
        // -WhatIf its changes go into the run's one plan, marked with the node.
        private async System.Threading.Tasks.Task<ProxmoxHost> NodeHostAsync(PhoenixSession session, string node, PlanRecorder? recorder,
            System.Threading.CancellationToken ct)
        {
            var raw = await session.ConnectionForNodeAsync(node, ct).ConfigureAwait(false);
            Phoenix.Engine.Transport.IHostConnection connection = new LoggingConnection(raw, line => Verbose($"[{node}] {line}"));
            if (recorder != null) return new ProxmoxHost(recorder.ForNode(connection, node), RetryPolicy.NoRetry);
            var host = new ProxmoxHost(connection) { RetryPolicy = new RetryPolicy { TotalLimit = TimeSpan.FromSeconds(LockWaitSec) } };
            host.Waiting += (_, e) => Verbose(e.Message);
            return host;
        }

        private IReadOnlyList<DeployResult> RunDeploy(PhoenixSession session, IReadOnlyList<VmSpec> specs, FeatureCatalog catalog, bool dryRun)
        {
            PlanRecorder? recorder = dryRun ? RecordPlan(ConnectionFor(session)) : null;
            var host = recorder != null ? new ProxmoxHost(recorder, RetryPolicy.NoRetry) : OpenHost(session);
            if (!dryRun) host.RetryPolicy = new RetryPolicy { TotalLimit = TimeSpan.FromSeconds(LockWaitSec) };
            var options = new DeployOptions
            {
                ThrottleLimit = ThrottleLimit,
                NodeThrottleLimit = NodeThrottleLimit,
                Provision = new ProvisionOptions { DefaultTemplateVmId = DefaultTemplateVmId, FullClone = FullClone },
                AgentTimeout = TimeSpan.FromSeconds(AgentTimeoutSec),
                RequireExternalDependencies = RequireDependency.IsPresent,
                RefreshSnapshot = RefreshSnapshot.IsPresent,
            };
            if (session.IsCluster)
            {
                // Another node's connection is opened when its first VM needs it, and its host kept for the run.
                var hosts = new ConcurrentDictionary<string, System.Threading.Tasks.Task<ProxmoxHost>>(StringComparer.Ordinal);
                options.LocalNode = session.Node;
                options.HostForNode = (node, ct) => hosts.GetOrAdd(node, n => NodeHostAsync(session, n, recorder, ct));
            }
            DeployHooks.Configure(options, this, SnippetStorage, TemplateFolder,
                catalog, TimeSpan.FromSeconds(FeatureTimeoutSec));

            var deployer = new Deployer(host, options);
            var bars = new ConcurrentDictionary<int, int>();
            var nextBar = 1;
            var done = 0;
            var total = specs.Count;
            var activity = dryRun ? "Planning the deployment" : $"Deploying {total} VM{(total == 1 ? "" : "s")}";
            deployer.Log += (_, line) => Verbose(line);
            deployer.Warning += (_, line) => Warning(line);
            deployer.Progress += p =>
            {
                var id = bars.GetOrAdd(p.VmId, _ => System.Threading.Interlocked.Increment(ref nextBar));
                if (p.Completed)
                {
                    var n = System.Threading.Interlocked.Increment(ref done);
                    Progress(new ProgressRecord(id, $"VM {p.VmId} ({p.Name})", "done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
                    Progress(new ProgressRecord(1, activity, $"{n} of {total} VMs done") { PercentComplete = 100 * n / total });
                    return;
                }
                Progress(new ProgressRecord(id, $"VM {p.VmId} ({p.Name})", p.Step)
                {
                    ParentActivityId = 1,
                    PercentComplete = 100 * p.StepIndex / Math.Max(1, p.StepCount),
                });
            };
            Progress(new ProgressRecord(1, activity, $"0 of {total} VMs done") { PercentComplete = 0 });
            try
            {
                return RunAsync(ct => deployer.DeployAsync(specs, ct));
            }
            catch (DependencyCycleException e)
            {
                // A cycle among the VMs: nothing was started.
                Terminate(new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.DependencyCycle,
                    e.Message) { RecommendedAction = "Break the cycle in dependencies / clone_from_vmid (Test-PhoenixConfig names it)." });
                return Array.Empty<DeployResult>();
            }
            finally
            {
                WriteProgress(new ProgressRecord(1, activity, "done") { RecordType = ProgressRecordType.Completed });
                recorder?.Dispose();
            }
        }
    }
}
