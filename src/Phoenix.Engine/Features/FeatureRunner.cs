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
    /// is one <c>qm guest exec</c> (no NFS, no share, no SSH into the guest). For each feature it
    /// writes the context file, sends the script, starts it detached with <c>/bin/bash</c> (its
    /// output to a log file, its exit code to a status file at the end), and follows it with one
    /// short guest exec per poll that returns the status and the new log bytes; new lines go to
    /// <see cref="Progress"/>.
    /// </summary>
    /// <remarks>
    /// <para>Idempotent re-runs: after a feature succeeds, it is recorded in the guest's
    /// <see cref="FeatureStateFile"/> with a hash of the script and the context it ran with. A later
    /// run reads that file first (a read-only guest exec) and skips a feature whose hash is unchanged,
    /// unless <see cref="FeatureRunOptions.Force"/>. So a second deploy of an unchanged VM runs no
    /// changing command; a changed script or spec runs the feature again.</para>
    /// <para>Every guest command goes through <see cref="ProxmoxHost.GuestExecAsync"/>, which follows a
    /// program that outlives qm's own wait; reads are marked <see cref="GuestExecOptions.ReadOnly"/>.</para>
    /// <para>Over a <see cref="PlanRecorder"/> (-WhatIf) nothing runs: the delivery, start and
    /// state commands are recorded, the agent is not waited for and nothing is followed.</para>
    /// <para>A host whose guests do not run commands says so (<see cref="HostCapabilities.GuestCommandsRun"/>,
    /// the in-process simulator's recording guest): the feature is delivered and its start recorded, then
    /// reported as <see cref="FeatureRunStatus.RecordedNotRun"/> with exit code 0, without following it or
    /// recording it as done. A start such a guest answers as started (a canned answer) is followed as usual.</para>
    /// </remarks>
    public sealed class FeatureRunner
    {
        /// <summary>Where scripts, logs and status files live in the guest.</summary>
        public const string GuestFolder = "/var/lib/phoenix/features";

        /// <summary>
        /// The name ($0) of the status-and-log poll in the guest; it appears in every poll's command
        /// line, so logs can recognize (and thin out) the polls.
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
        /// The argument list that runs a feature: <c>env PHOENIX_VMID=.. PHOENIX_VM_NAME=.. PHOENIX_USERNAME=..
        /// PHOENIX_CONTEXT_FILE=.. /bin/bash &lt;script&gt;</c>.
        /// </summary>
        public static IReadOnlyList<string> FeatureCommand(VmSpec spec, string feature) => new[]
        {
            "env",
            FeatureContract.EnvVmId + "=" + spec.VmId.ToString(CultureInfo.InvariantCulture),
            FeatureContract.EnvVmName + "=" + (spec.Name ?? ""),
            FeatureContract.EnvUserName + "=" + (spec.UserConfig?.Username ?? ""),
            FeatureContract.EnvContextFile + "=" + FeatureContract.DefaultContextFile,
            FeatureContract.Interpreter,
            ScriptPath(feature),
        };

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
        public static async Task<StepOutcome> RunForVmAsync(ProxmoxHost host, VmSpec spec, FeatureCatalog catalog, FeatureRunOptions options,
            Action<string> log, CancellationToken ct)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            if (catalog == null) throw new ArgumentNullException(nameof(catalog));
            if (spec.Features.Count == 0) return StepOutcome.Unchanged("no features");
            var features = spec.Features.Select(catalog.Resolve).ToList();
            var runner = new FeatureRunner(host, options);
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

        /// <summary>
        /// Runs <paramref name="features"/> in order on the VM of <paramref name="spec"/>; each result
        /// goes to <paramref name="onResult"/> as soon as it is known. Waits for the guest agent first
        /// (its timeout error is the Wait-PhoenixGuestAgent one). The first failure throws a
        /// <see cref="FeatureException"/> and later features do not run. Sizes are checked before
        /// anything is sent.
        /// </summary>
        public async Task<IReadOnlyList<FeatureResult>> RunAsync(VmSpec spec, IReadOnlyList<FeatureInfo> features, Action<FeatureResult>? onResult,
            CancellationToken ct)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            if (features == null) throw new ArgumentNullException(nameof(features));
            var results = new List<FeatureResult>();
            if (features.Count == 0) return results;

            var contextJson = spec.ToContextJson();
            var context = Encoding.UTF8.GetBytes(contextJson);
            if (context.Length > FeatureContract.MaxDeliveryBytes)
            {
                throw new FeatureException(PhoenixErrorKind.InvalidArgument, ErrorIds.FeatureTooLarge,
                    $"{VmLabel.Of(spec)}: the context file ({FeatureContract.DefaultContextFile}) would be {context.Length} bytes; Phoenix " +
                        $"delivers it with qm guest exec --pass-stdin, which carries at most 1 MiB ({FeatureContract.MaxDeliveryBytes} bytes).",
                    spec.VmId, features[0].Name)
                { RecommendedAction = "Make the VM's entry in the config file smaller (large unknown fields travel in the context file)." };
            }
            foreach (var f in features) CheckSize(spec, f, f.Length);

            if (!_host.IsDryRun)
                await VmLifecycle.WaitForAgentAsync(_host, spec.VmId, Options.AgentTimeout, Options.AgentPollInterval, null, ct).ConfigureAwait(false);

            var state = _host.IsDryRun ? await FeatureStateFile.ReadForPlanAsync(_host, spec.VmId, SmallCommandLimit, ct).ConfigureAwait(false)
                : await FeatureStateFile.ReadAsync(_host, spec.VmId, SmallCommandLimit, ct).ConfigureAwait(false);

            for (var i = 0; i < features.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var feature = features[i];
                byte[] script;
                try
                {
                    script = File.ReadAllBytes(feature.Path);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    throw new FeatureException(PhoenixErrorKind.InvalidData, ErrorIds.FeatureUnreadable,
                        $"{VmLabel.Of(spec)}: the script of feature '{feature.Name}' ({feature.Path}) cannot be read: {e.Message}", spec.VmId,
                            feature.Name, null, e);
                }
                CheckSize(spec, feature, script.Length);
                var runHash = FeatureStateFile.RunHash(script, contextJson);

                FeatureResult result;
                if (!Options.Force && state.TryGetValue(feature.Name, out var done) && done == runHash)
                {
                    result = new FeatureResult
                    {
                        VmId = spec.VmId,
                        VmName = spec.Name,
                        Feature = feature.Name,
                        Status = FeatureRunStatus.Skipped,
                        Changed = false,
                        ScriptHash = Hex.Sha256(script),
                        RunHash = runHash,
                        LogPath = LogPath(feature.Name),
                    };
                    Report(spec, feature.Name, i, features.Count, FeatureStage.Finished, null, TimeSpan.Zero);
                }
                else
                {
                    var later = features.Skip(i + 1).Select(f => f.Name).ToList();
                    result = await RunOneAsync(spec, feature.Name, script, context, runHash, i, features.Count, later, ct).ConfigureAwait(false);
                    if (result.Status == FeatureRunStatus.Ran || result.Status == FeatureRunStatus.Planned)
                    {
                        state[feature.Name] = runHash;
                        await WriteStateAsync(spec, feature.Name, state, ct).ConfigureAwait(false);
                    }
                }
                results.Add(result);
                onResult?.Invoke(result);
            }
            return results;
        }

        private async Task<FeatureResult> RunOneAsync(VmSpec spec, string feature, byte[] script, byte[] context, string runHash,
            int index, int count, IReadOnlyList<string> later, CancellationToken ct)
        {
            var vmId = spec.VmId;
            var watch = Stopwatch.StartNew();
            Report(spec, feature, index, count, FeatureStage.Delivering, null, watch.Elapsed);

            await WriteFileAsync(spec, feature, FeatureContract.DefaultContextFile, context, ct).ConfigureAwait(false);
            await WriteFileAsync(spec, feature, ScriptPath(feature), script, ct).ConfigureAwait(false);

            var launch = await _host.GuestExecAsync(vmId,
                GuestScripts.LaunchArgv(LogPath(feature), StatusPath(feature), FeatureCommand(spec, feature)),
                new GuestExecOptions { FollowLimit = SmallCommandLimit, Description = GuestScripts.DescribeLaunch(feature, FeatureCatalog.FileNameFor(feature), script.Length) }, ct)
                .ConfigureAwait(false);

            var baseResult = new FeatureResult
            {
                VmId = vmId,
                VmName = spec.Name,
                Feature = feature,
                ScriptHash = Hex.Sha256(script),
                RunHash = runHash,
                LogPath = LogPath(feature),
            };

            if (launch.IsPlanned)
            {
                Report(spec, feature, index, count, FeatureStage.Finished, null, watch.Elapsed);
                return With(baseResult, FeatureRunStatus.Planned, 0, "", false, null, watch.Elapsed);
            }
            if (launch.ExitCode == GuestScripts.BusyExitCode && launch.OutData.StartsWith(GuestScripts.BusyPrefix, StringComparison.Ordinal))
            {
                var pid = launch.OutData.Substring(GuestScripts.BusyPrefix.Length).Trim();
                throw new FeatureException(PhoenixErrorKind.InvalidOperation, ErrorIds.FeatureStillRunning,
                    $"{VmLabel.Of(spec)}: feature '{feature}' is still running in the guest from an earlier start (pid {pid}); Phoenix does not " +
                        $"start it twice. Look at its log with: {LogCommand(vmId, feature)}",
                    vmId, feature)
                { RecommendedAction = $"Wait until it ends (its exit code then appears in {StatusPath(feature)}), then run it again." };
            }
            // A guest that runs no commands (its host says so) answers the start with nothing of the launcher's;
            // an answer it does give (a canned one) is taken as it comes, above and below.
            var capabilities = _host.Connection.Capabilities;
            if (!capabilities.GuestCommandsRun && !launch.OutData.Contains(GuestScripts.StartedPrefix))
            {
                Report(spec, feature, index, count, FeatureStage.Finished, null, watch.Elapsed);
                return With(baseResult, FeatureRunStatus.RecordedNotRun, 0, "", false, null, watch.Elapsed, capabilities.GuestCommandsNote);
            }
            if (!launch.Succeeded || !launch.OutData.Contains(GuestScripts.StartedPrefix))
            {
                var why = launch.Exited ? $"exit code {Code(launch)}" : "no answer";
                throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureLaunchFailed,
                    $"{VmLabel.Of(spec)}: feature '{feature}' could not be started in the guest ({why}): {Brief(launch)}", vmId, feature)
                { RecommendedAction = "Check that the guest has /bin/sh and /bin/bash and that /var/lib/phoenix is writable." };
            }

            Report(spec, feature, index, count, FeatureStage.Running, null, watch.Elapsed);
            var log = new FeatureLog(Options.MaxOutputBytes);
            var exitCode = await FollowAsync(spec, feature, index, count, log, watch, ct).ConfigureAwait(false);
            var rest = log.TakeRest();
            if (rest != null) Report(spec, feature, index, count, FeatureStage.Running, rest, watch.Elapsed);
            var output = log.Text;
            var result = With(baseResult, FeatureRunStatus.Ran, exitCode, output, log.Truncated, FeatureOutput.ParseChanged(output), watch.Elapsed);
            Report(spec, feature, index, count, FeatureStage.Finished, null, watch.Elapsed);
            if (exitCode != 0) throw Failed(spec, result, later);
            return result;
        }

        // Polls until the status file appears; returns the exit code. Every poll is one read-only
        // guest exec. The agent may vanish for a while (an upgrade restarts it): that is waited
        // out for AgentTimeout before it becomes an error.
        private async Task<int> FollowAsync(VmSpec spec, string feature, int index, int count, FeatureLog log, Stopwatch watch, CancellationToken ct)
        {
            var vmId = spec.VmId;
            var first = Options.FirstPollDelay > TimeSpan.Zero ? Options.FirstPollDelay : TimeSpan.FromMilliseconds(1);
            var delay = first;
            var max = Options.PollInterval < first ? first : Options.PollInterval;
            Stopwatch? agentLost = null;
            while (true)
            {
                if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
                GuestExecResult poll;
                try
                {
                    poll = await _host.GuestExecAsync(vmId, GuestScripts.PollArgv(LogPath(feature), StatusPath(feature), log.Received,
                        GuestScripts.PollChunkBytes),
                        new GuestExecOptions { ReadOnly = true, FollowLimit = SmallCommandLimit,
                            Description = GuestScripts.DescribePoll(feature) }, ct)
                        .ConfigureAwait(false);
                }
                catch (ProxmoxException e) when (e.ProxmoxReason == ProxmoxErrorReason.AgentNotRunning ||
                                                  e.ProxmoxReason == ProxmoxErrorReason.GuestAgentError ||
                                                  e.ProxmoxReason == ProxmoxErrorReason.CommandTimeout)
                {
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
                    delay = max;
                    CheckTimeout(spec, feature, watch);
                    continue;
                }
                agentLost = null;
                if (!poll.Succeeded)
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                        $"{VmLabel.Of(spec)}: reading the status of feature '{feature}' failed (exit code {Code(poll)}): {Brief(poll)}", vmId, feature);
                }

                var bytes = GuestScripts.ToGuestBytes(poll.OutData);
                var newline = Array.IndexOf(bytes, (byte)'\n');
                var header = Encoding.UTF8.GetString(bytes, 0, newline < 0 ? bytes.Length : newline);
                if (!header.StartsWith(GuestScripts.StatusPrefix, StringComparison.Ordinal))
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                        $"{VmLabel.Of(spec)}: the status of feature '{feature}' could not be read: the guest answered '{Shorten(header)}'.", vmId, feature);
                }
                var chunk = newline < 0 ? Array.Empty<byte>() : bytes.Skip(newline + 1).ToArray();
                foreach (var line in log.Append(chunk)) Report(spec, feature, index, count, FeatureStage.Running, line, watch.Elapsed);

                var status = header.Substring(GuestScripts.StatusPrefix.Length).Trim();
                // A full chunk means more log is waiting: fetch it before judging the status.
                if (chunk.Length >= GuestScripts.PollChunkBytes)
                {
                    delay = TimeSpan.Zero;
                    continue;
                }
                if (int.TryParse(status, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exitCode)) return exitCode;
                if (status == "gone")
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureAborted,
                        $"{VmLabel.Of(spec)}: feature '{feature}' stopped without writing its exit code (the guest rebooted or its process was " +
                            $"killed). Look at its log with: {LogCommand(vmId, feature)}",
                        vmId, feature)
                    { RecommendedAction = "Find out from the log what stopped it, then run the feature again." };
                }
                if (status != "running")
                {
                    throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureFollowFailed,
                        $"{VmLabel.Of(spec)}: the status file of feature '{feature}' holds '{Shorten(status)}', not an exit code.", vmId, feature);
                }
                CheckTimeout(spec, feature, watch);
                delay = delay <= TimeSpan.Zero ? first : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
            }
        }

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

        // ---- Guest commands ---------------------------------------------------------------------

        private async Task WriteFileAsync(VmSpec spec, string feature, string path, byte[] content, CancellationToken ct)
        {
            var options = new GuestExecOptions
            {
                StandardInput = content,
                FollowLimit = SmallCommandLimit,
                Description = GuestScripts.DescribeWrite(path, content.Length),
            };
            var result = await _host.GuestExecAsync(spec.VmId, GuestScripts.WriteArgv(path), options, ct).ConfigureAwait(false);
            if (result.IsPlanned || result.Succeeded) return;
            throw new FeatureException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.FeatureDeliveryFailed,
                $"{VmLabel.Of(spec)}: writing {path} in the guest for feature '{feature}' failed (exit code {Code(result)}): {Brief(result)}",
                    spec.VmId, feature)
            { RecommendedAction = "Check that the guest's disk is not full or read-only." };
        }

        private Task WriteStateAsync(VmSpec spec, string feature, Dictionary<string, string> state, CancellationToken ct) =>
            WriteFileAsync(spec, feature, FeatureStateFile.Path, Encoding.UTF8.GetBytes(FeatureStateFile.Format(state)), ct);

        // ---- Helpers ----------------------------------------------------------------------------

        private void CheckSize(VmSpec spec, FeatureInfo feature, long length)
        {
            if (length <= FeatureContract.MaxDeliveryBytes) return;
            throw new FeatureException(PhoenixErrorKind.InvalidArgument, ErrorIds.FeatureTooLarge,
                $"{VmLabel.Of(spec)}: feature '{feature.Name}' ({feature.Path}) is {length} bytes; Phoenix sends scripts with qm guest exec " +
                    $"--pass-stdin, which carries at most 1 MiB ({FeatureContract.MaxDeliveryBytes} bytes). Nothing was sent.",
                spec.VmId, feature.Name)
            { RecommendedAction = "Make the script smaller: let it download large payloads inside the guest instead of carrying them." };
        }

        private void Report(VmSpec spec, string feature, int index, int count, FeatureStage stage, string? line, TimeSpan elapsed) =>
            Progress?.Invoke(new FeatureProgress(spec.VmId, feature, index, count, stage, line, elapsed));

        private static FeatureResult With(FeatureResult b, FeatureRunStatus status, int exitCode, string output, bool truncated, bool? changed,
            TimeSpan duration, string? notRunReason = null) =>
            new FeatureResult
            {
                VmId = b.VmId,
                VmName = b.VmName,
                Feature = b.Feature,
                ScriptHash = b.ScriptHash,
                RunHash = b.RunHash,
                LogPath = b.LogPath,
                Status = status,
                ExitCode = exitCode,
                Output = output,
                OutputTruncated = truncated,
                Changed = changed,
                Duration = duration,
                NotRunReason = notRunReason,
            };

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
