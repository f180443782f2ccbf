using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;
using Phoenix.Simulator.Guest;
using Xunit;

namespace Phoenix.Engine.Tests.Features;

/// <summary>The feature runner against the in-process simulator: commands, context, state, failures, plans.</summary>
public sealed class FeatureRunnerTests
{
    // The agent wait pings first; an answer needs nothing else read.
    private static readonly string[] AgentWait =
    {
        "qm guest cmd 101 ping",
        "qm guest cmd 101 network-get-interfaces",
    };

    private const string ReadState = "qm guest exec 101 -- cat /var/lib/phoenix/features.state";

    private static string WriteLine(string path, int bytes) =>
        $"qm guest exec 101 --pass-stdin 1 -- /bin/sh -c '{GuestScripts.Write}' phoenix-write {path} <<< ({bytes} bytes on stdin)";

    private static string LaunchLine(string feature, string user = "phoenix_user") =>
        $"qm guest exec 101 -- /bin/sh -c '{GuestScripts.Launch}' phoenix-launch '{GuestScripts.Run}' " +
        $"/var/lib/phoenix/features/{feature}.log /var/lib/phoenix/features/{feature}.status " +
        // ShellQuote quotes NAME=value words (bare, a shell would take them as assignments).
        $"env 'PHOENIX_VMID=101' 'PHOENIX_VM_NAME=t1' 'PHOENIX_USERNAME={user}' 'PHOENIX_CONTEXT_FILE=/tmp/vm_context.json' " +
        $"/bin/bash /var/lib/phoenix/features/feature_install_{feature}.sh";

    private static string PollLine(string feature, long offset) =>
        $"qm guest exec 101 -- /bin/sh -c '{GuestScripts.Poll}' phoenix-poll /var/lib/phoenix/features/{feature}.log " +
            $"/var/lib/phoenix/features/{feature}.status {offset} 1048576";

    private static int ContextBytes(Phoenix.Engine.Config.VmSpec spec) => Encoding.UTF8.GetByteCount(spec.ToContextJson());

    [Fact]
    public async Task The_recording_guest_gets_the_commands_in_order_and_the_feature_is_reported_as_recorded_not_run()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hello\necho PHOENIX_CHANGED=1\n");
        var spec = FeatureTestBed.Spec("hello");
        var runner = new FeatureRunner(bed.Host, FeatureTestBed.Options());

        var results = await runner.RunAsync(spec, new[] { feature }, null, CancellationToken.None);

        var expected = AgentWait.Concat(new[]
        {
            ReadState,
            WriteLine("/tmp/vm_context.json", ContextBytes(spec)),
            WriteLine("/var/lib/phoenix/features/feature_install_hello.sh", (int)feature.Length),
            LaunchLine("hello"),
        });
        Assert.Equal(expected, bed.Connection.Lines);
        var r = Assert.Single(results);
        Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Output);
        Assert.Null(r.Changed);
        Assert.Equal(feature.Hash, r.ScriptHash);
        Assert.Equal("/var/lib/phoenix/features/hello.log", r.LogPath);

        // The simulated guest emulated the read and only recorded the rest.
        var log = bed.Simulator.GuestLog(101);
        Assert.Equal(new[] { "emulated", "recorded", "recorded", "recorded" }, log.Select(l => l.Handling));
    }

    [Fact]
    public async Task The_context_file_holds_the_spec_without_the_password_hash_and_the_script_arrives_unchanged()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo 'it''s' \"$PHOENIX_VM_NAME\"\n");
        var spec = FeatureTestBed.Spec("hello");

        await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None);

        var log = bed.Simulator.GuestLog(101);
        var contextWrite = log.Single(l => l.Command.Count == 5 && l.Command[3] == "phoenix-write" && l.Command[4] == "/tmp/vm_context.json");
        var context = Encoding.UTF8.GetString(contextWrite.Input!);
        Assert.Equal(spec.ToContextJson(), context);
        Assert.DoesNotContain("password_hash", context);
        Assert.DoesNotContain("$6$rounds", context);
        var json = JObject.Parse(context);
        Assert.Equal(101, (int)json["vmid"]!);
        Assert.Equal("phoenix_user", (string?)json["user_config"]!["username"]);
        Assert.Equal("portainer_service", (string?)json["docker_stacks"]![0]);
        Assert.Null(json["user_config"]!["password_hash"]);

        var scriptWrite = log.Single(l => l.Command.Count == 5 && l.Command[3] == "phoenix-write"
            && l.Command[4] == "/var/lib/phoenix/features/feature_install_hello.sh");
        Assert.Equal(File.ReadAllBytes(feature.Path), scriptWrite.Input);
    }

    [Fact]
    public async Task The_script_runs_with_bash_and_the_phoenix_variables_as_env_arguments()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.SpecOf(101, "it's; $(reboot)", "phoenix_user", "hello");

        await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None);

        var launch = bed.Simulator.GuestLog(101).Single(l => l.Command.Count > 3 && l.Command[3] == "phoenix-launch");
        Assert.Equal("/bin/sh", launch.Command[0]);
        Assert.Equal(GuestScripts.Launch, launch.Command[2]);
        Assert.Equal(GuestScripts.Run, launch.Command[4]);
        Assert.Equal(new[]
        {
            "/var/lib/phoenix/features/hello.log", "/var/lib/phoenix/features/hello.status",
            "env", "PHOENIX_VMID=101", "PHOENIX_VM_NAME=it's; $(reboot)", "PHOENIX_USERNAME=phoenix_user",
            "PHOENIX_CONTEXT_FILE=/tmp/vm_context.json", "/bin/bash", "/var/lib/phoenix/features/feature_install_hello.sh",
        }, launch.Command.Skip(5));
        // The value is an argument; over SSH ShellQuote keeps it one word.
        Assert.Contains("'PHOENIX_VM_NAME=it'\\''s; $(reboot)'", bed.Connection.Commands.Last().ToShellString());
    }

    [Fact]
    public async Task A_run_is_followed_poll_by_poll_streams_its_lines_and_records_its_state()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var feature = bed.AddFeature("docker", "true\n");
        var lines = new List<string> { "[docker] apt-get update", "[docker] größe ✓", "[docker] done", "PHOENIX_CHANGED=1" };
        guest.Scripts[FeatureRunner.ScriptPath("docker")] = new ScriptedRun { Lines = lines, ExitCode = 0 };
        var spec = FeatureTestBed.Spec("docker");
        var runner = new FeatureRunner(bed.Host, FeatureTestBed.Options());
        var streamed = new List<string>();
        runner.Progress += p => { if (p.Line != null) streamed.Add(p.Line); };

        var r = Assert.Single(await runner.RunAsync(spec, new[] { feature }, null, CancellationToken.None));

        Assert.Equal(FeatureRunStatus.Ran, r.Status);
        Assert.Equal(0, r.ExitCode);
        Assert.True(r.Succeeded);
        Assert.Equal(string.Concat(lines.Select(l => l + "\n")), r.Output);
        Assert.False(r.OutputTruncated);
        Assert.True(r.Changed);
        Assert.Equal(lines, streamed);

        // One line per poll: each poll asks from the bytes already read.
        var offsets = new List<long> { 0 };
        foreach (var l in lines) offsets.Add(offsets[^1] + Encoding.UTF8.GetByteCount(l + "\n"));
        var stateText = "# Phoenix: features that succeeded here, with the hash of their script and context\n" +
                        $"docker {FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec.ToContextJson())}\n";
        var expected = AgentWait.Concat(new[]
        {
            ReadState,
            WriteLine("/tmp/vm_context.json", ContextBytes(spec)),
            WriteLine("/var/lib/phoenix/features/feature_install_docker.sh", (int)feature.Length),
            LaunchLine("docker"),
        }).Concat(offsets.Take(lines.Count).Select(o => PollLine("docker", o)))
          .Append(WriteLine("/var/lib/phoenix/features.state", Encoding.UTF8.GetByteCount(stateText)));
        Assert.Equal(expected, bed.Connection.Lines);
        Assert.Equal(stateText, guest.FileText(FeatureStateFile.Path));
        Assert.Equal(r.RunHash, stateText.Split('\n')[1].Split(' ')[1]);
    }

    [Fact]
    public async Task A_second_run_reads_the_state_skips_the_feature_and_runs_no_changing_command()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var feature = bed.AddFeature("docker", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("docker")] = new ScriptedRun { Lines = { "PHOENIX_CHANGED=1" } };
        var spec = FeatureTestBed.Spec("docker");
        var logLines = new List<string>();

        var first = await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), logLines.Add, CancellationToken.None);
        Assert.Equal(new[] { "feature docker: changed" }, first.Changes);
        Assert.Equal(new[] { "feature docker: PHOENIX_CHANGED=1" }, logLines);

        bed.Connection.Clear();
        var second = await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), logLines.Add, CancellationToken.None);
        Assert.Empty(second.Changes);
        Assert.Equal(new[] { "feature docker: skipped, it already ran with this script and spec" }, second.Notes);
        Assert.Equal(AgentWait.Append(ReadState), bed.Connection.Lines);
        Assert.All(bed.Connection.Commands, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString() + " is not read-only"));
        Assert.Single(guest.Launched);
    }

    [Fact]
    public async Task Force_a_changed_script_or_a_changed_spec_runs_the_feature_again()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        bed.AddFeature("docker", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("docker")] = new ScriptedRun { Lines = { "PHOENIX_CHANGED=0" } };
        var spec = FeatureTestBed.Spec("docker");
        await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);

        var forced = await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(force: true), _ => { }, CancellationToken.None);
        Assert.Equal(new[] { "feature docker: unchanged" }, forced.Notes);
        Assert.Equal(2, guest.Launched.Count);

        bed.AddFeature("docker", "true\n# edited\n");
        await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);
        Assert.Equal(3, guest.Launched.Count);

        var otherUser = FeatureTestBed.SpecOf(101, "t1", "admin", "docker");
        await FeatureRunner.RunForVmAsync(bed.Host, otherUser, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);
        Assert.Equal(4, guest.Launched.Count);
        Assert.Equal("PHOENIX_USERNAME=admin", guest.Launched[3][3]);

        await FeatureRunner.RunForVmAsync(bed.Host, otherUser, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);
        Assert.Equal(4, guest.Launched.Count);
    }

    [Fact]
    public async Task A_state_file_written_in_the_recording_guest_makes_the_feature_skip()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.Spec("hello");
        var hash = FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec.ToContextJson());
        bed.WriteGuestFile(FeatureStateFile.Path, "# comment\nother " + new string('a', 64) + "\nhello " + hash + "\n");
        bed.Connection.Clear();

        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None));

        Assert.Equal(FeatureRunStatus.Skipped, r.Status);
        Assert.False(r.Changed);
        Assert.Equal(AgentWait.Append(ReadState), bed.Connection.Lines);
    }

    [Fact]
    public async Task A_failing_feature_is_FeatureFailed_with_its_last_20_lines_and_the_next_feature_does_not_run()
    {
        var recording = new RecordingGuestRunner();
        var output = string.Concat(Enumerable.Range(1, 25).Select(i => $"line {i}\n"));
        recording.Responses.Add(new CannedGuestResult { Pattern = @"^/bin/sh -c .* phoenix-launch .*/feature_install_fail\.sh$",
            Stdout = "phoenix-started 4321\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = @"^/bin/sh -c .* phoenix-poll /var/lib/phoenix/features/fail\.log ",
            Stdout = "phoenix-status 3\n" + output });
        using var bed = new FeatureTestBed(recording);
        var fail = bed.AddFeature("fail", "exit 3\n");
        var second = bed.AddFeature("second", "true\n");
        var spec = FeatureTestBed.Spec("fail", "second");
        var seen = new List<FeatureResult>();

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { fail, second }, seen.Add, CancellationToken.None));

        Assert.Equal("FeatureFailed", e.Reason);
        Assert.Equal(PhoenixErrorKind.RemoteCommandFailed, e.Kind);
        Assert.Equal(101, e.Target);
        Assert.Equal("fail", e.Feature);
        Assert.Equal(
            "VM 101 (t1): feature 'fail' failed with exit code 3 (package manager (apt) failure, by the convention of the bundled features). " +
            "Not run after it: second. Last 20 lines of its output:\n" +
            string.Join("\n", Enumerable.Range(6, 20).Select(i => $"line {i}")),
            e.Message);
        Assert.Equal("Read the whole log with: qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/fail.log. Fix the cause, then run the " +
            "feature again (Invoke-PhoenixFeature -VmId 101 -Name fail).",
            e.RecommendedAction);
        Assert.Equal(3, e.Result!.ExitCode);
        Assert.Equal(output, e.Result.Output);
        Assert.Equal("package manager (apt) failure", e.Result.ExitCodeMeaning);
        Assert.Empty(seen);

        var log = bed.Simulator.GuestLog(101);
        Assert.DoesNotContain(log, l => l.Command.Any(a => a.Contains("second")));
        Assert.DoesNotContain(log, l => l.Command.Contains(FeatureStateFile.Path) && l.Command.Contains("phoenix-write"));
        Assert.Equal(PollLine("fail", 0), bed.Connection.Lines.Last());
    }

    [Fact]
    public async Task A_failure_with_little_output_says_so_and_an_unknown_code_has_no_meaning()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-launch", Stdout = "phoenix-started 1\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll", Stdout = "phoenix-status 42\n" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("quiet", "exit 42\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("quiet"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("VM 101 (t1): feature 'quiet' failed with exit code 42. It printed nothing.", e.Message);
    }

    [Fact]
    public async Task A_feature_still_running_at_the_timeout_is_left_running_and_the_error_says_how_to_read_its_log()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-launch", Stdout = "phoenix-started 77\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll", Stdout = "phoenix-status running\n" });
        using var bed = new FeatureTestBed(recording);
        var slow = bed.AddFeature("slow", "sleep 3600\n");
        var next = bed.AddFeature("next", "true\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options(timeout: TimeSpan.FromMilliseconds(300)))
                .RunAsync(FeatureTestBed.Spec("slow", "next"), new[] { slow, next }, null, CancellationToken.None));

        Assert.Equal("FeatureTimeout", e.Reason);
        Assert.Equal(PhoenixErrorKind.OperationTimeout, e.Kind);
        Assert.Equal(
            "VM 101 (t1): feature 'slow' is still running in the guest after 0.3 s. Phoenix stopped following it but did not stop it, " +
            "and runs no later feature of this VM. Look at its log with: qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/slow.log",
            e.Message);
        Assert.Equal("When it has ended, its exit code is in /var/lib/phoenix/features/slow.status. If it only needs more time, run it again with " +
            "a longer -TimeoutSec once it has ended.",
            e.RecommendedAction);
        // Nothing was killed: no command after the polls but polls.
        var afterLaunch = bed.Connection.Lines.SkipWhile(l => !l.Contains("phoenix-launch")).Skip(1).ToList();
        Assert.NotEmpty(afterLaunch);
        Assert.All(afterLaunch, l => Assert.Equal(PollLine("slow", 0), l));
        Assert.DoesNotContain(bed.Simulator.GuestLog(101), l => l.Command.Any(a => a.Contains("feature_install_next.sh")));
    }

    [Fact]
    public async Task A_start_refused_because_the_feature_still_runs_is_FeatureStillRunning()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-launch", ExitCode = 75, Stdout = "phoenix-busy 1234\n" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("slow", "sleep 1\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("slow"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureStillRunning", e.Reason);
        Assert.Equal("VM 101 (t1): feature 'slow' is still running in the guest from an earlier start (pid 1234); Phoenix does not start it twice. " +
                     "Look at its log with: qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/slow.log", e.Message);
    }

    [Fact]
    public async Task A_runner_that_died_without_a_status_is_FeatureAborted()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-launch", Stdout = "phoenix-started 5\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll", Stdout = "phoenix-status gone\nhalf a line" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("x", "true\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("x"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureAborted", e.Reason);
        Assert.StartsWith("VM 101 (t1): feature 'x' stopped without writing its exit code (the guest rebooted or its process was killed).", e.Message);
    }

    [Fact]
    public async Task A_script_over_1_MiB_is_refused_before_anything_is_sent_and_1_MiB_exactly_goes()
    {
        using var bed = new FeatureTestBed();
        var small = bed.AddFeature("small", "true\n");
        var big = bed.AddFeature("big", "#" + new string('x', FeatureContract.MaxDeliveryBytes - 70) + "\n");
        var padding = FeatureContract.MaxDeliveryBytes + 1 - (int)new FileInfo(big.Path).Length;
        File.AppendAllText(big.Path, new string('y', padding - 1) + "\n");
        big = bed.Catalog.Resolve("big");
        Assert.Equal(FeatureContract.MaxDeliveryBytes + 1, big.Length);

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("small",
                "big"), new[] { small, big }, null, CancellationToken.None));

        Assert.Equal("FeatureTooLarge", e.Reason);
        Assert.Equal($"VM 101 (t1): feature 'big' ({big.Path}) is 1048577 bytes; Phoenix sends scripts with qm guest exec --pass-stdin, which " +
            $"carries at most 1 MiB (1048576 bytes). Nothing was sent.",
            e.Message);
        Assert.Empty(bed.Connection.Lines);

        File.WriteAllText(big.Path, "#!/bin/bash\n" + new string('#', FeatureContract.MaxDeliveryBytes - 13) + "\n");
        big = bed.Catalog.Resolve("big");
        Assert.Equal(FeatureContract.MaxDeliveryBytes, big.Length);
        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("big"), new[] { big }, null,
            CancellationToken.None));
        Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status);
        Assert.Contains(WriteLine("/var/lib/phoenix/features/feature_install_big.sh", FeatureContract.MaxDeliveryBytes), bed.Connection.Lines);
    }

    [Fact]
    public async Task A_guest_agent_that_does_not_answer_gives_the_wait_error_and_nothing_is_sent()
    {
        using var bed = new FeatureTestBed(start: false);
        var f = bed.AddFeature("hello", "true\n");
        var options = FeatureTestBed.Options();
        options.AgentTimeout = TimeSpan.FromMilliseconds(200);

        var e = await Assert.ThrowsAsync<PhoenixException>(() =>
            new FeatureRunner(bed.Host, options).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("AgentTimeout", e.Reason);
        Assert.Equal("VM 101 (t1) is stopped, so its guest agent cannot answer (waited 0 s). Start it with Start-PhoenixVm -VmId 101.", e.Message);
        Assert.DoesNotContain(bed.Connection.Lines, l => l.StartsWith("qm guest exec", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_WhatIf_nothing_runs_and_the_plan_lists_the_exact_guest_exec_commands()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.Spec("hello");
        using var recorder = new PlanRecorder(bed.Connection);
        var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        var outcome = await FeatureRunner.RunForVmAsync(host, spec, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);

        var stateText = "# Phoenix: features that succeeded here, with the hash of their script and context\n" +
                        $"hello {FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec.ToContextJson())}\n";
        Assert.Equal(new[]
        {
            WriteLine("/tmp/vm_context.json", ContextBytes(spec)),
            WriteLine("/var/lib/phoenix/features/feature_install_hello.sh", (int)feature.Length),
            LaunchLine("hello"),
            WriteLine("/var/lib/phoenix/features.state", Encoding.UTF8.GetByteCount(stateText)),
        }, recorder.Commands);
        Assert.Equal(new[] { "feature hello: would run" }, outcome.Changes);
        // Only reads reached the node: the status, the agent ping and the state file.
        Assert.Equal(new[] { "qm status 101", "qm guest cmd 101 ping", ReadState }, bed.Connection.Lines);
        Assert.Equal(new[] { "cat" }, bed.Simulator.GuestLog(101).Select(l => l.Command[0]));
    }

    [Fact]
    public async Task A_plan_for_a_VM_that_does_not_exist_yet_lists_every_feature()
    {
        using var bed = new FeatureTestBed();
        bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.SpecOf(555, "t1", "phoenix_user", "hello");
        using var recorder = new PlanRecorder(bed.Connection);

        var outcome = await FeatureRunner.RunForVmAsync(new ProxmoxHost(recorder, RetryPolicy.NoRetry), spec, bed.Catalog, FeatureTestBed.Options(),
            _ => { }, CancellationToken.None);

        Assert.Equal(new[] { "feature hello: would run" }, outcome.Changes);
        Assert.Equal(4, recorder.Commands.Count);
        Assert.All(recorder.Commands, c => Assert.StartsWith("qm guest exec 555 ", c));
        Assert.Equal(new[] { "qm status 555" }, bed.Connection.Lines);
    }

    [Fact]
    public void The_simulator_says_its_recording_guest_runs_no_commands_and_a_plugged_in_guest_does()
    {
        using var recording = new FeatureTestBed();
        Assert.False(recording.Host.Connection.Capabilities.GuestCommandsRun);
        Assert.Equal("the in-process simulator runs no guest commands", recording.Host.Connection.Capabilities.GuestCommandsNote);
        using var running = new FeatureTestBed(new FeatureGuest());
        Assert.True(running.Host.Connection.Capabilities.GuestCommandsRun);
        Assert.Null(running.Host.Connection.Capabilities.GuestCommandsNote);
    }

    [Fact]
    public async Task RecordedNotRun_comes_from_the_connections_capability_not_from_the_guests_answer()
    {
        // The same recording guest behind a connection that claims guest commands run: its answer to the
        // start (exit code 0, no launcher output) is then a failed start, not "recorded".
        using var bed = new FeatureTestBed();
        bed.Connection.ClaimedCapabilities = HostCapabilities.Full;
        var f = bed.AddFeature("hello", "echo hi\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureLaunchFailed", e.Reason);
        Assert.StartsWith("VM 101 (t1): feature 'hello' could not be started in the guest (exit code 0): ", e.Message);

        // And a connection that says its guests run nothing, with its own words for why.
        bed.Connection.ClaimedCapabilities = HostCapabilities.WithoutGuestCommands("this test's guest only listens");
        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null,
            CancellationToken.None));
        Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status);
        Assert.Equal("this test's guest only listens", r.NotRunReason);
        Assert.Equal("VM 101 (t1): the guest recorded feature 'hello' without running it (this test's guest only listens), so its exit code 0 says " +
            "nothing about the script.",
            FeatureRunner.NotRunWarning(r));
    }

    [Fact]
    public async Task RunForVmAsync_warns_that_the_simulated_guest_did_not_run_the_feature()
    {
        using var bed = new FeatureTestBed();
        bed.AddFeature("hello", "echo hi\n");

        var outcome = await FeatureRunner.RunForVmAsync(bed.Host, FeatureTestBed.Spec("hello"), bed.Catalog, FeatureTestBed.Options(), _ => { },
            CancellationToken.None);

        Assert.Empty(outcome.Changes);
        Assert.Equal(new[] { "feature hello: recorded by the guest, not run" }, outcome.Notes);
        Assert.Equal(new[]
        {
            "VM 101 (t1): the guest recorded feature 'hello' without running it (the in-process simulator runs no guest commands), so its exit " +
                "code 0 says nothing about the script.",
        }, outcome.Warnings);
    }

    [Fact]
    public async Task RunForVmAsync_with_an_unknown_feature_sends_nothing_and_names_the_known_ones()
    {
        using var bed = new FeatureTestBed();
        bed.AddFeature("hello", "echo hi\n");

        var e = await Assert.ThrowsAsync<PhoenixException>(() =>
            FeatureRunner.RunForVmAsync(bed.Host, FeatureTestBed.Spec("hello",
                "nope"), bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None));

        Assert.Equal("FeatureNotFound", e.Reason);
        Assert.StartsWith("Feature 'nope' was not found. Known features: hello.", e.Message);
        Assert.Empty(bed.Connection.Lines);
    }

    [Fact]
    public async Task Output_beyond_the_limit_keeps_the_end_from_a_line_start_and_is_flagged()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var f = bed.AddFeature("chatty", "true\n");
        var lines = Enumerable.Range(1, 40).Select(i => $"line {i:00}").Append("PHOENIX_CHANGED=0").ToList();
        guest.Scripts[FeatureRunner.ScriptPath("chatty")] = new ScriptedRun { Lines = lines, LinesPerPoll = 7 };
        var options = FeatureTestBed.Options();
        options.MaxOutputBytes = 100;

        var r = Assert.Single(await new FeatureRunner(bed.Host, options).RunAsync(FeatureTestBed.Spec("chatty"), new[] { f }, null, CancellationToken.None));

        Assert.True(r.OutputTruncated);
        Assert.Equal(string.Concat(lines.Skip(30).Select(l => l + "\n")), r.Output);
        Assert.False(r.Changed);
        Assert.Equal(6, guest.RunOf("chatty").Polls);
    }

    [Fact]
    public void The_log_command_is_the_one_the_errors_quote()
    {
        Assert.Equal("qm guest exec 101 -- tail -n 50 /var/lib/phoenix/features/docker.log", FeatureRunner.LogCommand(101, "docker"));
        Assert.Equal("/var/lib/phoenix/features/feature_install_docker.sh", FeatureRunner.ScriptPath("docker"));
        Assert.Equal("/var/lib/phoenix/features/docker.status", FeatureRunner.StatusPath("docker"));
        Assert.Matches(new Regex("^[0-9a-f]{64}$"), FeatureStateFile.RunHash(new byte[] { 1 }, "{}"));
        Assert.NotEqual(FeatureStateFile.RunHash(new byte[] { 1 }, "{}"), FeatureStateFile.RunHash(new byte[] { 1 }, "{ }"));
    }
}
