using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Text;
using Phoenix.Engine.Transport;
using Phoenix.Engine.Workflow;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// Runs feature scripts inside a VM through the QEMU guest agent, and nothing else: every step
    /// is a <c>qm guest exec</c> (no NFS, no share, no SSH into the guest), and as few of them as the
    /// work allows. One read-only poll gives the state of all the VM's features at once; the features
    /// to run go to the guest in one guest exec (the context file and their scripts on standard input,
    /// read by a small constant program that places the files and starts the run detached with
    /// <c>/bin/bash</c>, each feature's output to its log and its exit code to a status file at its end),
    /// and one poll at a time follows them all, waiting in the guest up to a bound for the run to end; the
    /// start's own answer is the first of those polls, so features that end within its wait cost one guest exec.
    /// New log lines go to <see cref="Progress"/>. A VM whose features are all done costs one guest exec: the look, which answers
    /// at once, so it is started with <c>--synchronous 0</c> and its answer taken with <c>qm guest exec-status</c> (two short
    /// commands; a synchronous qm asks again only a second after its first ask).
    /// </summary>
    /// <remarks>
    /// <para>Idempotent re-runs: after a feature succeeds, the guest records it in its
    /// <see cref="FeatureStateFile"/> with a hash of the script and the context it ran with. A later
    /// run reads that (the first, read-only poll) and skips a feature whose hash is unchanged,
    /// unless <see cref="FeatureRunOptions.Force"/>. So a second deploy of an unchanged VM runs no
    /// changing command; a changed script or spec runs the feature again. A feature still running
    /// from an earlier start (a deploy that was cut off) is followed to its end and its exit code taken.</para>
    /// <para>Every guest command goes through <see cref="ProxmoxHost.GuestExecAsync"/>, which follows a
    /// program that outlives qm's own wait; reads are marked <see cref="GuestExecOptions.ReadOnly"/>, and
    /// each command says what it does in <see cref="GuestExecOptions.Description"/>.</para>
    /// <para>Over a <see cref="PlanRecorder"/> (-WhatIf) nothing runs: the state is read where the guest
    /// answers now, the start is recorded, the agent is not waited for and nothing is followed.</para>
    /// <para>A host whose guests do not run commands says so (<see cref="HostCapabilities.GuestCommandsRun"/>,
    /// the in-process simulator's recording guest): the features are delivered and their start recorded, then
    /// reported as <see cref="FeatureRunStatus.RecordedNotRun"/> with exit code 0, without following them or
    /// recording them as done. A start such a guest answers as started (a canned answer) is followed as usual.</para>
    /// </remarks>
    public sealed class FeatureRunner
    {
        /// <summary>Where scripts, logs and status files live in the guest.</summary>
        public const string GuestFolder = "/var/lib/phoenix/features";

        /// <summary>
        /// The name ($0) of the state-and-log poll in the guest; it appears in every poll's command
        /// line (after the program's text), so logs can recognize (and thin out) the polls.
        /// </summary>
        public const string PollProgramName = GuestScripts.PollName;

        /// <summary>How many lines of output a FeatureFailed error shows.</summary>
        public const int FailureTailLines = 20;

        /// <summary>How many lines the log command in timeout messages shows.</summary>
        public const int LogTailLines = 50;

        private static readonly TimeSpan SmallCommandLimit = TimeSpan.FromMinutes(5);

        private readonly ProxmoxHost _host;

        /// <summary>A runner over <paramref name="host"/>.</summary>
        public FeatureRunner(ProxmoxHost host, FeatureRunOptions? options = null)
        {
            _host = host ?? throw new ArgumentNullException(nameof(host));
            Options = options ?? new FeatureRunOptions();
            if (Options.Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), Options.Timeout,
                "The feature timeout must be positive.");
            if (Options.MaxOutputBytes <= 0) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxOutputBytes,
                "The output limit must be positive.");
        }

        /// <summary>The options.</summary>
        public FeatureRunOptions Options { get; }

        // The guest cannot hold the state of this VM's features (a clone of this run): no first look, every feature runs.
        private bool GuestHoldsNoState { get; set; }

        // The first look, taken already (LookAheadAsync), or null.
        private GuestPollAnswer? FirstLook { get; set; }

        /// <summary>
        /// The first look of <see cref="RunForVmAsync"/> taken ahead, for a VM that runs (a deploy run starts it when the VM's turn
        /// begins, beside the steps before the feature step): one read-only guest exec (and its exec-status) that answers at once with
        /// the state of all of <paramref name="spec"/>'s features. Null when there is no answer to trust (a plan, a guest that runs no
        /// commands, an agent that does not answer, any error): the feature step then looks itself, with its waits and errors. Never throws.
        /// </summary>
        public static async Task<FeatureLook?> LookAheadAsync(ProxmoxHost host, VmSpec spec, FeatureCatalog catalog, FeatureRunOptions options,
            CancellationToken ct)
        {
            try
            {
                if (host == null || spec == null || catalog == null || spec.Features.Count == 0 || host.IsDryRun ||
                    !host.Connection.Capabilities.GuestCommandsRun) return null;
                var names = spec.Features.Select(catalog.Resolve).Select(f => f.Name).ToList();
                var runner = new FeatureRunner(host, options);
                var answer = await runner.PollAsync(spec, new List<Item>(), names.Select(n => (n, -1L)), TimeSpan.Zero, ct).ConfigureAwait(false);
                return answer == null ? null : new FeatureLook(spec.VmId, answer);
            }
            catch (Exception)
            {
                // Whatever went wrong, the feature step looks again and reports it with its own errors.
                return null;
            }
        }

        /// <summary>Stage changes and each new log line, from the thread that runs the feature.</summary>
        public event Action<FeatureProgress>? Progress;

        // ---- Paths and commands ---------------------------------------------------------------

        /// <summary>Where the script of <paramref name="feature"/> is written in the guest.</summary>
        public static string ScriptPath(string feature) => GuestFolder + "/" + FeatureCatalog.FileNameFor(feature);

        /// <summary>The log of <paramref name="feature"/> in the guest (stdout and stderr).</summary>
        public static string LogPath(string feature) => GuestFolder + "/" + feature + ".log";

        /// <summary>The status file of <paramref name="feature"/>: its exit code, written when it ends.</summary>
        public static string StatusPath(string feature) => GuestFolder + "/" + feature + ".status";

        /// <summary>The command that shows the end of a feature's log: <c>qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/docker.log</c>.</summary>
        public static string LogCommand(int vmId, string feature) =>
            ShellQuote.Join(new[] { QmCommand.Qm, "guest", "exec", vmId.ToString(CultureInfo.InvariantCulture), "--", "tail", "-n",
                LogTailLines.ToString(CultureInfo.InvariantCulture), LogPath(feature) });

        /// <summary>
        /// What a feature's script runs behind: <c>env PHOENIX_VMID=.. PHOENIX_VM_NAME=.. PHOENIX_USERNAME=..
        /// PHOENIX_CONTEXT_FILE=..</c>; the guest's run adds <c>/bin/bash &lt;script&gt;</c>.
        /// </summary>
        public static IReadOnlyList<string> FeatureEnvironment(VmSpec spec) => new[]
        {
            "env",
            FeatureContract.EnvVmId + "=" + spec.VmId.ToString(CultureInfo.InvariantCulture),
            FeatureContract.EnvVmName + "=" + (spec.Name ?? ""),
            FeatureContract.EnvUserName + "=" + (spec.UserConfig?.Username ?? ""),
            FeatureContract.EnvContextFile + "=" + FeatureContract.DefaultContextFile,
        };

        /// <summary>
        /// The argument list that runs a feature in the guest: <see cref="FeatureEnvironment"/>, then
        /// <c>/bin/bash &lt;script&gt;</c>.
        /// </summary>
        public static IReadOnlyList<string> FeatureCommand(VmSpec spec, string feature) =>
            FeatureEnvironment(spec).Concat(new[] { FeatureContract.Interpreter, ScriptPath(feature) }).ToList();

        /// <summary>The warning for a feature that the guest recorded without running (<see cref="FeatureRunStatus.RecordedNotRun"/>).</summary>
        public static string NotRunWarning(FeatureResult result)
        {
            if (result == null) throw new ArgumentNullException(nameof(result));
            var why = result.NotRunReason != null ? " (" + result.NotRunReason + ")" : "";
            return $"{VmLabel.Of(result.VmId, result.VmName)}: the guest recorded feature '{result.Feature}' without running it{why}, " +
                "so its exit code 0 says nothing about the script.";
        }

        // ---- The step Deploy-PhoenixVm runs ---------------------------------------------------

        /// <summary>
        /// Runs <c>spec.Features</c> in order on the VM (the Deploy-PhoenixVm feature step): waits
        /// for the agent, skips features whose state in the guest is unchanged (unless Force), and
        /// streams log lines to <paramref name="log"/> as <c>feature docker: &lt;line&gt;</c>.
        /// Returns <c>feature docker: changed</c> and the like as changes; throws
        /// <see cref="FeatureException"/> (FeatureFailed, ...) when a feature fails, after which
        /// no later feature of the VM runs.
        /// </summary>
        /// <remarks><paramref name="clonedThisRun"/>: the deploy run cloned and started the VM, so its guest
        /// holds no state of these features (their run hashes cover the VM's own context): the first look is left out and every
        /// feature runs (the start still refuses to run beside a run that is alive).</remarks>
        /// <remarks><paramref name="lookAhead"/>: the features' state as <see cref="LookAheadAsync"/> read it when the VM's turn began
        /// and nothing changed the VM since: taken as the first look.</remarks>
        public static async Task<StepOutcome> RunForVmAsync(ProxmoxHost host, VmSpec spec, FeatureCatalog catalog, FeatureRunOptions options,
            Action<string> log, CancellationToken ct, bool clonedThisRun = false, FeatureLook? lookAhead = null)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            if (catalog == null) throw new ArgumentNullException(nameof(catalog));
            if (spec.Features.Count == 0) return StepOutcome.Unchanged("no features");
            var features = spec.Features.Select(catalog.Resolve).ToList();
            var runner = new FeatureRunner(host, options)
            {
                GuestHoldsNoState = clonedThisRun,
                FirstLook = lookAhead != null && lookAhead.VmId == spec.VmId ? lookAhead.Answer : null,
            };
            runner.Progress += p =>
            {
                if (p.Line != null) log?.Invoke($"feature {p.Feature}: {p.Line}");
            };
            var results = await runner.RunAsync(spec, features, null, ct).ConfigureAwait(false);

            var changes = new List<string>();
            var notes = new List<string>();
            var warnings = new List<string>();
            foreach (var r in results)
            {
                switch (r.Status)
                {
                    case FeatureRunStatus.Ran:
                        if (r.Changed == true) changes.Add($"feature {r.Feature}: changed");
                        else if (r.Changed == false) notes.Add($"feature {r.Feature}: unchanged");
                        else changes.Add($"feature {r.Feature}: ran (it did not report whether it changed anything)");
                        break;
                    case FeatureRunStatus.Skipped:
                        notes.Add($"feature {r.Feature}: skipped, it already ran with this script and spec");
                        break;
                    case FeatureRunStatus.RecordedNotRun:
                        notes.Add($"feature {r.Feature}: recorded by the guest, not run");
                        warnings.Add(NotRunWarning(r));
                        break;
                    case FeatureRunStatus.Planned:
                        changes.Add($"feature {r.Feature}: would run");
                        break;
                }
            }
            return new StepOutcome(changes, notes, warnings);
        }

        // ---- Running ----------------------------------------------------------------------------

        // One feature of this run: its script, hashes, log as read so far, and result once known.
        private sealed class Item
        {
            public Item(FeatureInfo info, int index, byte[] script, string runHash, int maxOutput)
            {
                Info = info;
                Index = index;
                Script = script;
                RunHash = runHash;
                Log = new FeatureLog(maxOutput);
            }

            public FeatureInfo Info { get; }
            public string Name => Info.Name;
            public int Index { get; }
            public byte[] Script { get; }
            public string RunHash { get; }
            public FeatureLog Log { get; set; }
            public Stopwatch? Watch { get; set; }
            public FeatureResult? Result { get; set; }
        }

        /// <summary>
        /// Runs <paramref name="features"/> in order on the VM of <paramref name="spec"/>; each result
        /// goes to <paramref name="onResult"/> as soon as it is known, in order. The first look at the guest
        /// (one read-only guest exec and its exec-status) gives the state of all the features at once; where the agent does not
        /// answer yet it is waited for (its timeout error is the Wait-PhoenixGuestAgent one). Features still
        /// running from an earlier start (a deploy that was cut off) are followed to their end and their exit
        /// codes taken. The features to run then go to the guest in one guest exec (the context file and the
        /// scripts on standard input) and run there one after the other; the start's answer is the first poll (it waits in
        /// the guest as a poll does), and one poll at a time follows them after it while they run.
        /// The first failure throws a <see cref="FeatureException"/> and later features do not run. Sizes are
        /// checked and scripts read before anything is sent.
        /// </summary>
        public async Task<IReadOnlyList<FeatureResult>> RunAsync(VmSpec spec, IReadOnlyList<FeatureInfo> features, Action<FeatureResult>? onResult,
            CancellationToken ct)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            if (features == null) throw new ArgumentNullException(nameof(features));
            var output = new List<FeatureResult>();
            if (features.Count == 0) return output;

            var contextJson = spec.ToContextJson();
            var context = Encoding.UTF8.GetBytes(contextJson);
            if (context.Length >= FeatureContract.MaxDeliveryBytes)
            {
                throw new FeatureException(PhoenixErrorKind.InvalidArgument, ErrorIds.FeatureTooLarge,
                    $"{VmLabel.Of(spec)}: the context file ({FeatureContract.DefaultContextFile}) would be {context.Length} bytes; Phoenix " +
                        $"delivers it with the scripts through qm guest exec --pass-stdin, which carries at most 1 MiB ({FeatureContract.MaxDeliveryBytes} bytes).",
                    spec.VmId, features[0].Name)
                { RecommendedAction = "Make the VM's entry in the config file smaller (large unknown fields travel in the context file)." };
            }
            foreach (var f in features) CheckSize(spec, f, f.Length, context.Length);
            var items = new List<Item>();
            for (var i = 0; i < features.Count; i++)
            {
                var script = ReadScript(spec, features[i]);
                CheckSize(spec, features[i], script.Length, context.Length);
                items.Add(new Item(features[i], i, script, FeatureStateFile.RunHash(script, spec), Options.MaxOutputBytes));
            }

            var emitted = 0;
            void Flush()
            {
                while (emitted < items.Count && items[emitted].Result != null)
                {
                    var r = items[emitted++].Result!;
                    output.Add(r);
                    onResult?.Invoke(r);
                }
            }

            var look = GuestHoldsNoState && !_host.IsDryRun ? null : FirstLook ?? await LookAsync(spec, items, ct).ConfigureAwait(false);

            // A run from an earlier start still going on (a deploy cut off while a feature ran): follow it to its
            // end. What it finishes with this script and context counts as run now; a failure of it is this run's.
            async Task<GuestPollAnswer?> FollowEarlierAsync(GuestPollAnswer? seen)
            {
                if (seen == null || !seen.RunnerAlive || _host.IsDryRun) return seen;
                var earlier = items.Where(i => i.Result == null && seen[i.Name].IsRunning).ToList();
                if (earlier.Count == 0) return seen;
                foreach (var i in earlier) Report(spec, i.Name, i.Index, items.Count, FeatureStage.Running, null, TimeSpan.Zero);
                // The follow's polls name only the features followed: what the look said of the others (one the earlier run
                // finished before the look, recorded with this script and context) still decides whether they run.
                var followed = await FollowAsync(spec, items, earlier, ownRun: false, null, (item, state) =>
                {
                    if (state.RunHash != item.RunHash) return;
                    item.Result = Ran(spec, item, state.ExitCode!.Value);
                    Report(spec, item.Name, item.Index, items.Count, FeatureStage.Finished, null, item.Result.Duration);
                    if (state.ExitCode != 0) throw Failed(spec, item.Result, Later(items, item));
                    Flush();
                }, ct).ConfigureAwait(false);
                return seen.Then(followed);
            }

            // What is left to run: no result yet, and not recorded by the guest with this script and context.
            List<Item> Pending(GuestPollAnswer? seen)
            {
                var left = new List<Item>();
                foreach (var item in items)
                {
                    if (item.Result != null) continue;
                    if (!Options.Force && seen != null && seen[item.Name].Recorded == item.RunHash)
                    {
                        item.Result = Base(spec, item, FeatureRunStatus.Skipped, 0, "", false, false, TimeSpan.Zero);
                        Report(spec, item.Name, item.Index, items.Count, FeatureStage.Finished, null, TimeSpan.Zero);
                    }
                    else left.Add(item);
                }
                Flush();
                return left;
            }

            look = await FollowEarlierAsync(look).ConfigureAwait(false);
            var pending = Pending(look);
            var lookedAgain = false;

            while (pending.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                // As many features as one --pass-stdin carries with the context (CheckSize made sure each one fits).
                var batch = new List<Item>();
                var bytes = context.Length;
                foreach (var item in pending)
                {
                    if (batch.Count > 0 && bytes + item.Script.Length > FeatureContract.MaxDeliveryBytes) break;
                    batch.Add(item);
                    bytes += item.Script.Length;
                }
                pending.RemoveRange(0, batch.Count);

                Func<Item, FeatureResult>? outcome;
                GuestPollAnswer? first;
                try
                {
                    (outcome, first) = await StartAsync(spec, items, batch, context, ct).ConfigureAwait(false);
                }
                catch (FeatureException e) when (e.Reason == ErrorIds.FeatureStillRunning && !lookedAgain)
                {
                    // A run that began after the look: most often the start of a deploy cut off while its qm guest exec was on
                    // its way (qm had read the scripts and went on without its client). Look once more and follow that run to
                    // its end like any earlier one, then start what it left; a run that is still not to be seen is the error.
                    lookedAgain = true;
                    look = await FollowEarlierAsync(await LookAsync(spec, items, ct).ConfigureAwait(false)).ConfigureAwait(false);
                    pending = Pending(look);
                    continue;
                }
                if (outcome != null)
                {
                    foreach (var item in batch)
                    {
                        item.Result = outcome(item);
                        Report(spec, item.Name, item.Index, items.Count, FeatureStage.Finished, null, TimeSpan.Zero);
                    }
                    Flush();
                    continue;
                }

                await FollowAsync(spec, items, batch, ownRun: true, first, (item, state) =>
                {
                    item.Result = Ran(spec, item, state.ExitCode!.Value);
                    Report(spec, item.Name, item.Index, items.Count, FeatureStage.Finished, null, item.Result.Duration);
                    if (state.ExitCode != 0) throw Failed(spec, item.Result, Later(items, item));
                    Flush();
                }, ct).ConfigureAwait(false);

                // The guest drops the rest of a run after a feature that outlasted the time limit (when Phoenix did not
                // time out first): those are started again.
                var dropped = batch.Where(i => i.Result == null).ToList();
                if (dropped.Count == batch.Count)
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                        $"{VmLabel.Of(spec)}: the guest's run of features ended without running feature '{dropped[0].Name}'. Look at its log " +
                            $"with: {LogCommand(spec.VmId, dropped[0].Name)}", spec.VmId, dropped[0].Name);
                }
                pending.InsertRange(0, dropped);
            }
            Flush();
            return output;
        }

        private static IReadOnlyList<string> Later(List<Item> items, Item item) => items.Skip(item.Index + 1).Select(i => i.Name).ToList();

        private byte[] ReadScript(VmSpec spec, FeatureInfo feature)
        {
            try
            {
                return File.ReadAllBytes(feature.Path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new FeatureException(PhoenixErrorKind.InvalidData, ErrorIds.FeatureUnreadable,
                    $"{VmLabel.Of(spec)}: the script of feature '{feature.Name}' ({feature.Path}) cannot be read: {e.Message}", spec.VmId,
                        feature.Name, null, e);
            }
        }

        // The first look: one read-only poll that answers at once. Null when nothing is known (a plan for a VM that
        // cannot answer now, or a guest that runs no commands): then every feature runs.
        private async Task<GuestPollAnswer?> LookAsync(VmSpec spec, List<Item> items, CancellationToken ct)
        {
            var vmId = spec.VmId;
            if (_host.IsDryRun)
            {
                // In a planned deploy the VM may not even exist yet, and a plan must not wait for anything.
                try
                {
                    if (await _host.GetStatusAsync(vmId, ct).ConfigureAwait(false) != "running" ||
                        !await _host.AgentPingAsync(vmId, ct).ConfigureAwait(false)) return null;
                    return await PollAsync(spec, items, items.Select(i => (i.Name, -1L)), TimeSpan.Zero, ct).ConfigureAwait(false);
                }
                catch (PhoenixException)
                {
                    return null;
                }
            }
            try
            {
                return await PollAsync(spec, items, items.Select(i => (i.Name, -1L)), TimeSpan.Zero, ct).ConfigureAwait(false);
            }
            catch (ProxmoxException e) when (AgentNotAnswering(e))
            {
                // Not answering yet (or never): wait as Wait-PhoenixGuestAgent does, with its errors.
                await WaitForAgentAsync(vmId, e, ct).ConfigureAwait(false);
                return await PollAsync(spec, items, items.Select(i => (i.Name, -1L)), TimeSpan.Zero, ct).ConfigureAwait(false);
            }
        }

        // Waits for the agent as Wait-PhoenixGuestAgent does, with its timeout error; the guest's addresses are not asked for.
        // After `refused`: qm says 'QEMU guest agent is not running' only for a VM that runs (it checks that first), so its
        // state is then read only to explain a timeout; the config is read once, to tell `agent: 0` from an agent not up yet.
        private Task WaitForAgentAsync(int vmId, ProxmoxException refused, CancellationToken ct) =>
            VmLifecycle.WaitForAgentAsync(_host, vmId, Options.AgentTimeout, Options.AgentPollInterval, null, ct, null,
                knownRunning: refused.ProxmoxReason == ProxmoxErrorReason.AgentNotRunning, readAddresses: false);

        // qm guest exec refused before running anything because the agent does not answer (yet), the VM does not run, or it has
        // no agent: waiting for the agent either ends it or reports it as Wait-PhoenixGuestAgent does.
        private static bool AgentNotAnswering(ProxmoxException e) =>
            e.ProxmoxReason == ProxmoxErrorReason.AgentNotRunning || e.ProxmoxReason == ProxmoxErrorReason.NotRunning ||
            e.ProxmoxReason == ProxmoxErrorReason.AgentNotConfigured;

        // One poll: waits up to `wait` in the guest while the run goes on, then the state of every feature named and
        // their logs from the offsets given (-1: none). Read-only. One that waits in the guest lets qm wait with it (one
        // command); one that answers at once (the look, a poll for more of a log) is started with --synchronous 0 and its
        // answer asked for with exec-status (GuestExecOptions.Synchronous): two short commands instead of qm's wait.
        private async Task<GuestPollAnswer?> PollAsync(VmSpec spec, List<Item> items, IEnumerable<(string Name, long Offset)> features, TimeSpan wait,
            CancellationToken ct)
        {
            var list = features.ToList();
            var names = string.Join(", ", list.Select(f => f.Name));
            var what = GuestScripts.DescribePoll(list.Select(f => f.Name), wait);
            var poll = await _host.GuestExecAsync(spec.VmId,
                GuestScripts.PollArgv(GuestFolder, FeatureStateFile.Path, wait, GuestScripts.PollChunkBytes, list),
                new GuestExecOptions { ReadOnly = true, Synchronous = wait > TimeSpan.Zero, FollowStarted = true, FollowLimit = SmallCommandLimit + wait, Description = what },
                ct).ConfigureAwait(false);
            if (poll.IsPlanned) return null;
            var bytes = GuestScripts.ToGuestBytes(poll.OutData);
            GuestPollAnswer? answer = null;
            string? why = null;
            try
            {
                answer = poll.Succeeded ? GuestPollAnswer.Parse(bytes) : null;
            }
            catch (FormatException e)
            {
                why = e.Message;
            }
            if (answer != null) return answer;
            // A guest that runs no commands (its host says so) answers with nothing of the poll's: nothing is known.
            if (!_host.Connection.Capabilities.GuestCommandsRun && why == null) return null;
            var feature = list.Count > 0 ? list[0].Name : items[0].Name;
            throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                $"{VmLabel.Of(spec)}: the state of features {names} could not be read in the guest " +
                    (why != null ? $"({why})." : $"(exit code {Code(poll)}): {Brief(poll)}"),
                spec.VmId, feature)
            { RecommendedAction = "Check that the guest has /bin/sh and the usual tools (cat, cut, head, tail, wc) and that /var/lib/phoenix is readable." };
        }

        // Sends the context and the batch's scripts and starts their run in one guest exec, which then waits in the guest
        // as the first poll would and answers as it does. Outcome null: the run is under way, follow it from `First` (null:
        // the answer brought no poll, the follow starts with one). Otherwise how each feature of the batch ends without
        // being followed (planned, recorded, not run).
        private async Task<(Func<Item, FeatureResult>? Outcome, GuestPollAnswer? First)> StartAsync(VmSpec spec, List<Item> items, List<Item> batch,
            byte[] context, CancellationToken ct)
        {
            var vmId = spec.VmId;
            foreach (var item in batch)
            {
                item.Watch = null;
                Report(spec, item.Name, item.Index, items.Count, FeatureStage.Delivering, null, TimeSpan.Zero);
            }
            var start = batch.Select(i => new GuestScripts.StartItem(i.Name, i.RunHash, i.Script)).ToList();
            var names = string.Join(", ", batch.Select(i => i.Name));
            var wait = FirstWait();
            Task<GuestExecResult> Launch()
            {
                // The first feature's time runs from its start: the start's own wait counts against its timeout.
                batch[0].Watch = Stopwatch.StartNew();
                return _host.GuestExecAsync(vmId,
                    GuestScripts.StartArgv(GuestFolder, FeatureStateFile.Path, FeatureContract.DefaultContextFile, context.Length, start, Options.Timeout,
                        wait, GuestScripts.PollChunkBytes, FeatureEnvironment(spec)),
                    new GuestExecOptions
                    {
                        StandardInput = GuestScripts.StartInput(context, start),
                        FollowLimit = SmallCommandLimit + wait,
                        Description = GuestScripts.DescribeStart(FeatureContract.DefaultContextFile, context.Length, start),
                    }, ct);
            }
            GuestExecResult launch;
            try
            {
                launch = await Launch().ConfigureAwait(false);
            }
            catch (ProxmoxException e) when (AgentNotAnswering(e))
            {
                // A guest the deploy has just started may still be booting: the deploy does not ping its agent before the start,
                // since qm guest exec asks the agent first itself and gives up before running anything. Wait for it as
                // Wait-PhoenixGuestAgent does (with its errors), then start.
                await WaitForAgentAsync(vmId, e, ct).ConfigureAwait(false);
                launch = await Launch().ConfigureAwait(false);
            }

            if (launch.IsPlanned) return (item => Base(spec, item, FeatureRunStatus.Planned, 0, "", false, null, TimeSpan.Zero), null);
            if (launch.ExitCode == GuestScripts.BusyExitCode && launch.OutData.StartsWith(GuestScripts.BusyPrefix, StringComparison.Ordinal))
            {
                var pid = launch.OutData.Substring(GuestScripts.BusyPrefix.Length).Trim();
                throw new FeatureException(PhoenixErrorKind.InvalidOperation, ErrorIds.FeatureStillRunning,
                    $"{VmLabel.Of(spec)}: features are running in the guest from another start (pid {pid}), begun after Phoenix looked; Phoenix " +
                        $"does not start a second run beside it. Look at the log of '{batch[0].Name}' with: {LogCommand(vmId, batch[0].Name)}",
                    vmId, batch[0].Name)
                { RecommendedAction = "Find out who else runs features on this VM (another Deploy-PhoenixVm or Invoke-PhoenixFeature), then run again." };
            }
            if (launch.ExitCode == GuestScripts.RefusedExitCode && launch.OutData.StartsWith(GuestScripts.RefusedPrefix, StringComparison.Ordinal))
            {
                var path = FeatureContract.DefaultContextFile;
                throw new FeatureException(PhoenixErrorKind.InvalidOperation, ErrorIds.FeatureDeliveryFailed,
                    $"{VmLabel.Of(spec)}: {path} in the guest is not a regular file owned by root (a directory, a link, or another user's " +
                        $"file), so Phoenix did not write the context file there and started no feature ({names}). It neither follows nor " +
                        $"removes what another user put at that path.{(launch.ErrData.Trim().Length > 0 ? " " + Brief(launch) : "")}",
                    vmId, batch[0].Name)
                { RecommendedAction = $"Look at what is at {path} in the guest (qm guest exec {vmId} -- ls -ld {path}), remove it as root, then run again." };
            }
            // A guest that runs no commands (its host says so) answers the start with nothing of the program's;
            // an answer it does give (a canned one) is taken as it comes, above and below.
            var capabilities = _host.Connection.Capabilities;
            if (!capabilities.GuestCommandsRun && !launch.OutData.Contains(GuestScripts.StartedPrefix))
                return (item => Base(spec, item, FeatureRunStatus.RecordedNotRun, 0, "", false, null, TimeSpan.Zero, capabilities.GuestCommandsNote), null);
            if (!launch.Succeeded || !launch.OutData.Contains(GuestScripts.StartedPrefix))
            {
                var why = launch.Exited ? $"exit code {Code(launch)}" : "no answer";
                throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureLaunchFailed,
                    $"{VmLabel.Of(spec)}: feature '{batch[0].Name}' could not be started in the guest ({why}): {Brief(launch)}", vmId, batch[0].Name)
                { RecommendedAction = "Check that the guest has /bin/sh, /bin/bash and GNU coreutils, that /var/lib/phoenix and /tmp are writable " +
                    "and the disk is not full." };
            }
            return (null, FirstAnswer(launch));
        }

        // How long the start waits in the guest for its run to end before answering, as the follow's first poll would.
        private TimeSpan FirstWait()
        {
            var wait = Min(Min(Options.PollInterval, MaxPollWait), Options.Timeout);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        // The poll answer after the start's "phoenix-started <pid>" line, or null when there is none to trust (a start that
        // answered only that line, or an answer cut short): the follow then asks with a poll of its own.
        private static GuestPollAnswer? FirstAnswer(GuestExecResult launch)
        {
            var bytes = GuestScripts.ToGuestBytes(launch.OutData);
            var started = Encoding.ASCII.GetBytes(GuestScripts.StartedPrefix + " ");
            var at = IndexOf(bytes, started);
            var end = at < 0 ? -1 : Array.IndexOf(bytes, (byte)'\n', at);
            if (end < 0 || end + 1 >= bytes.Length) return null;
            try
            {
                return GuestPollAnswer.Parse(bytes.Skip(end + 1).ToArray());
            }
            catch (FormatException)
            {
                return null;
            }
        }

        private static int IndexOf(byte[] bytes, byte[] part)
        {
            for (var i = 0; i + part.Length <= bytes.Length; i++)
            {
                var j = 0;
                while (j < part.Length && bytes[i + j] == part[j]) j++;
                if (j == part.Length) return i;
            }
            return -1;
        }

        // Follows `chain` (features of one run in the guest, in their order) poll by poll until the run ends: new log
        // lines go to Progress, and each feature that ends goes to `ended` in order (which may throw). A feature of our
        // own run whose runner died without its exit code is FeatureAborted; one that outlasts the timeout, FeatureTimeout.
        // The agent may vanish for a while (an upgrade restarts it): that is waited out for AgentTimeout. `first`: the answer
        // the start brought (its first poll, logs from offset 0), taken as the first poll's; the first feature's watch then
        // runs from the start.
        private async Task<GuestPollAnswer> FollowAsync(VmSpec spec, List<Item> items, List<Item> chain, bool ownRun, GuestPollAnswer? first,
            Action<Item, GuestFeatureState> ended, CancellationToken ct)
        {
            var vmId = spec.VmId;
            foreach (var item in chain) item.Log = new FeatureLog(Options.MaxOutputBytes);
            var current = 0;
            if (first == null || chain[0].Watch == null) chain[0].Watch = Stopwatch.StartNew();
            if (ownRun) Report(spec, chain[0].Name, chain[0].Index, items.Count, FeatureStage.Running, null, TimeSpan.Zero);
            if (first == null && Options.FirstPollDelay > TimeSpan.Zero) await Task.Delay(Options.FirstPollDelay, ct).ConfigureAwait(false);
            var more = false;
            Stopwatch? agentLost = null;
            while (true)
            {
                var left = Options.Timeout - chain[current].Watch!.Elapsed;
                var wait = more ? TimeSpan.Zero : Min(Min(Options.PollInterval, MaxPollWait), left);
                if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
                GuestPollAnswer? answer = first;
                first = null;
                if (answer == null)
                {
                    try
                    {
                        answer = await PollAsync(spec, items, chain.Select(i => (i.Name, i.Log.Received)), wait, ct).ConfigureAwait(false);
                    }
                    catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.AgentNotRunning ||
                                                      e.ProxmoxReason == ProxmoxErrorReason.GuestAgentError ||
                                                      e.ProxmoxReason == ProxmoxErrorReason.CommandTimeout)
                    {
                        var feature = chain[current].Name;
                        agentLost ??= Stopwatch.StartNew();
                        if (agentLost.Elapsed >= Options.AgentTimeout)
                        {
                            throw new FeatureException(PhoenixErrorKind.OperationTimeout, ErrorIds.FeatureAgentLost,
                                $"{VmLabel.Of(spec)}: the guest agent stopped answering while feature '{feature}' ran and did not come back " +
                                    $"within {ProxmoxError.FormatDuration(Options.AgentTimeout)} ({e.Message}). The feature may still be running in " +
                                    $"the guest. When the agent answers again, look at its log with: {LogCommand(vmId, feature)}",
                                vmId, feature, null, e)
                            { RecommendedAction = $"Check the VM (qm status {vmId}, its console); its exit code appears in {StatusPath(feature)} when it ends." };
                        }
                        CheckTimeout(spec, feature, chain[current].Watch!);
                        await Task.Delay(Options.AgentPollInterval, ct).ConfigureAwait(false);
                        continue;
                    }
                }
                agentLost = null;
                if (answer == null)
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                        $"{VmLabel.Of(spec)}: the guest gave no state for feature '{chain[current].Name}' while it ran.", vmId, chain[current].Name);
                }

                more = false;
                foreach (var item in chain)
                {
                    var chunk = answer.Log(item.Name);
                    foreach (var line in item.Log.Append(chunk))
                        Report(spec, item.Name, item.Index, items.Count, FeatureStage.Running, line, item.Watch?.Elapsed ?? TimeSpan.Zero);
                    // A full chunk means more log is waiting: fetch it before judging the states.
                    if (chunk.Length >= GuestScripts.PollChunkBytes) more = true;
                }
                if (more) continue;

                while (current < chain.Count)
                {
                    var item = chain[current];
                    var state = answer[item.Name];
                    if (state.ExitCode.HasValue)
                    {
                        var rest = item.Log.TakeRest();
                        if (rest != null) Report(spec, item.Name, item.Index, items.Count, FeatureStage.Running, rest, item.Watch!.Elapsed);
                        ended(item, state);
                        current++;
                        if (current < chain.Count)
                        {
                            chain[current].Watch = Stopwatch.StartNew();
                            if (ownRun) Report(spec, chain[current].Name, chain[current].Index, items.Count, FeatureStage.Running, null, TimeSpan.Zero);
                        }
                        continue;
                    }
                    if (state.IsGone && ownRun)
                    {
                        throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureAborted,
                            $"{VmLabel.Of(spec)}: feature '{item.Name}' stopped without writing its exit code (the guest rebooted or its process " +
                                $"was killed). Look at its log with: {LogCommand(vmId, item.Name)}",
                            vmId, item.Name)
                        { RecommendedAction = "Find out from the log what stopped it, then run the feature again." };
                    }
                    break;
                }
                if (current >= chain.Count || !answer.RunnerAlive) return answer;
                CheckTimeout(spec, chain[current].Name, chain[current].Watch!);
            }
        }

        /// <summary>The longest one poll waits in the guest: under qm guest exec's own 30 s, after which it answers with a pid.</summary>
        private static readonly TimeSpan MaxPollWait = TimeSpan.FromSeconds(25);

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        private FeatureResult Ran(VmSpec spec, Item item, int exitCode)
        {
            var output = item.Log.Text;
            return Base(spec, item, FeatureRunStatus.Ran, exitCode, output, item.Log.Truncated, FeatureOutput.ParseChanged(output),
                item.Watch?.Elapsed ?? TimeSpan.Zero);
        }

        private static FeatureResult Base(VmSpec spec, Item item, FeatureRunStatus status, int exitCode, string output, bool truncated, bool? changed,
            TimeSpan duration, string? notRunReason = null) =>
            new FeatureResult
            {
                VmId = spec.VmId,
                VmName = spec.Name,
                Feature = item.Name,
                ScriptHash = Hex.Sha256(item.Script),
                RunHash = item.RunHash,
                LogPath = LogPath(item.Name),
                Status = status,
                ExitCode = exitCode,
                Output = output,
                OutputTruncated = truncated,
                Changed = changed,
                Duration = duration,
                NotRunReason = notRunReason,
            };

        private void CheckTimeout(VmSpec spec, string feature, Stopwatch watch)
        {
            if (watch.Elapsed < Options.Timeout) return;
            throw new FeatureException(PhoenixErrorKind.OperationTimeout, ErrorIds.FeatureTimeout,
                $"{VmLabel.Of(spec)}: feature '{feature}' is still running in the guest after {ProxmoxError.FormatDuration(Options.Timeout)}. " +
                    $"Phoenix stopped following it but did not stop it, and runs no later feature of this VM. Look at its log " +
                    $"with: {LogCommand(spec.VmId, feature)}",
                spec.VmId, feature)
            {
                RecommendedAction = $"When it has ended, its exit code is in {StatusPath(feature)}. If it only needs more time, run it again with " +
                    $"a longer -TimeoutSec once it has ended.",
            };
        }

        private static FeatureException Failed(VmSpec spec, FeatureResult result, IReadOnlyList<string> later)
        {
            var meaning = FeatureContract.DescribeExitCode(result.ExitCode);
            var sb = new StringBuilder();
            sb.Append($"{VmLabel.Of(spec)}: feature '{result.Feature}' failed with exit code {result.ExitCode}");
            if (meaning != null) sb.Append($" ({meaning}, by the convention of the bundled features)");
            sb.Append('.');
            if (later.Count > 0) sb.Append(" Not run after it: ").Append(string.Join(", ", later)).Append('.');
            var tail = FeatureOutput.LastLines(result.Output, FailureTailLines);
            if (tail.Count == 0) sb.Append(" It printed nothing.");
            else
            {
                sb.Append(tail.Count == 1 ? " Last line of its output:" : $" Last {tail.Count} lines of its output:");
                foreach (var line in tail) sb.Append('\n').Append(line);
            }
            return new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFailed, sb.ToString(), spec.VmId, result.Feature, result)
            {
                RecommendedAction = $"Read the whole log with: {LogCommand(spec.VmId, result.Feature)}. Fix the cause, then run the feature again " +
                    $"(Invoke-PhoenixFeature -VmId {spec.VmId} -Name {result.Feature}).",
            };
        }

        // ---- Helpers ----------------------------------------------------------------------------

        private static void CheckSize(VmSpec spec, FeatureInfo feature, long length, int contextLength)
        {
            if (length + contextLength <= FeatureContract.MaxDeliveryBytes) return;
            throw new FeatureException(PhoenixErrorKind.InvalidArgument, ErrorIds.FeatureTooLarge,
                $"{VmLabel.Of(spec)}: feature '{feature.Name}' ({feature.Path}) is {length} bytes; Phoenix sends each script with the context " +
                    $"file ({contextLength} bytes) through qm guest exec --pass-stdin, which carries at most 1 MiB ({FeatureContract.MaxDeliveryBytes} " +
                    $"bytes), so this VM's scripts can have at most {FeatureContract.MaxDeliveryBytes - contextLength} bytes. Nothing was sent.",
                spec.VmId, feature.Name)
            { RecommendedAction = "Make the script smaller: let it download large payloads inside the guest instead of carrying them." };
        }

        private void Report(VmSpec spec, string feature, int index, int count, FeatureStage stage, string? line, TimeSpan elapsed) =>
            Progress?.Invoke(new FeatureProgress(spec.VmId, feature, index, count, stage, line, elapsed));

        private static string Code(GuestExecResult r) =>
            r.ExitCode.HasValue ? r.ExitCode.Value.ToString(CultureInfo.InvariantCulture)
            : r.Signal.HasValue ? "signal " + r.Signal.Value.ToString(CultureInfo.InvariantCulture) : "none";

        private static string Brief(GuestExecResult r)
        {
            var text = (r.ErrData.Trim().Length > 0 ? r.ErrData : r.OutData).Trim();
            return text.Length == 0 ? "no output" : Shorten(FeatureOutput.Tail(text, 5));
        }

        private static string Shorten(string text) => text.Length <= 500 ? text : text.Substring(0, 500) + "...";
    }
}
