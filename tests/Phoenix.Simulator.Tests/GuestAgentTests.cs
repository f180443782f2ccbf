using System.Text;
using Phoenix.Simulator.Guest;

namespace Phoenix.Simulator.Tests;

/// <summary>Section 4 of the note: qm guest exec / exec-status / cmd, and the recording guest.</summary>
public class GuestAgentTests
{
    private static TestSim Running(Action<SimulatorOptions>? configure = null)
    {
        var sim = TestSim.Create(configure);
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm set 101 --ipconfig0 ip=10.0.0.101/24,gw=10.0.0.1");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(3));
        return sim;
    }

    [Fact]
    public void ExecPrintsPerlPrettyJson()
    {
        using var sim = Running();
        var r = sim.Run("qm guest exec 101 -- echo hello");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"hello\\n\"\n}\n", r.StdOut);
        Assert.Equal("", r.StdErr);
    }

    [Fact]
    public void GuestExitCodeIsInTheJsonNotInQmsExit()
    {
        using var sim = Running();
        var r = sim.Run("qm guest exec 101 -- cat /nope");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("{\n   \"err-data\" : \"cat: /nope: No such file or directory\\n\",\n   \"exitcode\" : 1,\n   \"exited\" : 1\n}\n", r.StdOut);
    }

    [Fact]
    public void CommandsTheGuestDoesNotEmulateAreRecordedNotRun()
    {
        using var sim = Running();
        var r = sim.Run("qm guest exec 101 -- apt-get install -y docker-ce");
        Assert.Equal(
            "{\n   \"err-data\" : \"phoenix-sim: recorded, not run (this simulated guest runs no commands): apt-get install -y docker-ce\\n\",\n" +
                "   \"exitcode\" : 0,\n   \"exited\" : 1\n}\n",
            r.StdOut);
        var log = sim.P.GuestLog(101);
        Assert.Equal("recorded", log.Single().Handling);
        Assert.Equal(new[] { "apt-get", "install", "-y", "docker-ce" }, log.Single().Command);
    }

    [Fact]
    public void PassStdinWritesAFileThatCanBeReadBack()
    {
        using var sim = Running();
        var w = sim.Run("qm guest exec 101 --pass-stdin 1 -- sh -c 'cat > /tmp/vm_context.json'", "{\"vmid\":101}");
        Assert.Equal("{\n   \"exitcode\" : 0,\n   \"exited\" : 1\n}\n", w.StdOut);
        var r = sim.Run("qm guest exec 101 -- cat /tmp/vm_context.json");
        Assert.Contains("\"out-data\" : \"{\\\"vmid\\\":101}\"", r.StdOut);
        var entry = sim.P.GuestLog(101).First();
        Assert.Equal("{\"vmid\":101}", Encoding.UTF8.GetString(entry.Input!));
        Assert.Equal("emulated", entry.Handling);
    }

    [Fact]
    public void AgentChecksInOrder()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm set 101 --delete agent");
        Assert.Equal((255, "No QEMU guest agent configured\n"), Pair(sim.Run("qm guest exec 101 -- true")));
        sim.Ok("qm set 101 --agent 1");
        Assert.Equal((255, "VM 101 is not running\n"), Pair(sim.Run("qm guest exec 101 -- true")));
        sim.Ok("qm start 101");
        Assert.Equal((255, "QEMU guest agent is not running\n"), Pair(sim.Run("qm guest exec 101 -- true")));
        sim.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, sim.Run("qm guest exec 101 -- true").ExitCode);
    }

    [Fact]
    public void AgentZeroPassesTheConfigCheckButDoesNotAnswer()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm set 101 --agent 0");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("QEMU guest agent is not running\n", sim.Run("qm guest exec 101 -- true").StdErr);
    }

    [Fact]
    public void ExecArgumentErrors()
    {
        using var sim = Running();
        Assert.Equal("command or input-data (or both) required\n", sim.Run("qm guest exec 101").StdErr);
        Assert.Equal(
            "400 Parameter verification failed.\nsynchronous: needs to be set for 'timeout'\nqm guest exec <vmid> [<extra-args>] [OPTIONS]\n",
            sim.Run("qm guest exec 101 --synchronous 0 --timeout 5 -- true").StdErr);
        var big = sim.P.ExecuteWithStdinReader(new[] { "qm", "guest", "exec", "101", "--pass-stdin", "1", "--", "true" },
            () => new byte[1024 * 1024 + 1], CancellationToken.None);
        Assert.Equal((255, "'input-data' (STDIN) is limited to 1 MiB, aborting\n"), (big.ExitCode, big.StdErr));
        Assert.Equal("Configuration file 'nodes/pve/qemu-server/999.conf' does not exist\n", sim.Run("qm guest exec 999 -- true").StdErr);
    }

    [Fact]
    public void TimeoutReturnsThePidAndExecStatusFollowsIt()
    {
        using var sim = Running(o => o.Faults = new Faults.FaultPlan
        {
            GuestResults =
            {
                new CannedGuestResult { Pattern = "^/bin/bash /tmp/feature", Stdout = "done\n", ExitCode = 3, Duration = TimeSpan.FromSeconds(10) },
            },
        });
        var r = sim.Run("qm guest exec 101 --timeout 2 -- /bin/bash /tmp/feature.sh");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("timeout reached, returning pid\n", r.StdErr);
        Assert.Equal("{\n   \"pid\" : 1102\n}\n", r.StdOut);
        Assert.Equal("{\n   \"exited\" : 0\n}\n", sim.Run("qm guest exec-status 101 1102").StdOut);
        sim.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("{\n   \"exitcode\" : 3,\n   \"exited\" : 1,\n   \"out-data\" : \"done\\n\"\n}\n", sim.Run("qm guest exec-status 101 1102").StdOut);
        var gone = sim.Run("qm guest exec-status 101 1102");
        Assert.Equal((255, "Agent error: Invalid parameter 'pid'\n"), Pair(gone));
    }

    [Fact]
    public void AfterAStopAndStartTheNewAgentKnowsNoneOfTheOldPids()
    {
        using var sim = Running(o => o.Faults = new Faults.FaultPlan
        {
            GuestResults = { new CannedGuestResult { Pattern = "^sleep", ExitCode = 0, Duration = TimeSpan.FromSeconds(300) } },
        });
        Assert.Equal("{\n   \"pid\" : 1102\n}\n", sim.Run("qm guest exec 101 --synchronous 0 -- sleep 300").StdOut);
        sim.Ok("qm stop 101");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(3));
        // Not its end (exited 1, exitcode 137): the agent that started with the VM never ran that pid.
        Assert.Equal((255, "Agent error: Invalid parameter 'pid'\n"), Pair(sim.Run("qm guest exec-status 101 1102")));
    }

    [Fact]
    public void AsynchronousExecReturnsThePidAtOnce()
    {
        using var sim = Running();
        var r = sim.Run("qm guest exec 101 --synchronous 0 -- echo hi");
        Assert.Equal((0, "{\n   \"pid\" : 1102\n}\n", ""), Triple(r));
        // Its end, once, as qm prints it; the agent then forgets the pid (qemu-ga drops a process once it reported its exit).
        Assert.Equal((0, "{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"hi\\n\"\n}\n", ""),
            Triple(sim.Run("qm guest exec-status 101 1102")));
        Assert.Equal((255, "Agent error: Invalid parameter 'pid'\n"), Pair(sim.Run("qm guest exec-status 101 1102")));
    }

    [Fact]
    public void AsynchronousExecAndExecStatusNeedARunningAgentAsASynchronousExecDoes()
    {
        using var sim = Running(o => o.AgentStartupDelay = TimeSpan.FromSeconds(30));
        Assert.Equal((255, "QEMU guest agent is not running\n"), Pair(sim.Run("qm guest exec 101 --synchronous 0 -- echo hi")));
        Assert.Equal((255, "QEMU guest agent is not running\n"), Pair(sim.Run("qm guest exec-status 101 1102")));
        sim.Ok("qm stop 101");
        Assert.Equal((255, "VM 101 is not running\n"), Pair(sim.Run("qm guest exec 101 --synchronous 0 -- echo hi")));
        Assert.Equal((255, "VM 101 is not running\n"), Pair(sim.Run("qm guest exec-status 101 1102")));
    }

    [Fact]
    public void NonAsciiOutputIsDoubleEncodedLikeProxmox()
    {
        using var sim = Running();
        var r = sim.Run("qm guest exec 101 -- echo é");
        Assert.Contains("\"out-data\" : \"Ã©\\n\"", r.StdOut);
    }

    [Fact]
    public void AgentPingPrintsNothing()
    {
        using var sim = Running();
        Assert.Equal((0, "", ""), Triple(sim.Run("qm guest cmd 101 ping")));
        Assert.Equal((0, "", ""), Triple(sim.Run("qm agent 101 ping")));
    }

    [Fact]
    public void NetworkInterfacesShowTheConfiguredAddress()
    {
        using var sim = Running();
        var r = sim.Run("qm agent 101 network-get-interfaces");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("[\n   {\n      \"hardware-address\" : \"00:00:00:00:00:00\",\n      \"ip-addresses\" : [\n         {\n" +
            "            \"ip-address\" : \"127.0.0.1\",", r.StdOut);
        Assert.Contains("\"name\" : \"eth0\"", r.StdOut);
        Assert.Contains("\"ip-address\" : \"10.0.0.101\",\n            \"ip-address-type\" : \"ipv4\",\n            \"prefix\" : 24", r.StdOut);
        Assert.EndsWith("}\n]\n", r.StdOut);
    }

    [Fact]
    public void ScalarAgentResultsPrintAsALine()
    {
        using var sim = Running();
        Assert.Equal("thawed\n", sim.Run("qm guest cmd 101 fsfreeze-status").StdOut);
        Assert.Equal("{\n   \"host-name\" : \"web01\"\n}\n", sim.Run("qm guest cmd 101 get-host-name").StdOut);
    }

    [Fact]
    public void GuestFilesFollowSnapshotsClonesAndDestroy()
    {
        using var sim = Running();
        sim.Ok("qm guest exec 101 -- sh -c 'echo v1 > /etc/app.conf'");
        sim.Ok("qm snapshot 101 s1");
        sim.Ok("qm guest exec 101 -- sh -c 'echo v2 > /etc/app.conf && touch /opt/installed'");
        sim.Ok("qm clone 101 102 --snapname s1");
        sim.Ok("qm rollback 101 s1");
        sim.Ok("qm start 101");
        sim.Ok("qm start 102");
        sim.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Contains("\"out-data\" : \"v1\\n\"", sim.Run("qm guest exec 101 -- cat /etc/app.conf").StdOut);
        Assert.Contains("\"exitcode\" : 1", sim.Run("qm guest exec 101 -- test -f /opt/installed").StdOut);
        Assert.Contains("\"out-data\" : \"v1\\n\"", sim.Run("qm guest exec 102 -- cat /etc/app.conf").StdOut);
        sim.Ok("qm stop 102");
        sim.Ok("qm destroy 102");
        Assert.Empty(sim.P.Store.ListFiles("/var/lib/phoenix-sim/guests/102"));
    }

    [Fact]
    public void AgentErrorForGuestFailures()
    {
        using var sim = Running(o => o.GuestRunner = new ThrowingRunner());
        Assert.Equal(
            "Agent error: Guest agent command failed, error was 'Failed to execute child process “nope” (No such file or directory)'\n",
            sim.Run("qm guest exec 101 -- nope").StdErr);
    }

    private sealed class ThrowingRunner : GuestRunnerBase
    {
        public override int StartExec(GuestExecRequest request) =>
            throw new GuestAgentException("Guest agent command failed, error was " +
                $"'Failed to execute child process “{request.Command[0]}” (No such file or directory)'");

        public override GuestExecStatus? GetExecStatus(GuestContext guest, int pid) => null;
    }

    private static (int, string) Pair(Phoenix.Engine.Transport.CommandResult r) => (r.ExitCode, r.StdErr);

    private static (int, string, string) Triple(Phoenix.Engine.Transport.CommandResult r) => (r.ExitCode, r.StdOut, r.StdErr);
}
