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
    private const string Folder = "/var/lib/phoenix/features";
    private const string State = "/var/lib/phoenix/features.state";

    // The first look at the guest: the state of the features, at once, no logs. It answers at once, so it is started with
    // --synchronous 0 (qm answers with its pid) and its answer asked for with exec-status.
    private static string LookLine(params string[] features) =>
        $"qm guest exec 101 --synchronous 0 -- /bin/sh -c '{GuestScripts.Poll}' phoenix-poll {Folder} {State} 0 1048576 " +
        string.Join(" ", features.Select(f => f + " -1"));

    private static string StatusLine(long pid) => $"qm guest exec-status 101 {pid}";

    // The look and the exec-status that takes its answer (the guest gave it `pid`).
    private static string[] LookLines(long pid, params string[] features) => new[] { LookLine(features), StatusLine(pid) };

    // A follow poll: waits up to one tick (the test options' 10 ms), with the log offsets.
    private static string PollLine(params (string Feature, long Offset)[] features) =>
        $"qm guest exec 101 -- /bin/sh -c '{GuestScripts.Poll}' phoenix-poll {Folder} {State} 1 1048576 " +
        string.Join(" ", features.Select(f => f.Feature + " " + f.Offset));

    // The start: context and scripts on stdin, the features as `name run-hash bytes` lines, the time limit, the first poll's
    // wait (one tick: the test options' 10 ms) and log bytes, the environment.
    private static string StartLine(Phoenix.Engine.Config.VmSpec spec, int limit, params FeatureInfo[] features)
    {
        var context = spec.ToContextJson();
        var list = string.Concat(features.Select(f =>
            $"{f.Name} {FeatureStateFile.RunHash(File.ReadAllBytes(f.Path), context)} {f.Length},"));
        var bytes = Encoding.UTF8.GetByteCount(context) + features.Sum(f => (int)f.Length);
        return $"qm guest exec 101 --pass-stdin 1 -- /bin/sh -c '{GuestScripts.Start}' phoenix-start '{GuestScripts.Run}' {Folder} {State} " +
            $"/tmp/vm_context.json {Encoding.UTF8.GetByteCount(context)} '{list}' {limit} 1 1048576 " +
            // ShellQuote quotes NAME=value words (bare, a shell would take them as assignments).
            $"env 'PHOENIX_VMID=101' 'PHOENIX_VM_NAME={spec.Name}' 'PHOENIX_USERNAME={spec.UserConfig?.Username}' " +
            $"'PHOENIX_CONTEXT_FILE=/tmp/vm_context.json' <<< ({bytes} bytes on stdin)";
    }

    private static int ContextBytes(Phoenix.Engine.Config.VmSpec spec) => Encoding.UTF8.GetByteCount(spec.ToContextJson());

    [Fact]
    public async Task The_recording_guest_gets_one_look_and_one_start_and_the_feature_is_reported_as_recorded_not_run()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hello\necho PHOENIX_CHANGED=1\n");
        var spec = FeatureTestBed.Spec("hello");
        var runner = new FeatureRunner(bed.Host, FeatureTestBed.Options());

        var results = await runner.RunAsync(spec, new[] { feature }, null, CancellationToken.None);

        // The agent answers, so it is not waited for: the look at the guest is the first command.
        Assert.Equal(LookLines(1102, "hello").Append(StartLine(spec, 20, feature)), bed.Connection.Lines);
        var r = Assert.Single(results);
        Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Output);
        Assert.Null(r.Changed);
        Assert.Equal(feature.Hash, r.ScriptHash);
        Assert.Equal("/var/lib/phoenix/features/hello.log", r.LogPath);
        Assert.True(CommandIntent.IsReadOnly(bed.Connection.Commands[0]));
        Assert.True(CommandIntent.IsReadOnly(bed.Connection.Commands[1]));
        Assert.False(CommandIntent.IsReadOnly(bed.Connection.Commands[2]));
        Assert.Equal($"in the guest: write /tmp/vm_context.json ({ContextBytes(spec)} bytes), run feature hello ({feature.Length} bytes), follow its log",
            bed.Connection.Commands[2].Description);

        // The simulated guest only recorded both.
        var log = bed.Simulator.GuestLog(101);
        Assert.Equal(new[] { "recorded", "recorded" }, log.Select(l => l.Handling));
    }

    [Fact]
    public async Task The_context_file_holds_the_spec_without_the_password_hash_and_the_scripts_arrive_unchanged_in_one_start()
    {
        using var bed = new FeatureTestBed();
        var hello = bed.AddFeature("hello", "echo 'it''s' \"$PHOENIX_VM_NAME\"\n");
        var second = bed.AddFeature("second", "echo two\n");
        var spec = FeatureTestBed.Spec("hello", "second");

        await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { hello, second }, null, CancellationToken.None);

        var start = Assert.Single(bed.Simulator.GuestLog(101), l => l.Command.Count > 3 && l.Command[3] == "phoenix-start");
        var input = start.Input!;
        var contextLength = int.Parse(start.Command[8]);
        Assert.Equal("/tmp/vm_context.json", start.Command[7]);
        var context = Encoding.UTF8.GetString(input, 0, contextLength);
        Assert.Equal(spec.ToContextJson(), context);
        Assert.DoesNotContain("password_hash", context);
        Assert.DoesNotContain("$6$rounds", context);
        var json = JObject.Parse(context);
        Assert.Equal(101, (int)json["vmid"]!);
        Assert.Equal("phoenix_user", (string?)json["user_config"]!["username"]);
        Assert.Equal("portainer_service", (string?)json["docker_stacks"]![0]);
        Assert.Null(json["user_config"]!["password_hash"]);
        Assert.Equal(File.ReadAllBytes(hello.Path).Concat(File.ReadAllBytes(second.Path)), input.Skip(contextLength));
        Assert.Equal($"hello {FeatureStateFile.RunHash(File.ReadAllBytes(hello.Path), context)} {hello.Length}," +
                     $"second {FeatureStateFile.RunHash(File.ReadAllBytes(second.Path), context)} {second.Length},", start.Command[9]);
    }

    [Fact]
    public async Task The_scripts_run_with_bash_and_the_phoenix_variables_as_env_arguments()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.SpecOf(101, "it's; $(reboot)", "phoenix_user", "hello");

        await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None);

        var start = guest.Calls.Single(c => c.Argv.Count > 3 && c.Argv[3] == "phoenix-start").Argv;
        Assert.Equal("/bin/sh", start[0]);
        Assert.Equal(GuestScripts.Start, start[2]);
        Assert.Equal(GuestScripts.Run, start[4]);
        Assert.Equal(new[] { "env", "PHOENIX_VMID=101", "PHOENIX_VM_NAME=it's; $(reboot)", "PHOENIX_USERNAME=phoenix_user",
            "PHOENIX_CONTEXT_FILE=/tmp/vm_context.json" }, start.Skip(13));
        Assert.Equal(new[] { "env", "PHOENIX_VMID=101", "PHOENIX_VM_NAME=it's; $(reboot)", "PHOENIX_USERNAME=phoenix_user",
            "PHOENIX_CONTEXT_FILE=/tmp/vm_context.json", "/bin/bash", "/var/lib/phoenix/features/feature_install_hello.sh" },
            Assert.Single(guest.Launched));
        Assert.Equal(FeatureRunner.FeatureCommand(spec, "hello"), guest.Launched[0]);
        // The value is an argument; over SSH ShellQuote keeps it one word.
        Assert.Contains("'PHOENIX_VM_NAME=it'\\''s; $(reboot)'",
            bed.Connection.Commands.Single(c => c.ToDisplayString().Contains("phoenix-start")).ToShellString());
    }

    [Fact]
    public async Task A_run_is_followed_poll_by_poll_streams_its_lines_and_the_guest_records_its_state()
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

        // One line per poll: the start's answer is the first (the log from its start), each poll after it asks from the
        // bytes already read. Phoenix writes no state: the guest did.
        var offsets = new List<long> { 0 };
        foreach (var l in lines) offsets.Add(offsets[^1] + Encoding.UTF8.GetByteCount(l + "\n"));
        var expected = LookLines(4001, "docker").Append(StartLine(spec, 20, feature))
            .Concat(offsets.Skip(1).Take(lines.Count - 1).Select(o => PollLine(("docker", o))));
        Assert.Equal(expected, bed.Connection.Lines);
        Assert.Equal(r.RunHash, guest.Recorded("docker"));
        Assert.Equal(FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec.ToContextJson()), r.RunHash);
    }

    [Fact]
    public async Task Two_features_go_in_one_start_and_are_followed_together_in_order()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var one = bed.AddFeature("one", "true\n");
        var two = bed.AddFeature("two", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("one")] = new ScriptedRun { Lines = { "PHOENIX_CHANGED=1" } };
        guest.Scripts[FeatureRunner.ScriptPath("two")] = new ScriptedRun { Lines = { "PHOENIX_CHANGED=0" } };
        var spec = FeatureTestBed.Spec("one", "two");
        var seen = new List<string>();

        var results = await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { one, two },
            r => seen.Add(r.Feature + ":" + r.Changed), CancellationToken.None);

        Assert.Equal(new[] { "one:True", "two:False" }, seen);
        Assert.All(results, r => Assert.Equal(FeatureRunStatus.Ran, r.Status));
        Assert.Equal(LookLines(4001, "one", "two").Concat(new[]
        {
            // The start's answer brings one's end and its line; one poll follows two.
            StartLine(spec, 20, one, two),
            PollLine(("one", 18), ("two", 0)),
        }), bed.Connection.Lines);
    }

    [Fact]
    public async Task A_second_run_reads_the_state_once_skips_the_feature_and_runs_no_changing_command()
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
        Assert.Equal(LookLines(4003, "docker"), bed.Connection.Lines);
        Assert.All(bed.Connection.Commands, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString() + " is not read-only"));
        Assert.Single(guest.Launched);

        // A look the guest has not ended by the first exec-status is asked for again (after short waits) until it has, with reads only.
        bed.Connection.Clear();
        guest.NotEndedAnswers = 2;
        var third = await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), logLines.Add, CancellationToken.None);
        Assert.Empty(third.Changes);
        Assert.Equal(second.Notes, third.Notes);
        Assert.Equal(2, guest.NotEndedAnswered);
        Assert.Equal(new[] { LookLine("docker"), StatusLine(4004), StatusLine(4004), StatusLine(4004) }, bed.Connection.Lines);
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
    public async Task Only_the_features_not_done_are_started_and_the_results_keep_the_config_order()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var a = bed.AddFeature("a", "true\n");
        var b = bed.AddFeature("b", "true\n");
        var c = bed.AddFeature("c", "true\n");
        var spec = FeatureTestBed.Spec("a", "b", "c");
        guest.Record("a", FeatureStateFile.RunHash(File.ReadAllBytes(a.Path), spec.ToContextJson()));
        guest.Record("c", FeatureStateFile.RunHash(File.ReadAllBytes(c.Path), spec.ToContextJson()));
        var seen = new List<string>();

        await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { a, b, c }, r => seen.Add($"{r.Feature}:{r.Status}"),
            CancellationToken.None);

        Assert.Equal(new[] { "a:Skipped", "b:Ran", "c:Skipped" }, seen);
        Assert.Equal(StartLine(spec, 20, b), bed.Connection.Lines[2]);
        Assert.Equal(FeatureRunner.ScriptPath("b"), Assert.Single(guest.Launched)[^1]);
    }

    [Fact]
    public async Task A_state_the_guest_reports_makes_the_feature_skip()
    {
        var recording = new RecordingGuestRunner();
        using var bed = new FeatureTestBed(recording);
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.Spec("hello");
        var hash = FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec.ToContextJson());
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll", Stdout = $"phoenix-poll 0\nphoenix-state hello {hash} 0 {hash}\n" });

        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None));

        Assert.Equal(FeatureRunStatus.Skipped, r.Status);
        Assert.False(r.Changed);
        Assert.Equal(LookLines(1102, "hello"), bed.Connection.Lines);
    }

    [Fact]
    public async Task A_feature_still_running_from_an_earlier_start_is_followed_to_its_end_and_not_started_again()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var slow = bed.AddFeature("slow", "true\n");
        var next = bed.AddFeature("next", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("slow")] = new ScriptedRun { Lines = { "one", "two", "three", "PHOENIX_CHANGED=1" } };
        guest.Scripts[FeatureRunner.ScriptPath("next")] = new ScriptedRun { Lines = { "next" } };
        var spec = FeatureTestBed.Spec("slow", "next");
        // An earlier deploy started both and was cut off (here: it stopped following at its timeout, the guest paused so
        // that nothing ends before it).
        guest.Paused = true;
        var cut = await Assert.ThrowsAsync<FeatureException>(() => new FeatureRunner(bed.Host, FeatureTestBed.Options(timeout: TimeSpan.FromMilliseconds(1)))
            .RunAsync(spec, new[] { slow, next }, null, CancellationToken.None));
        Assert.Equal("FeatureTimeout", cut.Reason);
        guest.Paused = false;
        Assert.Equal(2, guest.Launched.Count);
        bed.Connection.Clear();
        var streamed = new List<string>();
        var runner = new FeatureRunner(bed.Host, FeatureTestBed.Options());
        runner.Progress += p => { if (p.Line != null) streamed.Add(p.Feature + ": " + p.Line); };

        var results = await runner.RunAsync(spec, new[] { slow, next }, null, CancellationToken.None);

        Assert.Equal(new[] { FeatureRunStatus.Ran, FeatureRunStatus.Ran }, results.Select(r => r.Status));
        Assert.Equal("one\ntwo\nthree\nPHOENIX_CHANGED=1\n", results[0].Output);
        Assert.True(results[0].Changed);
        Assert.Equal(new[] { "slow: one", "slow: two", "slow: three", "slow: PHOENIX_CHANGED=1", "next: next" }, streamed);
        Assert.Equal(2, guest.Launched.Count);
        Assert.DoesNotContain(bed.Connection.Lines, l => l.Contains("phoenix-start"));
        Assert.Equal(LookLine("slow", "next"), bed.Connection.Lines[0]);
        Assert.StartsWith("qm guest exec-status 101 ", bed.Connection.Lines[1]);
        Assert.Equal(PollLine(("slow", 0), ("next", 0)), bed.Connection.Lines[2]);
    }

    [Fact]
    public async Task A_feature_an_earlier_start_finished_before_the_look_is_not_run_again_while_the_next_one_is_followed()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var quick = bed.AddFeature("quick", "true\n");
        var slow = bed.AddFeature("slow", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("quick")] = new ScriptedRun { Lines = { "quick" } };
        guest.Scripts[FeatureRunner.ScriptPath("slow")] = new ScriptedRun { Lines = Enumerable.Range(1, 40).Select(i => $"line {i}").ToList() };
        var spec = FeatureTestBed.Spec("quick", "slow");
        // An earlier deploy started both and was cut off once `quick` had succeeded (recorded) and `slow` had begun.
        await Assert.ThrowsAsync<FeatureException>(() => new FeatureRunner(bed.Host, FeatureTestBed.Options(timeout: TimeSpan.FromMilliseconds(1)))
            .RunAsync(spec, new[] { quick, slow }, null, CancellationToken.None));
        var hash = FeatureStateFile.RunHash(File.ReadAllBytes(quick.Path), spec.ToContextJson());
        Assert.Equal(hash, guest.Recorded("quick"));
        Assert.Null(guest.Recorded("slow"));
        bed.Connection.Clear();

        var results = await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { quick, slow }, null, CancellationToken.None);

        // `slow` is followed to its end; `quick`, done with this script and context, is not started a second time.
        Assert.Equal(new[] { FeatureRunStatus.Skipped, FeatureRunStatus.Ran }, results.Select(r => r.Status));
        Assert.Equal(2, guest.Launched.Count);
        Assert.DoesNotContain(bed.Connection.Lines, l => l.Contains("phoenix-start"));
        Assert.Equal(LookLine("quick", "slow"), bed.Connection.Lines[0]);
        Assert.StartsWith("qm guest exec-status 101 ", bed.Connection.Lines[1]);
        Assert.Equal(PollLine(("slow", 0)), bed.Connection.Lines[2]);
        Assert.Equal(hash, guest.Recorded("quick"));
        Assert.Equal(results[1].RunHash, guest.Recorded("slow"));
    }

    [Fact]
    public async Task A_feature_that_names_its_context_fields_runs_again_when_one_of_them_changes_and_not_when_the_memory_does()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var tz = bed.AddFeature("tz", "# Context: timezone\ntrue\n");
        var whole = bed.AddFeature("whole", "true\n");
        static Phoenix.Engine.Config.VmSpec Spec(int memory, string timezone, string user = "phoenix_user")
        {
            var s = FeatureTestBed.SpecOf(FeatureTestBed.VmId, "t1", user, "tz", "whole");
            return new Phoenix.Engine.Config.VmSpec
            {
                VmId = s.VmId, Name = s.Name, Features = s.Features, UserConfig = s.UserConfig, MemoryMb = memory,
                Extra = new JObject { ["timezone"] = timezone },
            };
        }
        async Task<string> Deploy(Phoenix.Engine.Config.VmSpec spec) =>
            string.Join(" ", (await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { tz, whole }, null, CancellationToken.None))
                .Select(r => $"{r.Feature}:{r.Status}"));

        Assert.Equal("tz:Ran whole:Ran", await Deploy(Spec(4096, "UTC")));
        // A new memory size: not what `tz` reads, so it stays done; `whole` names no fields, so any change to the spec runs it.
        Assert.Equal("tz:Skipped whole:Ran", await Deploy(Spec(8192, "UTC")));
        Assert.Equal("tz:Skipped whole:Skipped", await Deploy(Spec(8192, "UTC")));
        // What `tz` receives changes: the field it reads, or its environment (the user name).
        Assert.Equal("tz:Ran whole:Ran", await Deploy(Spec(8192, "Europe/Berlin")));
        Assert.Equal("tz:Ran whole:Ran", await Deploy(Spec(8192, "Europe/Berlin", "someone")));
        Assert.Equal(7, guest.Launched.Count);
    }

    [Theory]
    [InlineData("# Context: timezone", true)]
    [InlineData("# context:   timezone,user_config.username", true)]
    [InlineData("# Context: none", true)]
    [InlineData("# Context: time/zone", false)]
    [InlineData("# Context:", false)]
    [InlineData("true\n# Context: timezone", false)]
    [InlineData("", false)]
    public void A_memory_change_leaves_the_run_hash_as_it_is_only_for_a_script_whose_header_names_its_context_fields(string header, bool declared)
    {
        var script = Encoding.UTF8.GetBytes("#!/usr/bin/env bash\n" + header + "\necho hi\n");
        static Phoenix.Engine.Config.VmSpec Spec(int memory) => new() { VmId = 101, Name = "t1", MemoryMb = memory, Features = new[] { "x" } };

        Assert.Equal(declared, FeatureStateFile.RunHash(script, Spec(1024)) == FeatureStateFile.RunHash(script, Spec(2048)));
        if (!declared) Assert.Equal(FeatureStateFile.RunHash(script, Spec(1024).ToContextJson()), FeatureStateFile.RunHash(script, Spec(1024)));
    }

    [Fact]
    public async Task A_feature_from_an_earlier_start_that_fails_is_this_runs_failure()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var slow = bed.AddFeature("slow", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("slow")] = new ScriptedRun { Lines = { "one", "two", "broken" }, ExitCode = 5 };
        var spec = FeatureTestBed.Spec("slow");
        // The first run times out while the script still runs: the guest is paused, else a fast machine may see the
        // script's three lines and its exit within the 1 ms (FeatureFailed already then).
        guest.Paused = true;
        var first = await Assert.ThrowsAsync<FeatureException>(() => new FeatureRunner(bed.Host, FeatureTestBed.Options(timeout: TimeSpan.FromMilliseconds(1)))
            .RunAsync(spec, new[] { slow }, null, CancellationToken.None));
        Assert.Equal("FeatureTimeout", first.Reason);
        guest.Paused = false;

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { slow }, null, CancellationToken.None));

        Assert.Equal("FeatureFailed", e.Reason);
        Assert.StartsWith("VM 101 (t1): feature 'slow' failed with exit code 5", e.Message);
        Assert.EndsWith("\none\ntwo\nbroken", e.Message);
        Assert.Single(guest.Launched);
    }

    [Fact]
    public async Task A_feature_from_an_earlier_start_with_another_script_is_followed_to_its_end_then_started_anew()
    {
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var slow = bed.AddFeature("slow", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("slow")] = new ScriptedRun { Lines = { "one", "two", "three" } };
        guest.Paused = true;
        var cut = await Assert.ThrowsAsync<FeatureException>(() => new FeatureRunner(bed.Host, FeatureTestBed.Options(timeout: TimeSpan.FromMilliseconds(1)))
            .RunAsync(FeatureTestBed.Spec("slow"), new[] { slow }, null, CancellationToken.None));
        Assert.Equal("FeatureTimeout", cut.Reason);
        guest.Paused = false;
        slow = bed.AddFeature("slow", "true\n# edited\n");

        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("slow"), new[] { slow }, null,
            CancellationToken.None));

        Assert.Equal(FeatureRunStatus.Ran, r.Status);
        Assert.Equal(2, guest.Launched.Count);
        Assert.Equal(r.RunHash, guest.Recorded("slow"));
    }

    [Fact]
    public async Task A_failing_feature_is_FeatureFailed_with_its_last_20_lines_and_the_next_feature_is_not_reported()
    {
        var recording = new RecordingGuestRunner();
        var output = string.Concat(Enumerable.Range(1, 25).Select(i => $"line {i}\n"));
        recording.Responses.Add(new CannedGuestResult { Pattern = @"^/bin/sh -c .* phoenix-start ", Stdout = "phoenix-started 4321\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = @"^/bin/sh -c .* phoenix-poll .* fail 0 ",
            Stdout = $"phoenix-poll 0\nphoenix-state fail - 3 -\nphoenix-state second - none -\nphoenix-log fail {output.Length}\n" + output });
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
        Assert.Equal(PollLine(("fail", 0), ("second", 0)), bed.Connection.Lines.Last());
        Assert.Equal(4, bed.Connection.Lines.Count);
    }

    [Fact]
    public async Task A_failure_with_little_output_says_so_and_an_unknown_code_has_no_meaning()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", Stdout = "phoenix-started 1\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll .* quiet 0", Stdout = "phoenix-poll 0\nphoenix-state quiet - 42 -\n" });
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
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", Stdout = "phoenix-started 77\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll .* slow 0",
            Stdout = "phoenix-poll 1\nphoenix-state slow - running -\nphoenix-state next - running -\n" });
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
        // The guest's run is told the same limit (whole seconds), so it starts no later feature after one that outlasted it.
        Assert.Equal("1", bed.Simulator.GuestLog(101).Single(l => l.Command.Contains("phoenix-start")).Command[10]);
        // Nothing was killed: no command after the start but polls (and the exec-status of one that no longer waited in the guest).
        var afterStart = bed.Connection.Lines.SkipWhile(l => !l.Contains("phoenix-start")).Skip(1)
            .Where(l => !l.StartsWith("qm guest exec-status 101 ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(afterStart);
        Assert.All(afterStart, l => Assert.Contains(" phoenix-poll ", l));
        Assert.All(afterStart, l => Assert.EndsWith(" slow 0 next 0", l));
    }

    [Fact]
    public async Task A_run_that_began_after_the_look_is_followed_to_its_end_instead_of_refusing_the_start()
    {
        // A deploy cut off while its start was on its way: qm had the scripts and started the run without its client, after
        // the re-run had looked and found nothing running. The re-run's start is refused (a run is alive); it looks again,
        // follows that run to its end and takes its result, and starts nothing itself.
        var guest = new FeatureGuest();
        using var bed = new FeatureTestBed(guest);
        var feature = bed.AddFeature("slow", "true\n");
        guest.Scripts[FeatureRunner.ScriptPath("slow")] = new ScriptedRun { Lines = { "one", "two", "three", "PHOENIX_CHANGED=1" } };
        var spec = FeatureTestBed.Spec("slow");
        var look = await FeatureRunner.LookAheadAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), CancellationToken.None);
        Assert.NotNull(look);

        // The cut-off deploy: its start reaches the guest, and its client is gone before it follows anything.
        var cut = new ProxmoxHost(new CloudInit.RecordingConnection(new Phoenix.Simulator.SimulatorConnection(bed.Simulator))
        {
            Answering = line => line.Contains(" phoenix-start ") ? throw new OperationCanceledException("the client was killed") : Task.CompletedTask,
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new FeatureRunner(cut, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None));
        Assert.Single(guest.Launched);

        bed.Connection.Clear();
        var logLines = new List<string>();
        var outcome = await FeatureRunner.RunForVmAsync(bed.Host, spec, bed.Catalog, FeatureTestBed.Options(), logLines.Add, CancellationToken.None,
            lookAhead: look);

        Assert.Equal(new[] { "feature slow: changed" }, outcome.Changes);
        Assert.Single(guest.Launched);
        Assert.Equal(guest.Recorded("slow"), FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec));
        var lines = bed.Connection.Lines;
        // Its one start (refused), then a look that finds the run alive, then polls that follow it: no second start.
        Assert.Single(lines, l => l.Contains(" phoenix-start "));
        Assert.Contains(" phoenix-start ", lines[0]);
        Assert.Contains(lines.Skip(1), l => l.Contains(" phoenix-poll "));
        Assert.Contains("feature slow: PHOENIX_CHANGED=1", logLines);
    }

    [Fact]
    public async Task A_look_whose_pid_the_agent_forgot_is_taken_again()
    {
        // qemu-ga restarted between the look's start (--synchronous 0) and its exec-status: the read is started once more.
        using var bed = new FeatureTestBed(new FeatureGuest());
        var feature = bed.AddFeature("hello", "true\n");
        bed.Simulator.Faults = new Phoenix.Simulator.Faults.FaultPlan
        {
            Failures = { new Phoenix.Simulator.Faults.FailureFault { Kind = "exec-status", Count = 1, Stderr = "Agent error: Invalid parameter 'pid'" } },
        };

        var results = await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { feature }, null,
            CancellationToken.None);

        Assert.Equal(FeatureRunStatus.Ran, Assert.Single(results).Status);
        Assert.Equal(2, bed.Connection.Lines.Count(l => l.StartsWith("qm guest exec 101 --synchronous 0 ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_start_refused_because_another_run_goes_on_is_FeatureStillRunning()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", ExitCode = 75, Stdout = "phoenix-busy 1234\n" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("slow", "sleep 1\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("slow"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureStillRunning", e.Reason);
        Assert.Equal("VM 101 (t1): features are running in the guest from another start (pid 1234), begun after Phoenix looked; Phoenix does " +
                     "not start a second run beside it. Look at the log of 'slow' with: qm guest exec 101 -- tail -n 50 " +
                     "/var/lib/phoenix/features/slow.log", e.Message);
    }

    [Fact]
    public async Task A_context_path_the_guest_refuses_is_a_clear_error()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", ExitCode = 77, Stdout = "phoenix-refused /tmp/vm_context.json\n" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("hello", "true\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureDeliveryFailed", e.Reason);
        Assert.Equal("VM 101 (t1): /tmp/vm_context.json in the guest is not a regular file owned by root (a directory, a link, or another " +
                     "user's file), so Phoenix did not write the context file there and started no feature (hello). It neither follows nor " +
                     "removes what another user put at that path.", e.Message);
        Assert.Equal("Look at what is at /tmp/vm_context.json in the guest (qm guest exec 101 -- ls -ld /tmp/vm_context.json), remove it as " +
                     "root, then run again.", e.RecommendedAction);
    }

    [Fact]
    public async Task A_runner_that_died_without_a_status_is_FeatureAborted()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", Stdout = "phoenix-started 5\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll .* x 0",
            Stdout = "phoenix-poll 0\nphoenix-state x - gone -\nphoenix-log x 11\nhalf a line" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("x", "true\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("x"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureAborted", e.Reason);
        Assert.StartsWith("VM 101 (t1): feature 'x' stopped without writing its exit code (the guest rebooted or its process was killed).", e.Message);
    }

    [Fact]
    public async Task A_cut_poll_answer_is_FeatureFollowFailed()
    {
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-start", Stdout = "phoenix-started 5\n" });
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll .* x 0", Stdout = "phoenix-poll 1\nphoenix-log x 50\nshort" });
        using var bed = new FeatureTestBed(recording);
        var f = bed.AddFeature("x", "true\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("x"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureFollowFailed", e.Reason);
        Assert.Equal("VM 101 (t1): the state of features x could not be read in the guest (the log of x should have 50 bytes, the answer has 5).",
            e.Message);
    }

    [Fact]
    public async Task A_script_that_does_not_fit_with_the_context_in_1_MiB_is_refused_before_anything_is_sent_and_one_that_fits_goes()
    {
        using var bed = new FeatureTestBed();
        var spec = FeatureTestBed.Spec("small", "big");
        var room = FeatureContract.MaxDeliveryBytes - ContextBytes(spec);
        var small = bed.AddFeature("small", "true\n");
        var big = bed.AddFeature("big", "");
        File.WriteAllText(big.Path, "#!/bin/bash\n" + new string('#', room - 12));
        File.AppendAllText(big.Path, "\n");
        big = bed.Catalog.Resolve("big");
        Assert.Equal(room + 1, big.Length);

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { small, big }, null, CancellationToken.None));

        Assert.Equal("FeatureTooLarge", e.Reason);
        Assert.Equal($"VM 101 (t1): feature 'big' ({big.Path}) is {room + 1} bytes; Phoenix sends each script with the context file " +
            $"({ContextBytes(spec)} bytes) through qm guest exec --pass-stdin, which carries at most 1 MiB (1048576 bytes), so this VM's scripts " +
            $"can have at most {room} bytes. Nothing was sent.",
            e.Message);
        Assert.Empty(bed.Connection.Lines);

        File.WriteAllText(big.Path, "#!/bin/bash\n" + new string('#', room - 13) + "\n");
        big = bed.Catalog.Resolve("big");
        Assert.Equal(room, big.Length);
        var results = await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { small, big }, null, CancellationToken.None);
        Assert.All(results, r => Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status));
        // Together they do not fit in one start: two starts, each within 1 MiB.
        var starts = bed.Simulator.GuestLog(101).Where(l => l.Command.Contains("phoenix-start")).ToList();
        Assert.Equal(2, starts.Count);
        Assert.Equal(FeatureContract.MaxDeliveryBytes - room + small.Length, starts[0].Input!.Length);
        Assert.Equal(FeatureContract.MaxDeliveryBytes, starts[1].Input!.Length);
    }

    [Fact]
    public async Task A_guest_agent_that_does_not_answer_gives_the_wait_error_and_nothing_is_started()
    {
        using var bed = new FeatureTestBed(start: false);
        var f = bed.AddFeature("hello", "true\n");
        var options = FeatureTestBed.Options();
        options.AgentTimeout = TimeSpan.FromMilliseconds(200);

        var e = await Assert.ThrowsAsync<PhoenixException>(() =>
            new FeatureRunner(bed.Host, options).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("AgentTimeout", e.Reason);
        Assert.Equal("VM 101 (t1) is stopped, so its guest agent cannot answer (waited 0 s). Start it with Start-PhoenixVm -VmId 101.", e.Message);
        Assert.Equal(LookLine("hello"), bed.Connection.Lines[0]);
        Assert.DoesNotContain(bed.Connection.Lines, l => l.StartsWith("qm guest exec-status ", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Connection.Lines, l => l.Contains("phoenix-start"));
    }

    [Fact]
    public async Task A_guest_agent_that_answers_late_is_waited_for_and_then_the_look_is_sent_again()
    {
        using var bed = new FeatureTestBed(agentStartupDelay: TimeSpan.FromMilliseconds(300));
        var feature = bed.AddFeature("hello", "true\n");
        var spec = FeatureTestBed.Spec("hello");

        var r = Assert.Single(await new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(spec, new[] { feature }, null, CancellationToken.None));

        Assert.Equal(FeatureRunStatus.RecordedNotRun, r.Status);
        var lines = bed.Connection.Lines;
        // The look's start finds no agent (no pid, so no exec-status): Phoenix waits for the agent as Wait-PhoenixGuestAgent does ...
        Assert.Equal(new[] { LookLine("hello"), "qm guest cmd 101 ping" }, lines.Take(2));
        Assert.All(lines.Skip(1).Take(lines.Count - 4), l => Assert.Matches(@"^qm (guest cmd 101 (ping|network-get-interfaces)|config 101|status 101)$", l));
        // ... and then looks again, takes the answer with exec-status and starts the feature.
        Assert.Equal(LookLines(1102, "hello").Append(StartLine(spec, 20, feature)), lines.TakeLast(3));
    }

    [Fact]
    public async Task Under_WhatIf_nothing_runs_and_the_plan_lists_the_one_start()
    {
        using var bed = new FeatureTestBed();
        var feature = bed.AddFeature("hello", "echo hi\n");
        var spec = FeatureTestBed.Spec("hello");
        using var recorder = new PlanRecorder(bed.Connection);
        var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        var outcome = await FeatureRunner.RunForVmAsync(host, spec, bed.Catalog, FeatureTestBed.Options(), _ => { }, CancellationToken.None);

        Assert.Equal(new[] { StartLine(spec, 20, feature) }, recorder.Commands);
        Assert.Equal(new[] { "feature hello: would run" }, outcome.Changes);
        // Only reads reached the node: the status, the agent ping and the look at the features (the program and its answer).
        Assert.Equal(new[] { "qm status 101", "qm guest cmd 101 ping" }.Concat(LookLines(1102, "hello")), bed.Connection.Lines);
        Assert.Equal(new[] { "phoenix-poll" }, bed.Simulator.GuestLog(101).Select(l => l.Command[3]));
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
        Assert.StartsWith("qm guest exec 555 --pass-stdin 1 -- /bin/sh -c ", Assert.Single(recorder.Commands));
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
        // look (exit code 0, nothing of the poll's) is then a failure to read the state, not "recorded".
        using var bed = new FeatureTestBed();
        bed.Connection.ClaimedCapabilities = HostCapabilities.Full;
        var f = bed.AddFeature("hello", "echo hi\n");

        var e = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { f }, null, CancellationToken.None));

        Assert.Equal("FeatureFollowFailed", e.Reason);
        Assert.StartsWith("VM 101 (t1): the state of features hello could not be read in the guest (exit code 0): ", e.Message);

        // A start that such a guest answers without the program's answer is a failed start.
        var recording = new RecordingGuestRunner();
        recording.Responses.Add(new CannedGuestResult { Pattern = "phoenix-poll", Stdout = "phoenix-poll 0\nphoenix-state hello - none -\n" });
        using var bed2 = new FeatureTestBed(recording);
        bed2.Connection.ClaimedCapabilities = HostCapabilities.Full;
        var f2 = bed2.AddFeature("hello", "echo hi\n");
        var launch = await Assert.ThrowsAsync<FeatureException>(() =>
            new FeatureRunner(bed2.Host, FeatureTestBed.Options()).RunAsync(FeatureTestBed.Spec("hello"), new[] { f2 }, null, CancellationToken.None));
        Assert.Equal("FeatureLaunchFailed", launch.Reason);
        Assert.StartsWith("VM 101 (t1): feature 'hello' could not be started in the guest (exit code 0): ", launch.Message);

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
