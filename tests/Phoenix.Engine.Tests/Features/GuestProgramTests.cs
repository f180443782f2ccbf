using System.Diagnostics;
using System.Text;
using Phoenix.Engine.Features;
using Xunit;

namespace Phoenix.Engine.Tests.Features;

/// <summary>
/// The constant shell programs the runner sends into guests, run for real with this machine's
/// /bin/sh on files in a temporary folder (every path is an argument, so nothing outside it is
/// touched). This machine has no systemd, so the start takes its plain background branch. The
/// suite runs as root, as Phoenix's programs do in a guest.
/// Every process started here is stopped by PID at the end.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GuestProgramTests : IDisposable
{
    private readonly TempFolders _folders = new();
    private readonly string _dir;
    private readonly List<int> _started = new();

    public GuestProgramTests() => _dir = _folders.Folder("guest");

    public void Dispose()
    {
        foreach (var pid in _started) KillTree(pid);
        _folders.Dispose();
    }

    private string Folder => Path.Combine(_dir, "features");
    private string StateFile => Path.Combine(_dir, "features.state");
    private string ContextPath => Path.Combine(_dir, "tmp", "vm_context.json");

    private static readonly string[] Env = { "env", "PHOENIX_VMID=101" };

    private static string Hash(char c) => new(c, 64);

    // Starts the features (name, script) with the context, as the runner does, answering at once; returns the answer.
    private (int Exit, string Out, string Err) Start(string context, TimeSpan limit, params (string Name, string Script)[] features) =>
        Start(context, limit, TimeSpan.Zero, features);

    // The same, the start waiting up to `wait` for its run to end before it answers.
    private (int Exit, string Out, string Err) Start(string context, TimeSpan limit, TimeSpan wait, params (string Name, string Script)[] features)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ContextPath)!);
        var items = features.Select((f, i) => new GuestScripts.StartItem(f.Name, Hash((char)('a' + i)), Encoding.UTF8.GetBytes(f.Script))).ToList();
        var ctx = Encoding.UTF8.GetBytes(context);
        var r = ShBytes(GuestScripts.StartArgv(Folder, StateFile, ContextPath, ctx.Length, items, limit, wait, 1024 * 1024, Env), GuestScripts.StartInput(ctx, items));
        if (r.Exit == 0) RememberRunner();
        return (r.Exit, Encoding.UTF8.GetString(r.Out), r.Err);
    }

    private GuestPollAnswer Poll(TimeSpan wait, params (string Name, long Offset)[] features)
    {
        var r = ShBytes(GuestScripts.PollArgv(Folder, StateFile, wait, 1024 * 1024, features));
        Assert.True(r.Exit == 0, r.Err);
        return GuestPollAnswer.Parse(r.Out) ?? throw new InvalidOperationException("not a poll answer: " + Encoding.UTF8.GetString(r.Out));
    }

    // Polls (each waiting in the "guest" up to 5 s) until the run has ended; returns the last answer.
    private GuestPollAnswer PollToEnd(params string[] names)
    {
        for (var i = 0; i < 40; i++)
        {
            var a = Poll(TimeSpan.FromSeconds(5), names.Select(n => (n, 0L)).ToArray());
            if (!a.RunnerAlive) return a;
        }
        throw new TimeoutException("the run did not end");
    }

    [Fact]
    public void The_guest_programs_pass_shellcheck()
    {
        foreach (var (name, text) in new[] { ("start", GuestScripts.Start), ("run", GuestScripts.Run), ("poll", GuestScripts.Poll) })
        {
            var file = Path.Combine(_dir, name + ".sh");
            File.WriteAllText(file, "#!/bin/sh\n" + text + "\n");
            var r = ShBytes(new[] { "shellcheck", "-s", "sh", file });
            Assert.True(r.Exit == 0, $"{name}: {Encoding.UTF8.GetString(r.Out)}{r.Err}");
        }
    }

    [Fact]
    public void Start_places_the_context_and_the_scripts_and_the_poll_follows_the_run_to_its_exit_codes_and_the_recorded_state()
    {
        var go = Path.Combine(_dir, "go");
        // The first feature goes on only when the test lets it (a go file), so the start returning while it
        // waits shows that the start does not wait for the run; a safety bound of 60 s ends it.
        var first = $"echo \"out 1 $PHOENIX_VMID\"\necho 'err 1' >&2\nfor i in $(seq 1200); do [ -e '{go}' ] && break; sleep 0.05; done\n" +
                    "echo 'größe ✓'\necho 'PHOENIX_CHANGED=1'\n";
        var start = Start("{\"vmid\": 101}\nit's \"quoted\" $HOME\n", TimeSpan.Zero, ("one", first), ("two", "echo two\nexit 3\n"));

        Assert.Equal(0, start.Exit);
        // Asked to answer at once, the start answers with the run's pid, then as a poll of the features it started.
        Assert.Matches(@"^phoenix-started \d+\nphoenix-poll 1\nphoenix-state one - running a{64}\nphoenix-state two - running b{64}\nphoenix-log one ",
            start.Out);
        Assert.Equal("{\"vmid\": 101}\nit's \"quoted\" $HOME\n", File.ReadAllText(ContextPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ContextPath));
        Assert.Equal(new[] { "vm_context.json" }, Directory.GetFileSystemEntries(Path.GetDirectoryName(ContextPath)!).Select(Path.GetFileName));
        Assert.Equal("echo two\nexit 3\n", File.ReadAllText(Path.Combine(Folder, "feature_install_two.sh")));
        Assert.Equal(FeatureRunner.GuestFolder + "/feature_install_two.sh", FeatureRunner.ScriptPath("two"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Folder));

        var look = Poll(TimeSpan.Zero, ("one", -1), ("two", -1), ("three", -1));
        Assert.True(look.RunnerAlive);
        Assert.Equal("running", look["one"].State);
        Assert.Equal(Hash('a'), look["one"].RunHash);
        Assert.Equal("running", look["two"].State);
        Assert.Equal("none", look["three"].State);
        Assert.Null(look["one"].Recorded);
        Assert.Empty(look.Log("one"));

        File.WriteAllText(go, "");
        var end = PollToEnd("one", "two");
        Assert.Equal(0, end["one"].ExitCode);
        Assert.Equal(3, end["two"].ExitCode);
        Assert.Equal(Hash('a'), end["one"].Recorded);
        Assert.Null(end["two"].Recorded);
        Assert.Equal("out 1 101\nerr 1\ngröße ✓\nPHOENIX_CHANGED=1\n", Encoding.UTF8.GetString(end.Log("one")));
        Assert.Equal("two\n", Encoding.UTF8.GetString(end.Log("two")));
        Assert.Equal(FeatureStateFile.Format(new Dictionary<string, string> { ["one"] = Hash('a') }), File.ReadAllText(StateFile));

        // From an offset, with a small chunk: the bytes from there.
        var r = ShBytes(GuestScripts.PollArgv(Folder, StateFile, TimeSpan.Zero, 4, new[] { ("one", 4L) }));
        Assert.Equal($"phoenix-poll 0\nphoenix-state one {Hash('a')} 0 {Hash('a')}\nphoenix-log one 4\n1 10", Encoding.UTF8.GetString(r.Out));
    }

    [Fact]
    public void A_start_whose_run_ends_within_its_wait_answers_with_the_exit_codes_the_logs_and_the_recorded_state()
    {
        var start = Start("{}", TimeSpan.Zero, TimeSpan.FromSeconds(8), ("one", "echo hi\necho PHOENIX_CHANGED=1\n"), ("two", "echo two\nexit 3\n"));

        Assert.Equal(0, start.Exit);
        var lines = start.Out.Split('\n', 2);
        Assert.Matches(@"^phoenix-started \d+$", lines[0]);
        Assert.Equal($"phoenix-poll 0\nphoenix-state one {Hash('a')} 0 {Hash('a')}\nphoenix-state two - 3 {Hash('b')}\n" +
            "phoenix-log one 21\nhi\nPHOENIX_CHANGED=1\nphoenix-log two 4\ntwo\n", lines[1]);
        var answer = GuestPollAnswer.Parse(Encoding.UTF8.GetBytes(lines[1]))!;
        Assert.False(answer.RunnerAlive);
        Assert.Equal(3, answer["two"].ExitCode);
    }

    [Fact]
    public void The_wait_and_the_states_need_no_program_but_sleep()
    {
        // A poll's wait tests the run's liveness at every tick: with the shell's builtins only, so a tick costs the guest
        // one sleep and nothing else. Here the poll finds nothing but sleep on its PATH.
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "sleep"), File.Exists("/usr/bin/sleep") ? "/usr/bin/sleep" : "/bin/sleep");
        var go = Path.Combine(_dir, "go");
        Assert.Equal(0, Start("{}", TimeSpan.Zero, ("one", $"for i in $(seq 1200); do [ -e '{go}' ] && break; sleep 0.05; done\n")).Exit);
        GuestPollAnswer Bare(TimeSpan wait)
        {
            var r = ShBytes(new[] { "/usr/bin/env", "PATH=" + bin }.Concat(GuestScripts.PollArgv(Folder, StateFile, wait, 1024, new[] { ("one", -1L) }))
                .ToList(), (string?)null);
            Assert.True(r.Exit == 0, r.Err);
            return GuestPollAnswer.Parse(r.Out)!;
        }

        var waiting = Bare(TimeSpan.FromMilliseconds(300));
        Assert.True(waiting.RunnerAlive);
        Assert.Equal("running", waiting["one"].State);
        Assert.Equal(Hash('a'), waiting["one"].RunHash);

        File.WriteAllText(go, "");
        PollToEnd("one");
        var done = Bare(TimeSpan.FromSeconds(1));
        Assert.False(done.RunnerAlive);
        Assert.Equal(0, done["one"].ExitCode);
        Assert.Equal(Hash('a'), done["one"].Recorded);
    }

    [Fact]
    public void After_a_failure_the_later_features_do_not_start_and_a_second_success_keeps_the_state_of_the_others()
    {
        File.WriteAllText(StateFile, FeatureStateFile.Format(new Dictionary<string, string> { ["old"] = Hash('f'), ["two"] = Hash('e') }));
        Assert.Equal(0, Start("{}", TimeSpan.Zero, ("one", "exit 4\n"), ("two", "echo never\n")).Exit);
        var end = PollToEnd("one", "two");
        Assert.Equal(4, end["one"].ExitCode);
        Assert.Equal("none", end["two"].State);
        Assert.Equal(Hash('e'), end["two"].Recorded);
        Assert.Equal("", File.ReadAllText(Path.Combine(Folder, "two.log")));

        Assert.Equal(0, Start("{}", TimeSpan.Zero, ("two", "true\n")).Exit);
        Assert.Equal(0, PollToEnd("two")["two"].ExitCode);
        Assert.Equal(new Dictionary<string, string> { ["old"] = Hash('f'), ["two"] = Hash('a') }, FeatureStateFile.Parse(File.ReadAllText(StateFile)));
    }

    [Fact]
    public void A_feature_that_ran_as_long_as_the_time_limit_ends_the_run()
    {
        Assert.Equal(0, Start("{}", TimeSpan.FromSeconds(1), ("slow", "sleep 0.2\n"), ("next", "echo next\n")).Exit);
        var end = PollToEnd("slow", "next");
        Assert.Equal(0, end["slow"].ExitCode);
        Assert.Equal("none", end["next"].State);
    }

    [Fact]
    public void A_second_start_while_the_run_goes_on_is_refused_and_a_killed_runner_reads_as_gone()
    {
        Assert.Equal(0, Start("{}", TimeSpan.Zero, ("slow", "echo started\nsleep 30\n")).Exit);
        var runner = RememberRunner();

        var again = Start("{}", TimeSpan.Zero, ("slow", "true\n"));
        Assert.Equal(GuestScripts.BusyExitCode, again.Exit);
        Assert.Equal($"phoenix-busy {runner}\n", again.Out);

        KillTree(runner);
        var end = PollToEnd("slow");
        Assert.Equal("gone", end["slow"].State);
        Assert.Equal("started\n", Encoding.UTF8.GetString(end.Log("slow")));
    }

    [Fact]
    public void A_runner_file_whose_pid_now_belongs_to_another_process_or_boot_is_not_alive()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "x.run"), Hash('a') + "\n");
        var self = Environment.ProcessId;
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        var stat = File.ReadAllText($"/proc/{self}/stat");
        var startTime = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ')[19];
        var runner = Path.Combine(Folder, "runner");

        File.WriteAllText(runner, $"{self} {boot} {startTime}\n");
        Assert.Equal("running", Poll(TimeSpan.Zero, ("x", -1))["x"].State);
        // The same pid, started at another time: a reused pid.
        File.WriteAllText(runner, $"{self} {boot} {long.Parse(startTime) + 1}\n");
        Assert.Equal("gone", Poll(TimeSpan.Zero, ("x", -1))["x"].State);
        // The same pid and start time, but from another boot.
        File.WriteAllText(runner, $"{self} 00000000-0000-0000-0000-000000000000 {startTime}\n");
        Assert.Equal("gone", Poll(TimeSpan.Zero, ("x", -1))["x"].State);
        Assert.False(Poll(TimeSpan.FromSeconds(1), ("x", -1)).RunnerAlive);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("link")]
    [InlineData("foreign file")]
    public void A_context_path_that_is_not_a_regular_file_of_roots_is_refused_and_left_as_it_is(string kind)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ContextPath)!);
        var target = Path.Combine(_dir, "elsewhere");
        File.WriteAllText(target, "theirs\n");
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(ContextPath);
                File.WriteAllText(Path.Combine(ContextPath, "inside"), "theirs\n");
                break;
            case "link":
                File.CreateSymbolicLink(ContextPath, target);
                break;
            default:
                File.WriteAllText(ContextPath, "theirs\n");
                Assert.Equal(0, ShBytes(new[] { "chown", "65534", ContextPath }).Exit);
                break;
        }

        var r = Start("{\"secret\": 1}", TimeSpan.Zero, ("x", "touch ran\n"));

        Assert.Equal(GuestScripts.RefusedExitCode, r.Exit);
        Assert.Equal($"phoenix-refused {ContextPath}\n", r.Out);
        Assert.Equal("theirs\n", File.ReadAllText(target));
        if (kind == "directory") Assert.Equal(new[] { "inside" }, Directory.GetFileSystemEntries(ContextPath).Select(Path.GetFileName));
        if (kind == "foreign file") Assert.Equal("theirs\n", File.ReadAllText(ContextPath));
        if (kind == "link") Assert.Equal(target, new FileInfo(ContextPath).LinkTarget);
        // Nothing was started and no private folder is left behind.
        Assert.False(File.Exists(Path.Combine(Folder, "runner")));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(ContextPath)!));
    }

    [Fact]
    public void A_context_file_of_roots_is_replaced_by_a_new_one_not_written_through()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ContextPath)!);
        File.WriteAllText(ContextPath, "old\n");
        var link = ContextPath + ".hardlink";
        Assert.Equal(0, ShBytes(new[] { "ln", ContextPath, link }).Exit);

        Assert.Equal(0, Start("{\"vmid\": 1}", TimeSpan.Zero, ("x", "true\n")).Exit);

        Assert.Equal("{\"vmid\": 1}", File.ReadAllText(ContextPath));
        Assert.Equal("old\n", File.ReadAllText(link));
        PollToEnd("x");
    }

    [Fact]
    public void Guest_bytes_undo_qm_printing_each_byte_as_a_character()
    {
        var utf8 = Encoding.UTF8.GetBytes("größe ✓\n");
        var asQmPrintsIt = new string(utf8.Select(b => (char)b).ToArray());
        Assert.Equal(utf8, GuestScripts.ToGuestBytes(asQmPrintsIt));
        // A character cut at the end of a chunk is still taken byte for byte.
        Assert.Equal(utf8.Take(utf8.Length - 3).ToArray(), GuestScripts.ToGuestBytes(asQmPrintsIt.Substring(0, asQmPrintsIt.Length - 3)));
        // Real characters (a qm that decodes) are kept.
        Assert.Equal(utf8, GuestScripts.ToGuestBytes("größe ✓\n"));
        Assert.Equal(Encoding.UTF8.GetBytes("é\n"), GuestScripts.ToGuestBytes("é\n"));
        Assert.Empty(GuestScripts.ToGuestBytes(""));
    }

    [Fact]
    public void The_feature_log_joins_lines_cut_between_chunks_and_drops_CR()
    {
        var log = new FeatureLog(1000);
        Assert.Equal(new[] { "one" }, log.Append(Encoding.UTF8.GetBytes("one\r\ntw")));
        var euro = Encoding.UTF8.GetBytes("o €\nthree");
        Assert.Empty(log.Append(euro.Take(4).ToArray()));
        Assert.Equal(new[] { "two €" }, log.Append(euro.Skip(4).ToArray()));
        Assert.Equal("three", log.TakeRest());
        Assert.Null(log.TakeRest());
        Assert.Equal(18, log.Received);
        Assert.Equal("one\r\ntwo €\nthree", log.Text);
        Assert.False(log.Truncated);
    }

    private int RememberRunner()
    {
        var file = Path.Combine(Folder, "runner");
        var pid = int.Parse(File.ReadAllText(file).Split(' ')[0]);
        if (!_started.Contains(pid)) _started.Add(pid);
        return pid;
    }

    // The runner first (so it cannot record the exit of what it started), then what it started.
    private static void KillTree(int pid)
    {
        var children = Children(pid).ToList();
        try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        foreach (var child in children) KillTree(child);
    }

    private static IEnumerable<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        try { return File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList(); }
        catch (IOException) { return Array.Empty<int>(); }
    }

    private static (int Exit, byte[] Out, string Err) ShBytes(IReadOnlyList<string> argv, string? stdin = null) =>
        ShBytes(argv, stdin == null ? null : Encoding.UTF8.GetBytes(stdin));

    private static (int Exit, byte[] Out, string Err) ShBytes(IReadOnlyList<string> argv, byte[]? stdin)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin != null) p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        using var ms = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(ms);
        if (!p.WaitForExit(10000))
        {
            p.Kill();
            throw new TimeoutException(string.Join(" ", argv) + " did not end");
        }
        return (p.ExitCode, ms.ToArray(), err.Result);
    }
}
