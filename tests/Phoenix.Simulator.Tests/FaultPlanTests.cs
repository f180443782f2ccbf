using Phoenix.Engine.Errors;
using Phoenix.Simulator.Faults;
using Phoenix.Simulator.Guest;

namespace Phoenix.Simulator.Tests;

/// <summary>Fault injection: latency, failures, lock holds, dropped connections, agent delay, faults.json.</summary>
public class FaultPlanTests
{
    [Fact]
    public void LatencyIsSpentOnTheSimulatorsClock()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { Latency = { ["clone"] = 2.5, ["*"] = 0.5 } });
        sim.Ok("qm clone 9000 101");
        Assert.Equal(TestSim.Start.AddSeconds(2.5), sim.Clock.UtcNow);
        sim.Ok("qm config 101");
        Assert.Equal(TestSim.Start.AddSeconds(3), sim.Clock.UtcNow);
    }

    [Fact]
    public void ACommandThatFailsBeforeItsWorkStillPaysTheStartLatency()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { Latency = { ["clone"] = 2, ["*"] = 0.3 } });
        var missing = sim.Run("qm config 101");
        Assert.Equal((255, "Configuration file 'nodes/pve/qemu-server/101.conf' does not exist\n"), (missing.ExitCode, missing.StdErr));
        Assert.Equal(0.3, (sim.Clock.UtcNow - TestSim.Start).TotalSeconds, 6);
        sim.Ok("qm clone 9000 101");
        Assert.Equal(2.3, (sim.Clock.UtcNow - TestSim.Start).TotalSeconds, 6);
        // A clone refused before its task: the program started, the 2 s of copying never happened.
        Assert.Equal(255, sim.Run("qm clone 9000 101").ExitCode);
        Assert.Equal(2.6, (sim.Clock.UtcNow - TestSim.Start).TotalSeconds, 6);
    }

    [Fact]
    public void GuestExecPollsAsOftenAsThePlanSays()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(3));
        var canned = new CannedGuestResult { Pattern = "^/bin/bash /tmp/feature", Stdout = "done\n", Duration = TimeSpan.FromSeconds(2.5) };

        // Proxmox asks guest-exec-status once a second: a command of 2.5 s is seen to end at the third poll.
        sim.P.Faults = new FaultPlan { GuestExecPollSeconds = 1, GuestResults = { canned } };
        var before = sim.Clock.UtcNow;
        Assert.Contains("\"exited\" : 1", sim.Run("qm guest exec 101 -- /bin/bash /tmp/feature.sh").StdOut);
        Assert.Equal(TimeSpan.FromSeconds(3), sim.Clock.UtcNow - before);

        // Without it, the node's short test interval (50 ms) applies.
        sim.P.Faults = new FaultPlan { GuestResults = { canned } };
        before = sim.Clock.UtcNow;
        Assert.Contains("\"exited\" : 1", sim.Run("qm guest exec 101 -- /bin/bash /tmp/feature.sh").StdOut);
        Assert.Equal(TimeSpan.FromSeconds(2.5), sim.Clock.UtcNow - before);
    }

    [Fact]
    public void FailureHappensNTimesThenTheCommandSucceeds()
    {
        using var sim = TestSim.Create();
        sim.P.Faults = new FaultPlan
        {
            Failures =
            {
                new FailureFault { Kind = "clone", Count = 2, Stderr = "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout", ExitCode = 255 },
            },
        };
        for (var i = 0; i < 2; i++)
        {
            var r = sim.Run("qm clone 9000 101");
            Assert.Equal((255, "", "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout\n"), (r.ExitCode, r.StdOut, r.StdErr));
            Assert.Null(sim.Node.ReadConfigText(101));
        }
        Assert.Equal(0, sim.Run("qm clone 9000 101").ExitCode);
        Assert.Equal(0, sim.Run("qm clone 9000 102").ExitCode);
    }

    [Fact]
    public void FailureCanTargetOneVm()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { Failures = { new FailureFault { Kind = "start", VmId = 102, Stderr = "boom\n" } } });
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm clone 9000 102");
        Assert.Equal(0, sim.Run("qm start 101").ExitCode);
        var r = sim.Run("qm start 102");
        Assert.Equal((255, "", "boom\n"), (r.ExitCode, r.StdOut, r.StdErr));
        Assert.False(sim.Node.IsRunning(102));
    }

    [Fact]
    public void ResettingThePlanReArmsItsCounters()
    {
        using var sim = TestSim.Create();
        var plan = new FaultPlan { Failures = { new FailureFault { Kind = "status", Stderr = "x" } } };
        sim.P.Faults = plan;
        Assert.Equal(255, sim.Run("qm status 9000").ExitCode);
        Assert.Equal(0, sim.Run("qm status 9000").ExitCode);
        sim.P.Faults = plan;
        Assert.Equal(255, sim.Run("qm status 9000").ExitCode);
    }

    [Fact]
    public void LockHoldPutsTheLockIntoTheConfigThenTakesItOut()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.P.Faults = new FaultPlan { LockHolds = { new LockHoldFault { VmId = 101, Lock = "backup", Seconds = 30 } } };
        var r = sim.Run("qm start 101");
        Assert.Equal((255, "VM is locked (backup)\n"), (r.ExitCode, r.StdErr));
        Assert.Contains("lock: backup\n", sim.Config(101));
        sim.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(0, sim.Run("qm start 101").ExitCode);
        Assert.DoesNotContain("lock:", sim.Config(101));
    }

    [Fact]
    public void DropBeforeDoesNothing()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { Drops = { new DropFault { Kind = "clone", Phase = DropPhase.Before } } });
        var e = Assert.Throws<PhoenixException>(() => sim.Run("qm clone 9000 101"));
        Assert.Equal((PhoenixErrorKind.ConnectionError, "ConnectionLost"), (e.Kind, e.Reason));
        Assert.Null(sim.Node.ReadConfigText(101));
        Assert.Equal(0, sim.Run("qm clone 9000 101").ExitCode);
    }

    [Fact]
    public void DropAfterDoesTheWorkButLosesTheAnswer()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { Drops = { new DropFault { Kind = "exec", VmId = 101 } } });
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Throws<PhoenixException>(() => sim.Run("qm guest exec 101 -- sh -c 'echo x > /tmp/marker'"));
        Assert.Contains("\"out-data\" : \"x\\n\"", sim.Run("qm guest exec 101 -- cat /tmp/marker").StdOut);
    }

    [Fact]
    public void AgentStartupDelayCanBeOverridden()
    {
        using var sim = TestSim.Create(o => o.Faults = new FaultPlan { AgentStartupDelaySeconds = 60 });
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("QEMU guest agent is not running\n", sim.Run("qm agent 101 ping").StdErr);
        sim.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, sim.Run("qm agent 101 ping").ExitCode);
    }

    [Fact]
    public void FaultsFileIsReadBeforeEveryCommand()
    {
        using var sim = TestSim.Create(folder: true);
        var file = sim.P.FaultsFile!;
        File.WriteAllText(file, "{ \"failures\": [ { \"kind\": \"list\", \"count\": 1, \"stderr\": \"injected\", \"exitCode\": 7 } ] }");
        var r = sim.Run("qm list");
        Assert.Equal((7, "injected\n"), (r.ExitCode, r.StdErr));
        Assert.Equal(0, sim.Run("qm list").ExitCode);
        File.WriteAllText(file, "{ \"failures\": [ { \"kind\": \"list\", \"count\": 1, \"stderr\": \"again\", \"exitCode\": 9 } ] }");
        Assert.Equal(9, sim.Run("qm list").ExitCode);
        File.Delete(file);
        Assert.Equal(0, sim.Run("qm list").ExitCode);
    }

    [Fact]
    public void PlanJsonRoundTrips()
    {
        const string json = """
            {
              "latency": { "clone": 2.5, "*": 0.1 },
              "agentStartupDelaySeconds": 5,
              "guestExecPollSeconds": 1,
              "failures": [ { "kind": "clone", "vmid": 101, "count": 2, "exitCode": 255, "stderr": "e", "stdout": "o" } ],
              "lockHolds": [ { "vmid": 101, "lock": "backup", "seconds": 5 } ],
              "drops": [ { "kind": "exec", "count": 1, "phase": "before" } ],
              "guestResults": [ { "pattern": "^apt-get ", "exitCode": 0, "stdout": "ok", "stderr": "", "durationSeconds": 3 } ],
              "containers": [ { "vmid": 102, "name": "dns", "status": "stopped" } ]
            }
            """;
        var plan = FaultPlan.Parse(json);
        Assert.Equal(2.5, plan.Latency["clone"]);
        Assert.Equal(5, plan.AgentStartupDelaySeconds);
        Assert.Equal(1, plan.GuestExecPollSeconds);
        Assert.Equal((101, 2, "e", "o"), (plan.Failures[0].VmId!.Value, plan.Failures[0].Count, plan.Failures[0].Stderr, plan.Failures[0].Stdout));
        Assert.Equal(("backup", 5.0), (plan.LockHolds[0].Lock, plan.LockHolds[0].Seconds));
        Assert.Equal(DropPhase.Before, plan.Drops[0].Phase);
        Assert.Equal(TimeSpan.FromSeconds(3), plan.GuestResults[0].Duration);
        Assert.False(plan.Containers[0].Running);
        var again = FaultPlan.Parse(plan.ToJson());
        Assert.Equal(plan.ToJson(), again.ToJson());
    }

    [Fact]
    public void ContainersFromTheFaultsFileAppearInResources()
    {
        using var sim = TestSim.Create(folder: true);
        File.WriteAllText(sim.P.FaultsFile!, "{ \"containers\": [ { \"vmid\": 102, \"name\": \"dns\" } ] }");
        Assert.Contains("\"id\":\"lxc/102\"", sim.Run("pvesh get /cluster/resources --type vm --output-format json").StdOut);
    }
}
