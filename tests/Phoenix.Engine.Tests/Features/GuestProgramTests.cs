using System.Diagnostics;
using System.Text;
using Phoenix.Engine.Features;
using Xunit;

namespace Phoenix.Engine.Tests.Features;

/// <summary>
/// The constant shell programs the runner sends into guests, run for real with this machine's
/// /bin/sh on files in a temporary folder (every path is an argument, so nothing outside it is
/// touched). This machine has no systemd, so the launcher takes its plain background branch.
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

    [Fact]
    public void Write_puts_stdin_into_the_file_through_a_rename_and_makes_the_folder()
    {
        var target = Path.Combine(_dir, "a", "b", "vm_context.json");
        var r = Sh(GuestScripts.WriteArgv(target), "{\"vmid\": 101}\nit's \"quoted\" $HOME\n");

        Assert.Equal(0, r.Exit);
        Assert.Equal("{\"vmid\": 101}\nit's \"quoted\" $HOME\n", File.ReadAllText(target));
        Assert.False(File.Exists(target + ".new"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    [Fact]
    public async Task Launch_returns_at_once_and_poll_follows_the_log_by_offset_to_the_exit_code()
    {
        var script = Path.Combine(_dir, "feature.sh");
        // The feature goes on only when the test lets it (a go file), so the launcher returning while
        // it waits shows that the launch does not wait for the feature; a safety bound of 60 s ends it.
        var go = Path.Combine(_dir, "go");
        File.WriteAllText(script, $"echo \"out 1 $PHOENIX_VMID\"\necho 'err 1' >&2\nfor i in $(seq 1200); do [ -e '{go}' ] && break; sleep 0.05; done\necho 'größe ✓'\necho 'PHOENIX_CHANGED=1'\nexit 3\n");
        var log = Path.Combine(_dir, "f", "x.log");
        var status = Path.Combine(_dir, "f", "x.status");

        var launch = Sh(GuestScripts.LaunchArgv(log, status, new[] { "env", "PHOENIX_VMID=101", "/bin/bash", script }));
        Assert.Equal(0, launch.Exit);
        Assert.Matches(@"^phoenix-started \d+\n$", launch.Out);
        Assert.False(File.Exists(status), "the launcher waited for the feature");
        RememberRunner(status);

        var collected = new List<byte>();
        string? final = null;
        var polls = 0;
        while (final == null && polls < 2000)
        {
            if (polls == 1) File.WriteAllText(go, "");
            var poll = ShBytes(GuestScripts.PollArgv(log, status, collected.Count, 1024 * 1024));
            polls++;
            Assert.Equal(0, poll.Exit);
            var nl = Array.IndexOf(poll.Out, (byte)'\n');
            var header = Encoding.ASCII.GetString(poll.Out, 0, nl);
            collected.AddRange(poll.Out.Skip(nl + 1));
            if (header != "phoenix-status running") final = header;
            else await Task.Delay(50);
        }

        Assert.Equal("phoenix-status 3", final);
        Assert.True(polls > 1, "the feature should still have been running at the first poll");
        Assert.Equal("out 1 101\nerr 1\ngröße ✓\nPHOENIX_CHANGED=1\n", Encoding.UTF8.GetString(collected.ToArray()));
        Assert.Equal("3\n", File.ReadAllText(status));
        Assert.False(File.Exists(status + ".new"));
    }

    [Fact]
    public void Poll_with_a_small_chunk_gives_the_bytes_from_the_offset()
    {
        var log = Path.Combine(_dir, "p.log");
        var status = Path.Combine(_dir, "p.status");
        File.WriteAllText(log, "0123456789\nabc\n");

        var first = Sh(GuestScripts.PollArgv(log, status, 0, 4));
        var second = Sh(GuestScripts.PollArgv(log, status, 4, 100));

        Assert.Equal("phoenix-status running\n0123", first.Out);
        Assert.Equal("phoenix-status running\n456789\nabc\n", second.Out);
    }

    [Fact]
    public async Task A_second_launch_while_the_first_runs_is_refused_and_a_killed_runner_reads_as_gone()
    {
        var script = Path.Combine(_dir, "slow.sh");
        File.WriteAllText(script, "echo started\nsleep 30\n");
        var log = Path.Combine(_dir, "slow.log");
        var status = Path.Combine(_dir, "slow.status");

        Assert.Equal(0, Sh(GuestScripts.LaunchArgv(log, status, new[] { "/bin/bash", script })).Exit);
        var runner = RememberRunner(status);

        var again = Sh(GuestScripts.LaunchArgv(log, status, new[] { "/bin/bash", script }));
        Assert.Equal(GuestScripts.BusyExitCode, again.Exit);
        Assert.Equal($"phoenix-busy {runner}\n", again.Out);

        KillTree(runner);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string answer;
        do
        {
            await Task.Delay(20);
            answer = Sh(GuestScripts.PollArgv(log, status, 0, 1000)).Out;
        }
        while (answer.StartsWith("phoenix-status running", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Equal("phoenix-status gone\nstarted\n", answer);
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

    private int RememberRunner(string status)
    {
        var pidFile = status + ".pid";
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the runner wrote no pid file");
            Thread.Sleep(10);
        }
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        _started.Add(pid);
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

    private static (int Exit, string Out, string Err) Sh(IReadOnlyList<string> argv, string? stdin = null)
    {
        var r = ShBytes(argv, stdin);
        return (r.Exit, Encoding.UTF8.GetString(r.Out), r.Err);
    }

    private static (int Exit, byte[] Out, string Err) ShBytes(IReadOnlyList<string> argv, string? stdin = null)
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
        if (stdin != null) p.StandardInput.Write(stdin);
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
