using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;

namespace Phoenix.Engine.Workflow
{
    /// <summary>How Deploy-PhoenixVm runs.</summary>
    public sealed class DeployOptions
    {
        public int ThrottleLimit { get; set; } = 4;

        /// <summary>On a cluster: at most this many VMs of one node are deployed at once (within <see cref="ThrottleLimit"/>).</summary>
        public int NodeThrottleLimit { get; set; } = 4;

        /// <summary>On a cluster: the session's node, where a VM without <c>node</c> goes. Null: a node alone (no placement).</summary>
        public string? LocalNode { get; set; }

        /// <summary>
        /// On a cluster: a host on the named node (its connection opened on first use; an error naming the node when it is
        /// down or unknown). Null: every VM is deployed on the run's host, whatever its <c>node</c>.
        /// </summary>
        public Func<string, CancellationToken, Task<ProxmoxHost>>? HostForNode { get; set; }
        public ProvisionOptions Provision { get; set; } = new ProvisionOptions();
        public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromMinutes(10);
        public TimeSpan AgentPollInterval { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>A dependency outside the file that is absent or stopped fails the VM instead of warning.</summary>
        public bool RequireExternalDependencies { get; set; }
        /// <summary>Where template images given by file name are looked for (its iso folder).</summary>
        public string ImageStorage { get; set; } = ProxmoxNames.LocalStorage;
        /// <summary>The storage of templates built from images.</summary>
        public string TemplateStorage { get; set; } = "local-lvm";

        /// <summary>
        /// Deletes and takes again each VM's final snapshots (post-features, template_snapshot_name) that exist, so they hold
        /// what features did since; refused, with a warning, where Proxmox would refuse.
        /// </summary>
        public bool RefreshSnapshot { get; set; }

        /// <summary>The cloud-init step (render, upload, qm set --cicustom); null skips it (unless <see cref="CloudInitInRun"/> is set).</summary>
        public Func<ProxmoxHost, VmSpec, CancellationToken, Task<StepOutcome>>? CloudInit { get; set; }

        /// <summary>
        /// The cloud-init step given what the run knows (the VM's config, whether it starts next, what is read once per run);
        /// used instead of <see cref="CloudInit"/> when set.
        /// </summary>
        public Func<ProxmoxHost, VmSpec, DeployStepContext, CancellationToken, Task<StepOutcome>>? CloudInitInRun { get; set; }

        /// <summary>
        /// Begins, without waiting, what <see cref="CloudInitInRun"/> reads once per run and node (given the host, a VM of the
        /// run on it, and the run): called once a run (and once per other node), when it begins, for a run with a VM that has the
        /// cloud-init step, so that those reads run beside the listing and the clones. It must not throw; what it begins fails
        /// the VM whose step awaits it, as the step's own read would. Not called for a plan.
        /// </summary>
        public Action<ProxmoxHost, VmSpec, DeployRun, CancellationToken>? CloudInitRunStart { get; set; }

        /// <summary>
        /// The feature step, given what the run knows (<see cref="FeatureStepContext.ClonedThisRun"/>: the guest cannot hold this VM's
        /// feature state yet); null skips it with a warning.
        /// </summary>
        public Func<ProxmoxHost, VmSpec, FeatureStepContext, Action<string>, CancellationToken, Task<StepOutcome>>? FeaturesInRun { get; set; }

        /// <summary>
        /// Reads, read-only, the features' state in the guest of a VM the run's listing shows running, started when the VM's turn
        /// begins so that it runs beside the steps before the feature step (a look costs at least a poll second); its answer goes
        /// to the feature step (<see cref="FeatureStepContext.LookAhead"/>) only when none of those steps changed anything. Null:
        /// the feature step looks when it begins. It must not throw (null when it has no answer). Not used for a VM that wants a
        /// pre-features snapshot: nothing runs in its guest before that snapshot is taken.
        /// </summary>
        public Func<ProxmoxHost, VmSpec, CancellationToken, Task<FeatureLook?>>? FeatureLookAhead { get; set; }

    }

    /// <summary>What a deploy run knows about a VM when its feature step begins.</summary>
    public sealed class FeatureStepContext
    {
        /// <summary>A context.</summary>
        public FeatureStepContext(bool clonedThisRun) { ClonedThisRun = clonedThisRun; }

        /// <summary>
        /// True when this run cloned the VM and started it: its guest holds no state of this VM's features
        /// (their run hashes cover the VM's own context), so every feature runs and its state need not be read first.
        /// </summary>
        public bool ClonedThisRun { get; }

        /// <summary>The features' state read when the VM's turn began (<see cref="DeployOptions.FeatureLookAhead"/>), or null.</summary>
        public FeatureLook? LookAhead { get; set; }
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

        public Deployer(ProxmoxHost host, DeployOptions options)
        {
            _host = host;
            _options = options;
        }

        public event Action<DeployProgress>? Progress;
        public event Action<int?, string>? Log;
        public event Action<int?, string>? Warning;

        /// <summary>
        /// The edges the deploy order follows: each VM of the file to the VMs of the file it needs first: its dependencies and
        /// its clone source, whichever field names it (clone_from_vmid, template_vmid, a <c>template</c> name resolved into
        /// <paramref name="options"/>, or the default template).
        /// </summary>
        public static IReadOnlyDictionary<int, IReadOnlyCollection<int>> DependencyGraph(IReadOnlyList<VmSpec> vms, ProvisionOptions? options = null)
        {
            var ids = new HashSet<int>(vms.Select(v => v.VmId));
            var byId = vms.ToDictionary(v => v.VmId);
            options ??= new ProvisionOptions();
            return vms.ToDictionary(v => v.VmId, v => (IReadOnlyCollection<int>)Needs(v, byId, options!).Where(id => id != v.VmId && ids.Contains(id)).Distinct().ToList());
        }

        private static IEnumerable<int> Needs(VmSpec v, IReadOnlyDictionary<int, VmSpec> byId, ProvisionOptions options)
        {
            foreach (var d in v.Dependencies)
                if (int.TryParse(d, out var id)) yield return id;
            if (v.CloneFromVmId is int c) yield return c;
            if (v.TemplateVmId is int t) yield return t;
            if (!v.IsTemplate) yield return VmProvisioner.ResolveSource(v, byId, options).VmId;
        }

        public async Task<IReadOnlyList<DeployResult>> DeployAsync(IReadOnlyList<VmSpec> vms, CancellationToken ct)
        {
            var byId = vms.ToDictionary(v => v.VmId);
            var results = vms.ToDictionary(v => v.VmId, v => new DeployResult(v.VmId, v.Name));
            // What this call reads once for all its VMs (the next call reads again).
            var cluster = _options.HostForNode != null && _options.LocalNode != null;
            var run = new DeployRun(_host, withStorages: cluster);
            var planned = new HashSet<int>();
            var recorder = _host.Connection as PlanRecorder;
            // A plan is read off one recorder, so VMs are planned one after another to keep each VM's commands together.
            var throttle = recorder != null ? 1 : _options.ThrottleLimit;

            // template names resolve first (the file, else the run's one cluster read), so that the edges and the clones follow them.
            // The cloud-init step's once-per-run reads of the session's node begin with the run's first one, beside it; when the
            // edges are not known before that read (template names) or form a cycle (the run sends nothing), with its first VM.
            var first = vms.FirstOrDefault(v => !v.IsTemplate && (!cluster || NodeOf(v) == _options.LocalNode));
            if (first != null && NoCycleKnown(vms)) BeginRun(_host, first, run, ct);
            var unresolved = await TemplateNames.ResolveAsync(run.ResourcesAsync, vms, byId, _options.Provision, ct).ConfigureAwait(false);
            var graph = DependencyGraph(vms, _options.Provision);
            await DependencyScheduler.RunAsync(graph, throttle, async (id, token) =>
            {
                if (first != null) BeginRun(_host, first, run, ct);
                var before = recorder?.Commands.Count ?? 0;
                var ok = unresolved.TryGetValue(id, out var error)
                    ? Fail(results[id], error)
                    : await DeployOneAsync(byId[id], byId, results[id], planned, run, token).ConfigureAwait(false);
                if (recorder != null)
                {
                    results[id].Plan.AddRange(recorder.Shown.Skip(before));
                    results[id].State = ok ? DeployStatus.Planned : DeployStatus.Failed;
                }
                return ok;
            }, skipped =>
            {
                var r = results[skipped];
                r.State = DeployStatus.Skipped;
                var failed = graph[skipped].Where(d => results[d].State != DeployStatus.Succeeded && results[d].State != DeployStatus.Planned);
                r.Errors.Add($"VM {skipped} was not deployed because VM {string.Join(", ", failed)} it depends on did not deploy.");
            }, ct, cluster ? id => NodeOf(byId[id]) : null, cluster ? _options.NodeThrottleLimit : int.MaxValue).ConfigureAwait(false);

            return vms.Select(v => results[v.VmId]).ToList();
        }

        // True when the file's own edges are known now and form no cycle. A template name not resolved yet (by the file or the run's
        // listing) would be taken as the default template here, so its edge is not known before the listing.
        private bool NoCycleKnown(IReadOnlyList<VmSpec> vms) =>
            !vms.Any(v => TemplateNames.Uses(v) && !_options.Provision.TemplateByName.ContainsKey(v.Template!)) &&
            DependencyScheduler.FindCycle(DependencyGraph(vms, _options.Provision)) == null;

        // What the cloud-init step reads once per run on a node, begun when the run, or its first VM on another node, begins.
        private void BeginRun(ProxmoxHost host, VmSpec spec, DeployRun run, CancellationToken ct)
        {
            if (_options.CloudInitInRun != null && _options.CloudInitRunStart != null && !host.IsDryRun && run.Begins())
                _options.CloudInitRunStart(host, spec, run, ct);
        }

        // The run's host on the session's node, another node's from HostForNode.
        private Task<ProxmoxHost> HostOn(string node, CancellationToken ct) =>
            node == _options.LocalNode ? Task.FromResult(_host) : _options.HostForNode!(node, ct);

        // The node a VM is deployed on: its `node`, else the session's.
        private string NodeOf(VmSpec spec) => spec.Node ?? _options.LocalNode ?? "";

        private static bool Fail(DeployResult result, Exception e)
        {
            result.State = DeployStatus.Failed;
            result.Exception = e;
            result.Errors.Add(e.Message);
            return false;
        }

        private async Task<bool> DeployOneAsync(VmSpec spec, IReadOnlyDictionary<int, VmSpec> byId, DeployResult result, ISet<int> planned,
            DeployRun run, CancellationToken ct)
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

            Task<FeatureLook?>? lookAhead = null;
            try
            {
                await CheckExternalDependenciesAsync(spec, byId, Warn, run, ct).ConfigureAwait(false);
                // On a cluster every command of the VM goes to its node (its connection opened now, an error naming the node
                // when it is down), and the run's per-node answers (snippet storages) are that node's.
                var host = _host;
                NodeRoute? route = null;
                if (_options.HostForNode != null && _options.LocalNode != null)
                {
                    var node = NodeOf(spec);
                    // A node the run's one listing shows down fails only its own VMs, at once and naming it, before anything is
                    // tried there (instead of each one waiting for an SSH connection that cannot be made).
                    var resources = await run.ResourcesAsync(ct).ConfigureAwait(false);
                    var inventory = ClusterInventory.From(resources);
                    if (inventory.Nodes.FirstOrDefault(n => n.Name == node) is { IsOnline: false } down)
                        throw NodeErrors.VmOnDownNode(spec.VmId, name, node, down.Status);
                    if (node != _options.LocalNode)
                    {
                        host = await _options.HostForNode(node, ct).ConfigureAwait(false);
                        run = run.ForNode(node, host);
                        if (!spec.IsTemplate) BeginRun(host, spec, run, ct);
                    }
                    route = new NodeRoute(node, _options.LocalNode, resources.FirstOrDefault(r => r.VmId == spec.VmId && (r.IsVm || r.IsContainer)),
                        HostOn, inventory);
                }

                if (spec.IsTemplate)
                {
                    if (!string.IsNullOrEmpty(spec.TemplateSnapshotName))
                        Warn($"VM {spec.VmId} ({name}) is a template, and Proxmox templates hold no snapshots: template_snapshot_name " +
                            $"'{spec.TemplateSnapshotName}' is ignored. Clones of it are made from the template itself.");
                    await Step(StepTemplate, () => TemplateBuilder.EnsureTemplateAsync(host,
                        TemplateRequest.FromSpec(spec, _options.ImageStorage, _options.TemplateStorage), ct)).ConfigureAwait(false);
                    lock (planned) planned.Add(spec.VmId);
                }
                else
                {
                    var isNew = false;
                    VmConfig? existingConfig = null;
                    VmConfig? predicted = null;
                    // The VM's features run here; without a pre-features snapshot, nothing comes between the start and them.
                    var runsFeatures = spec.Features.Count > 0 && _options.FeaturesInRun != null;
                    var featuresFollowStart = runsFeatures && SnapshotSteps.PreFeaturesName(spec) == null;
                    // The run's one listing says which VMs exist and run: a VM it lacks is cloned without a qm config first.
                    var listed = await run.FindAsync(spec.VmId, ct).ConfigureAwait(false);
                    // Not before a pre-features snapshot: nothing runs in the guest before it is taken.
                    if (listed?.Status == "running" && featuresFollowStart && _options.FeatureLookAhead != null && !host.IsDryRun)
                        lookAhead = _options.FeatureLookAhead(host, spec, ct);
                    await Step(StepClone, async () =>
                    {
                        var (o, read, guess) = await VmProvisioner.EnsureCloneInRunAsync(host, spec, byId, _options.Provision, planned, ct, run,
                            listed == null, route).ConfigureAwait(false);
                        isNew = o.Changed;
                        existingConfig = read;
                        // The plan says which way a VM crosses nodes and why, above its commands.
                        if (host.IsDryRun) result.Plan.AddRange(o.Notes.Where(n => n.StartsWith(VmProvisioner.PlacedNote, StringComparison.Ordinal)));
                        predicted = guess;
                        // A snapshot an interrupted run left half-made locks the VM: cleared first, where Proxmox allows it.
                        if (read != null && await SnapshotSteps.ClearHalfMadeAsync(host, spec, read, ct).ConfigureAwait(false) is StepOutcome cleared)
                            return new StepOutcome(o.Changes.Concat(cleared.Changes).ToList(), o.Notes.Concat(cleared.Notes).ToList(), cleared.Warnings);
                        return o;
                    }).ConfigureAwait(false);
                    // The configuration the clone step read is the one to converge: one qm config per VM and run.
                    // A clone of this run gets its options in the cloud-init step's qm set (with cicustom, after the snippets
                    // are written): one qm set for everything.
                    VmConfig? knownConfig = null;
                    IReadOnlyList<KeyValuePair<string, string>> deferred = Array.Empty<KeyValuePair<string, string>>();
                    await Step(StepConfigure, async () =>
                    {
                        var (o, after, later) = await VmProvisioner.ConfigureKnowingAsync(host, spec, existingConfig, predicted,
                            isNew && _options.CloudInitInRun != null, ct, byId, _options.Provision).ConfigureAwait(false);
                        knownConfig = after;
                        deferred = later;
                        return o;
                    }).ConfigureAwait(false);

                    // A VM cloned this run is stopped; an existing one is as the run's listing found it (a state the listing
                    // does not know is asked with qm status).
                    var knownStopped = isNew || listed?.Status == "stopped";
                    var knownRunning = !isNew && listed?.Status == "running";

                    if (_options.CloudInitInRun != null)
                        await Step(StepCloudInit, () => _options.CloudInitInRun(host, spec, new DeployStepContext(run, knownConfig, knownStopped, deferred), ct))
                            .ConfigureAwait(false);
                    else if (_options.CloudInit != null)
                        await Step(StepCloudInit, () => _options.CloudInit(host, spec, ct)).ConfigureAwait(false);
                    else
                        Skip(StepCloudInit, "no cloud-init step configured");

                    var startedNow = false;
                    await Step(StepStart, async () =>
                    {
                        if (knownRunning) return StepOutcome.Unchanged("already running");
                        if (knownStopped)
                        {
                            try { await host.StartAsync(spec.VmId, ct).ConfigureAwait(false); }
                            catch (ProxmoxException e) when (!isNew && e.ProxmoxReason == ProxmoxErrorReason.AlreadyRunning)
                            {
                                // The listing is from the run's start: the `qm start` of an earlier run that was cut off can have
                                // finished since. Running is what is wanted; its agent is waited for as after a start of ours.
                                startedNow = true;
                                return StepOutcome.Unchanged("already running (started since this run's listing)");
                            }
                        }
                        else if (!await VmLifecycle.EnsureStartedAsync(host, spec.VmId, ct).ConfigureAwait(false)) return StepOutcome.Unchanged("already running");
                        startedNow = true;
                        return StepOutcome.Of("started");
                    }).ConfigureAwait(false);

                    // At most one snapshot list per VM and run: a VM cloned this run has none, none is needed when no snapshot is
                    // wanted, and when the one wanted is the config's `parent:` (which Proxmox sets only once a snapshot is
                    // complete), the config read already shows it.
                    var wantedSnapshots = SnapshotSteps.PhoenixNames(spec);
                    var parent = existingConfig?["parent"];
                    var snapshots = isNew || wantedSnapshots.Count == 0
                        ? (IReadOnlyList<SnapshotInfo>)Array.Empty<SnapshotInfo>()
                        : wantedSnapshots.Count == 1 && parent == wantedSnapshots[0] && !_options.RefreshSnapshot
                            ? new[] { new SnapshotInfo(parent, null, null, null, false) }
                            : await host.ListSnapshotsAsync(spec.VmId, ct).ConfigureAwait(false);

                    // A plan names the wait the run would make (the branches below, in their order).
                    if (host.IsDryRun)
                        Skip(StepWaitAgent, knownRunning && runsFeatures
                            ? "would not wait: the VM runs, and the feature step's guest exec talks to its guest agent"
                            : $"would wait up to {_options.AgentTimeout.TotalSeconds:0} s for the guest agent " +
                                (featuresFollowStart ? "(the feature step's first guest exec asks it)" : $"(qm agent {spec.VmId} ping)"));
                    else if (knownRunning && runsFeatures)
                        // A VM that ran before this run has long had its agent up; the feature step's first guest exec talks to
                        // it, and waits for it as this step would when it does not answer.
                        await Step(StepWaitAgent, () => Task.FromResult(StepOutcome.Unchanged(
                            "the VM was already running: the feature step talks to its guest agent, and waits for it if it does not answer"))).ConfigureAwait(false);
                    else if (startedNow && featuresFollowStart)
                        // The feature step follows at once, and its first guest exec asks the agent itself (qm guest exec pings it and
                        // gives up before running anything): a ping first would be one more Perl start on the node. The guest boots
                        // first, so its first guest exec waits one poll interval, as the first ping did; when the agent does not answer
                        // yet, the feature step waits for it with Wait-PhoenixGuestAgent's pings, the same timeout and errors.
                        await Step(StepWaitAgent, async () =>
                        {
                            await Task.Delay(_options.AgentPollInterval, ct).ConfigureAwait(false);
                            return StepOutcome.Unchanged("the feature step's first guest exec talks to the guest agent, and waits for it if it does not answer");
                        }).ConfigureAwait(false);
                    else
                        await Step(StepWaitAgent, async () =>
                        {
                            // The VM runs now (started above, or found running): its state is read only to explain a timeout. A guest
                            // just started cannot answer at once (it boots first), so the first ping waits one poll interval.
                            if (startedNow) await Task.Delay(_options.AgentPollInterval, ct).ConfigureAwait(false);
                            var ready = await VmLifecycle.WaitForAgentAsync(host, spec.VmId, _options.AgentTimeout, _options.AgentPollInterval, null,
                                ct, knownConfig, knownRunning || knownStopped, readAddresses: false).ConfigureAwait(false);
                            return StepOutcome.Unchanged($"guest agent answered after {ready.Waited.TotalSeconds:0.0} s");
                        }).ConfigureAwait(false);

                    if (SnapshotSteps.PreFeaturesName(spec) is string pre)
                        await Step(StepPreSnapshot, () => SnapshotSteps.EnsureAsync(host, spec.VmId, pre, DesiredStateModel.PreFeaturesDescription, snapshots,
                            ct)).ConfigureAwait(false);
                    else
                        Skip(StepPreSnapshot, "not asked for");

                    // The feature runner's state file (script and context hashes) decides what runs, whatever snapshots exist.
                    var featuresChanged = false;
                    if (spec.Features.Count == 0)
                        Skip(StepFeatures, "no features");
                    else if (_options.FeaturesInRun == null)
                    {
                        Warn($"VM {spec.VmId}: features ({string.Join(", ", spec.Features)}) were not run: this deployment has no feature runner.");
                        Skip(StepFeatures, "no feature runner");
                    }
                    else
                        await Step(StepFeatures, async () =>
                        {
                            Action<string> featureLog = line => Log?.Invoke(spec.VmId, $"VM {spec.VmId}: {line}");
                            // The look taken when the VM's turn began holds while no step since changed the VM.
                            var early = lookAhead != null && result.Steps.All(done => !done.Changed) ? await lookAhead.ConfigureAwait(false) : null;
                            var o = await _options.FeaturesInRun!(host, spec, new FeatureStepContext(isNew && startedNow) { LookAhead = early },
                                featureLog, ct).ConfigureAwait(false);
                            featuresChanged = o.Changed;
                            return o;
                        }).ConfigureAwait(false);

                    var post = SnapshotSteps.FinalNames(spec);
                    if (post.Count == 0)
                        Skip(StepPostSnapshot, "not asked for");
                    else
                        await Step(StepPostSnapshot, async () =>
                        {
                            var changes = new List<string>();
                            var warnings = new List<string>();
                            foreach (var snap in post)
                            {
                                var taken = SnapshotSteps.Has(snapshots, snap);
                                // -RefreshSnapshot retakes only a stale snapshot: features ran after it, in this run or in an earlier
                                // one (the guest's feature record is younger than the snapshot). A converged VM is left alone.
                                var stale = taken && (featuresChanged || _options.RefreshSnapshot && runsFeatures
                                    && (!host.IsDryRun || knownRunning)
                                    && await SnapshotSteps.FeaturesRanSinceAsync(host, spec.VmId, snap, _options.AgentTimeout, ct).ConfigureAwait(false));
                                StepOutcome o;
                                if (stale && _options.RefreshSnapshot)
                                    o = await SnapshotSteps.RefreshAsync(host, spec, snap, DesiredStateModel.PostFeaturesDescription,
                                        existingConfig ?? await host.GetVmConfigAsync(spec.VmId, cancellationToken: ct).ConfigureAwait(false),
                                        byId, _options.Provision, ct).ConfigureAwait(false);
                                else
                                    o = await SnapshotSteps.EnsureAsync(host, spec.VmId, snap, DesiredStateModel.PostFeaturesDescription, snapshots,
                                        ct).ConfigureAwait(false);
                                changes.AddRange(o.Changes);
                                warnings.AddRange(o.Warnings);
                                if (taken && featuresChanged && !o.Changed)
                                {
                                    result.StaleSnapshots.Add(snap);
                                    warnings.Add($"VM {spec.VmId} ({name}): features ran after snapshot '{snap}' was taken, so the snapshot is older " +
                                        "than the VM (a rollback or a clone from it lacks their work). Deploy with -RefreshSnapshot to take it again.");
                                }
                            }
                            return new StepOutcome(changes, Array.Empty<string>(), warnings);
                        }).ConfigureAwait(false);
                }
                result.State = DeployStatus.Succeeded;
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                result.State = DeployStatus.Failed;
                result.Exception = e;
                result.Errors.Add(e.Message);
                return false;
            }
            finally
            {
                // A look ahead that no step used (a step failed first) is not left running behind the VM's result.
                if (lookAhead != null) await lookAhead.ConfigureAwait(false);
                result.Duration = ResultValues.Seconds(total.Elapsed);
                Progress?.Invoke(new DeployProgress(spec.VmId, name, "done", steps.Length, steps.Length, true));
            }
        }

        private async Task CheckExternalDependenciesAsync(VmSpec spec, IReadOnlyDictionary<int, VmSpec> byId, Action<string> warn, DeployRun run,
            CancellationToken ct)
        {
            var outside = spec.Dependencies.Select(d => int.TryParse(d, out var id) ? id : (int?)null)
                .Where(id => id != null && !byId.ContainsKey(id.Value)).Select(id => id!.Value).ToList();
            if (outside.Count == 0) return;
            var resources = await run.ResourcesAsync(ct).ConfigureAwait(false);
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
