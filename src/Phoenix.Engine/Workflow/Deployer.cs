using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;

namespace Phoenix.Engine.Workflow
{
    /// <summary>How Deploy-PhoenixVm runs.</summary>
    public sealed class DeployOptions
    {
        public int ThrottleLimit { get; set; } = 4;
        public ProvisionOptions Provision { get; set; } = new ProvisionOptions();
        public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromMinutes(10);
        public TimeSpan AgentPollInterval { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>A dependency outside the file that is absent or stopped fails the VM instead of warning.</summary>
        public bool RequireExternalDependencies { get; set; }
        /// <summary>Where template images given by file name are looked for (its iso folder).</summary>
        public string ImageStorage { get; set; } = ProxmoxNames.LocalStorage;
        /// <summary>The storage of templates built from images.</summary>
        public string TemplateStorage { get; set; } = "local-lvm";

        /// <summary>The cloud-init step (render, upload, qm set --cicustom); null skips it.</summary>
        public Func<ProxmoxHost, VmSpec, CancellationToken, Task<StepOutcome>>? CloudInit { get; set; }

        /// <summary>The feature step; null skips it with a warning.</summary>
        public Func<ProxmoxHost, VmSpec, Action<string>, CancellationToken, Task<StepOutcome>>? Features { get; set; }
    }

    /// <summary>
    /// The seed's workflow for a set of VMs: for each, clone (if missing), configure, cloud-init,
    /// start, wait for the agent, pre-features snapshot, features, post-features /
    /// template_snapshot_name snapshot; is_template VMs are built as templates. VMs go in dependency
    /// order (dependencies, clone_from_vmid, template_vmid), independent ones in parallel. A re-run
    /// changes only what differs.
    /// </summary>
    public sealed class Deployer
    {
        public const string StepTemplate = "Template";
        public const string StepClone = "Clone";
        public const string StepConfigure = "Configure";
        public const string StepCloudInit = "CloudInit";
        public const string StepStart = "Start";
        public const string StepWaitAgent = "WaitAgent";
        public const string StepPreSnapshot = "PreFeaturesSnapshot";
        public const string StepFeatures = "Features";
        public const string StepPostSnapshot = "PostFeaturesSnapshot";
        private static readonly string[] VmSteps = { StepClone, StepConfigure, StepCloudInit, StepStart, StepWaitAgent, StepPreSnapshot, StepFeatures,
            StepPostSnapshot };

        private readonly ProxmoxHost _host;
        private readonly DeployOptions _options;
        private readonly object _externalLock = new object();
        private Task<IReadOnlyList<ClusterResource>>? _resources;

        public Deployer(ProxmoxHost host, DeployOptions options)
        {
            _host = host;
            _options = options;
        }

        public event Action<DeployProgress>? Progress;
        public event Action<int?, string>? Log;
        public event Action<int?, string>? Warning;

        /// <summary>The edges the deploy order follows: each VM of the file to the VMs of the file it needs first.</summary>
        public static IReadOnlyDictionary<int, IReadOnlyCollection<int>> DependencyGraph(IReadOnlyList<VmSpec> vms)
        {
            var ids = new HashSet<int>(vms.Select(v => v.VmId));
            return vms.ToDictionary(v => v.VmId, v => (IReadOnlyCollection<int>)Needs(v).Where(ids.Contains).Distinct().ToList());
        }

        private static IEnumerable<int> Needs(VmSpec v)
        {
            foreach (var d in v.Dependencies)
                if (int.TryParse(d, out var id)) yield return id;
            if (v.CloneFromVmId is int c) yield return c;
            if (v.TemplateVmId is int t) yield return t;
        }

        public async Task<IReadOnlyList<DeployResult>> DeployAsync(IReadOnlyList<VmSpec> vms, CancellationToken ct)
        {
            var byId = vms.ToDictionary(v => v.VmId);
            var results = vms.ToDictionary(v => v.VmId, v => new DeployResult(v.VmId, v.Name));
            var planned = new HashSet<int>();
            var recorder = _host.Connection as PlanRecorder;
            // A plan is read off one recorder, so VMs are planned one after another to keep each VM's commands together.
            var throttle = recorder != null ? 1 : _options.ThrottleLimit;

            await DependencyScheduler.RunAsync(DependencyGraph(vms), throttle, async (id, token) =>
            {
                var before = recorder?.Commands.Count ?? 0;
                var ok = await DeployOneAsync(byId[id], byId, results[id], planned, token).ConfigureAwait(false);
                if (recorder != null)
                {
                    results[id].Plan.AddRange(recorder.Commands.Skip(before));
                    results[id].Status = ok ? DeployStatus.Planned : DeployStatus.Failed;
                }
                return ok;
            }, skipped =>
            {
                var r = results[skipped];
                r.Status = DeployStatus.Skipped;
                var failed = DependencyGraph(vms)[skipped].Where(d => results[d].Status != DeployStatus.Succeeded && results[d].Status != DeployStatus.Planned);
                r.Errors.Add($"VM {skipped} was not deployed because VM {string.Join(", ", failed)} it depends on did not deploy.");
            }, ct).ConfigureAwait(false);

            return vms.Select(v => results[v.VmId]).ToList();
        }

        private async Task<bool> DeployOneAsync(VmSpec spec, IReadOnlyDictionary<int, VmSpec> byId, DeployResult result, ISet<int> planned,
            CancellationToken ct)
        {
            var total = Stopwatch.StartNew();
            var steps = spec.IsTemplate ? new[] { StepTemplate } : VmSteps;
            var index = 0;
            var name = spec.Name ?? "VM " + spec.VmId;

            async Task Step(string step, Func<Task<StepOutcome>> body)
            {
                Progress?.Invoke(new DeployProgress(spec.VmId, name, step, index++, steps.Length, false));
                var watch = Stopwatch.StartNew();
                var outcome = await body().ConfigureAwait(false);
                result.Steps.Add(new DeployStepResult(step, watch.Elapsed, outcome, skipped: false));
                foreach (var c in outcome.Changes) Log?.Invoke(spec.VmId, $"VM {spec.VmId}: {c}");
                foreach (var n in outcome.Notes) Log?.Invoke(spec.VmId, $"VM {spec.VmId}: {n}");
                foreach (var w in outcome.Warnings) Warn(w);
            }

            void Skip(string step, string why)
            {
                index++;
                result.Steps.Add(new DeployStepResult(step, TimeSpan.Zero, null, skipped: true, why));
                Log?.Invoke(spec.VmId, $"VM {spec.VmId}: {step} skipped: {why}");
            }

            void Warn(string text)
            {
                result.Warnings.Add(text);
                Warning?.Invoke(spec.VmId, text);
            }

            try
            {
                await CheckExternalDependenciesAsync(spec, byId, Warn, ct).ConfigureAwait(false);

                if (spec.IsTemplate)
                {
                    if (!string.IsNullOrEmpty(spec.TemplateSnapshotName))
                        Warn($"VM {spec.VmId} ({name}) is a template, and Proxmox templates hold no snapshots: template_snapshot_name " +
                            $"'{spec.TemplateSnapshotName}' is ignored. Clones of it are made from the template itself.");
                    await Step(StepTemplate, () => TemplateBuilder.EnsureTemplateAsync(_host,
                        TemplateRequest.FromSpec(spec, _options.ImageStorage, _options.TemplateStorage), ct)).ConfigureAwait(false);
                    lock (planned) planned.Add(spec.VmId);
                }
                else
                {
                    var isNew = false;
                    VmConfig? existingConfig = null;
                    await Step(StepClone, async () =>
                    {
                        var (o, read) = await VmProvisioner.EnsureCloneReadingAsync(_host, spec, byId, _options.Provision, planned, ct).ConfigureAwait(false);
                        isNew = o.Changed;
                        existingConfig = read;
                        return o;
                    }).ConfigureAwait(false);
                    // The configuration the clone step read is the one to converge: one qm config per VM and run.
                    await Step(StepConfigure, () => existingConfig != null
                        ? VmProvisioner.ConvergeAsync(_host, spec, existingConfig, ct)
                        : VmProvisioner.ConfigureAsync(_host, spec, ct, byId, _options.Provision)).ConfigureAwait(false);

                    if (_options.CloudInit != null)
                        await Step(StepCloudInit, () => _options.CloudInit(_host, spec, ct)).ConfigureAwait(false);
                    else
                        Skip(StepCloudInit, "no cloud-init step configured");

                    await Step(StepStart, async () => isNew && _host.IsDryRun
                        ? await PlannedAsync(() => _host.StartAsync(spec.VmId, ct), "started").ConfigureAwait(false)
                        : await VmLifecycle.EnsureStartedAsync(_host, spec.VmId,
                            ct).ConfigureAwait(false) ? StepOutcome.Of("started") : StepOutcome.Unchanged("already running")).ConfigureAwait(false);

                    var finalSnapshot = !string.IsNullOrEmpty(spec.TemplateSnapshotName) ? spec.TemplateSnapshotName
                        : spec.Snapshots.PostFeatures ? spec.Snapshots.PostFeaturesName ?? VmSnapshotSettings.DefaultPostFeaturesName : null;
                    var existing = isNew ? (IReadOnlyList<SnapshotInfo>)Array.Empty<SnapshotInfo>() : await _host.ListSnapshotsAsync(spec.VmId,
                        ct).ConfigureAwait(false);
                    var finished = finalSnapshot != null && existing.Any(s => s.Name == finalSnapshot);

                    if (_host.IsDryRun)
                        Skip(StepWaitAgent, $"would wait up to {_options.AgentTimeout.TotalSeconds:0} s for the guest agent (qm agent {spec.VmId} ping)");
                    else
                        await Step(StepWaitAgent, async () =>
                        {
                            var ready = await VmLifecycle.WaitForAgentAsync(_host, spec.VmId, _options.AgentTimeout, _options.AgentPollInterval, null,
                                ct).ConfigureAwait(false);
                            return StepOutcome.Unchanged($"guest agent answered after {ready.Waited.TotalSeconds:0.0} s; " +
                                $"addresses {string.Join(", ", ready.Addresses)}");
                        }).ConfigureAwait(false);

                    if (spec.Snapshots.PreFeatures)
                        await Step(StepPreSnapshot, () => SnapshotAsync(spec, spec.Snapshots.PreFeaturesName ?? VmSnapshotSettings.DefaultPreFeaturesName,
                            DesiredStateModel.PreFeaturesDescription, isNew, ct)).ConfigureAwait(false);
                    else
                        Skip(StepPreSnapshot, "not asked for");

                    if (spec.Features.Count == 0)
                        Skip(StepFeatures, "no features");
                    else if (finished)
                        Skip(StepFeatures, $"done in an earlier run (snapshot '{finalSnapshot}' exists)");
                    else if (_options.Features == null)
                    {
                        Warn($"VM {spec.VmId}: features ({string.Join(", ", spec.Features)}) were not run: this deployment has no feature runner.");
                        Skip(StepFeatures, "no feature runner");
                    }
                    else
                        await Step(StepFeatures, () => _options.Features(_host, spec, line => Log?.Invoke(spec.VmId,
                            $"VM {spec.VmId}: {line}"), ct)).ConfigureAwait(false);

                    var post = new List<string>();
                    if (spec.Snapshots.PostFeatures) post.Add(spec.Snapshots.PostFeaturesName ?? VmSnapshotSettings.DefaultPostFeaturesName);
                    if (!string.IsNullOrEmpty(spec.TemplateSnapshotName) && !post.Contains(spec.TemplateSnapshotName!)) post.Add(spec.TemplateSnapshotName!);
                    if (post.Count == 0)
                        Skip(StepPostSnapshot, "not asked for");
                    else
                        await Step(StepPostSnapshot, async () =>
                        {
                            var changes = new List<string>();
                            foreach (var snap in post)
                                changes.AddRange((await SnapshotAsync(spec, snap, DesiredStateModel.PostFeaturesDescription, isNew, ct).ConfigureAwait(false)).Changes);
                            return new StepOutcome(changes, Array.Empty<string>());
                        }).ConfigureAwait(false);
                }
                result.Status = DeployStatus.Succeeded;
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                result.Status = DeployStatus.Failed;
                result.Exception = e;
                result.Errors.Add(e.Message);
                return false;
            }
            finally
            {
                result.Duration = total.Elapsed;
                Progress?.Invoke(new DeployProgress(spec.VmId, name, "done", steps.Length, steps.Length, true));
            }
        }

        private async Task<StepOutcome> SnapshotAsync(VmSpec spec, string name, string description, bool isNew, CancellationToken ct)
        {
            if (isNew && _host.IsDryRun)
                return await PlannedAsync(() => _host.SnapshotAsync(spec.VmId, name, description, cancellationToken: ct),
                    $"snapshot '{name}'").ConfigureAwait(false);
            return await VmLifecycle.EnsureSnapshotAsync(_host, spec.VmId, name, description, ct).ConfigureAwait(false)
                ? StepOutcome.Of($"snapshot '{name}'")
                : StepOutcome.Unchanged($"snapshot '{name}' exists");
        }

        private static async Task<StepOutcome> PlannedAsync(Func<Task> action, string change)
        {
            await action().ConfigureAwait(false);
            return StepOutcome.Of(change);
        }

        private async Task CheckExternalDependenciesAsync(VmSpec spec, IReadOnlyDictionary<int, VmSpec> byId, Action<string> warn, CancellationToken ct)
        {
            var outside = spec.Dependencies.Select(d => int.TryParse(d, out var id) ? id : (int?)null)
                .Where(id => id != null && !byId.ContainsKey(id.Value)).Select(id => id!.Value).ToList();
            if (outside.Count == 0) return;
            Task<IReadOnlyList<ClusterResource>> resourcesTask;
            lock (_externalLock) resourcesTask = _resources ??= _host.GetClusterResourcesAsync(ct);
            var resources = await resourcesTask.ConfigureAwait(false);
            foreach (var id in outside)
            {
                var r = resources.FirstOrDefault(x => x.VmId == id);
                string? problem = r == null ? $"does not exist on the cluster"
                    : !r.IsRunning ? $"({(r.IsContainer ? "container" : "VM")} {r.Name}) is {r.Status}" : null;
                if (problem == null) continue;
                var text = $"VM {spec.VmId} ({spec.Name}) depends on {id}, which {problem}.";
                if (_options.RequireExternalDependencies)
                    throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.DependencyNotReady, text, spec.VmId)
                    { RecommendedAction = $"Create or start {id} first, or deploy without -RequireDependency to only warn." };
                warn(text + " Deploying it anyway.");
            }
        }
    }
}
