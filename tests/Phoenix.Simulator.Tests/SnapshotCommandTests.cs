using Phoenix.Simulator.Faults;

namespace Phoenix.Simulator.Tests;

/// <summary>Section 3 of the note: snapshot names, errors, the listsnapshot tree, delete and rollback.</summary>
public class SnapshotCommandTests
{
    private static TestSim WithVm(Action<SimulatorOptions>? configure = null)
    {
        var sim = TestSim.Create(configure);
        sim.Ok("qm clone 9000 101 --name web01");
        return sim;
    }

    [Fact]
    public void SnapshotOutputAndConfig()
    {
        using var sim = WithVm();
        var r = sim.Run("qm snapshot 101 s1 --description 'first snap'");
        Assert.Equal((0, ""), (r.ExitCode, r.StdErr));
        Assert.Equal("snapshotting 'drive-scsi0' (local-lvm:vm-101-disk-0)\n  Logical volume \"snap_vm-101-disk-0_s1\" created.\n", r.StdOut);
        var conf = sim.Config(101);
        Assert.Contains("parent: s1\n", conf);
        Assert.Contains("\n[s1]\n#first snap\nagent: 1\n", conf);
        Assert.Contains("snaptime: 1714557600\n", conf);
        Assert.DoesNotContain("snapstate", conf);
        Assert.DoesNotContain("lock", conf);
    }

    [Theory]
    [InlineData("a", "snapname: invalid format - invalid configuration ID 'a'\n\n")]
    [InlineData("1abc", "snapname: invalid format - invalid configuration ID '1abc'\n\n")]
    [InlineData("has.dot", "snapname: invalid format - invalid configuration ID 'has.dot'\n\n")]
    [InlineData("a23456789012345678901234567890123456789012", "snapname: value may only be 40 characters long\n")]
    public void SnapshotNameRules(string name, string error)
    {
        using var sim = WithVm();
        var r = sim.Run($"qm snapshot 101 {name}");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 Parameter verification failed.\n" + error + "qm snapshot <vmid> <snapname> [OPTIONS]\n", r.StdErr);
    }

    [Theory]
    [InlineData("current", "unable to use snapshot name 'current' (reserved name)\n")]
    [InlineData("pending", "unable to use snapshot name 'pending' (reserved name)\n")]
    [InlineData("PENDING", "unable to use snapshot name 'pending' (reserved name)\n")]
    public void ReservedNames(string name, string error)
    {
        using var sim = WithVm();
        Assert.Equal((255, error), (sim.Run($"qm snapshot 101 {name}").ExitCode, sim.Run($"qm snapshot 101 {name}").StdErr));
    }

    [Fact]
    public void SnapshotErrorsInTheirOrder()
    {
        using var sim = WithVm();
        Assert.Equal("Configuration file 'nodes/pve/qemu-server/555.conf' does not exist\n", sim.Run("qm snapshot 555 s1").StdErr);
        Assert.Equal("you can't take a snapshot if it's a template\n", sim.Run("qm snapshot 9000 s1").StdErr);
        sim.Ok("qm snapshot 101 s1");
        Assert.Equal("snapshot name 's1' already used\n", sim.Run("qm snapshot 101 s1").StdErr);
        sim.Ok("qm set 101 --lock backup");
        Assert.Equal("VM is locked (backup)\n", sim.Run("qm snapshot 101 s2").StdErr);
    }

    [Fact]
    public void ListSnapshotPrintsANestedTreeInTheNodesTimeZone()
    {
        using var sim = WithVm(o => o.TimeZone = "Europe/Berlin");
        sim.Ok("qm snapshot 101 base --description 'clean install\nsecond line'");
        sim.Clock.Advance(TimeSpan.FromHours(1));
        sim.Ok("qm snapshot 101 docker");
        sim.Clock.Advance(TimeSpan.FromHours(1));
        sim.Ok("qm rollback 101 base");
        sim.Clock.Advance(TimeSpan.FromMinutes(5));
        sim.Ok("qm snapshot 101 other-branch --description 'try again'");
        var r = sim.Run("qm listsnapshot 101");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "`-> base                        2024-05-01 12:00:00     clean install\n" +
            " `-> docker                     2024-05-01 13:00:00     no-description\n" +
            " `-> other-branch               2024-05-01 14:05:00     try again\n" +
            "  `-> current                                           You are here!\n",
            r.StdOut);
    }

    [Fact]
    public void ListSnapshotWithoutSnapshots()
    {
        using var sim = WithVm();
        // "%s %-27s %-23s %s\n": 27 - 7 + 1 + 23 + 1 = 45 spaces after "current".
        Assert.Equal("`-> current" + new string(' ', 45) + "You are here!\n", sim.Run("qm listsnapshot 101").StdOut);
    }

    [Fact]
    public void DeleteSnapshot()
    {
        using var sim = WithVm();
        sim.Ok("qm snapshot 101 s1");
        sim.Ok("qm snapshot 101 s2");
        var r = sim.Run("qm delsnapshot 101 s1");
        Assert.Equal((0, "  Logical volume \"snap_vm-101-disk-0_s1\" successfully removed.\n"), (r.ExitCode, r.StdOut));
        var conf = sim.Config(101);
        Assert.DoesNotContain("[s1]", conf);
        Assert.DoesNotContain("parent: s1", conf);
        Assert.Contains("parent: s2\n", conf);
        var missing = sim.Run("qm delsnapshot 101 s1");
        Assert.Equal((255, "snapshot 's1' does not exist\n"), (missing.ExitCode, missing.StdErr));
    }

    [Fact]
    public void RollbackRestoresConfigAndStopsTheVm()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --description keep-me");
        sim.Ok("qm snapshot 101 s1");
        sim.Ok("qm set 101 --cores 8 --memory 8192");
        sim.Ok("qm start 101");
        var r = sim.Run("qm rollback 101 s1");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("  Logical volume \"vm-101-disk-0\" successfully removed.\n  Logical volume \"vm-101-disk-0\" created.\n", r.StdOut);
        Assert.False(sim.Node.IsRunning(101));
        var conf = sim.Config(101);
        Assert.Contains("cores: 2\n", conf);
        Assert.Contains("memory: 2048\n", conf);
        Assert.StartsWith("#keep-me\n", conf);
        Assert.Contains("parent: s1\n", conf);
        Assert.Equal("snapshot 'nope' does not exist\n", sim.Run("qm rollback 101 nope").StdErr);
        Assert.Equal("you can't rollback if vm is a template\n", sim.Run("qm rollback 9000 s1").StdErr);
    }

    [Fact]
    public void RollbackWithStartStartsTheVm()
    {
        using var sim = WithVm();
        sim.Ok("qm snapshot 101 s1");
        var r = sim.Run("qm rollback 101 s1 --start");
        Assert.Equal(0, r.ExitCode);
        Assert.EndsWith("generating cloud-init ISO\n", r.StdOut);
        Assert.True(sim.Node.IsRunning(101));
    }

    [Fact]
    public void RunningVmWithAgentIsFrozen()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        sim.Clock.Advance(TimeSpan.FromSeconds(5));
        var r = sim.Run("qm snapshot 101 live");
        Assert.Equal(
            "issuing guest-agent 'fs-freeze' command\n" +
            "snapshotting 'drive-scsi0' (local-lvm:vm-101-disk-0)\n" +
            "  Logical volume \"snap_vm-101-disk-0_live\" created.\n" +
            "issuing guest-agent 'fs-thaw' command\n",
            r.StdOut);
    }

    [Fact]
    public void VmstateSnapshotOfARunningVmSavesRamAndRollbackStartsIt()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        var r = sim.Run("qm snapshot 101 live --vmstate 1");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("saving VM state and RAM using storage 'local-lvm'\n", r.StdOut);
        Assert.Matches(@"(?m)^vmstate: local-lvm:vm-101-state-live,size=4G$", sim.Config(101));
        sim.Ok("qm stop 101");
        sim.Ok("qm rollback 101 live");
        Assert.True(sim.Node.IsRunning(101));
        var del = sim.Run("qm delsnapshot 101 live");
        Assert.Equal(0, del.ExitCode);
        Assert.StartsWith("  Logical volume \"vm-101-state-live\" successfully removed.\n", del.StdOut);
    }

    // ---- a snapshot cut off part-way (GC/AbstractConfig.pm snapshot_create, snapshot_delete, snapshot_rollback) ----

    private static void KillNext(TestSim sim, string kind) =>
        sim.P.Faults = new FaultPlan { Drops = { new DropFault { Kind = kind, Phase = DropPhase.During } } };

    [Fact]
    public void ASnapshotKilledInItsPrepareStepLeavesPrepareAndTheLock()
    {
        using var sim = WithVm();
        sim.Ok("qm snapshot 101 s1");
        sim.Clock.Advance(TimeSpan.FromMinutes(1));
        KillNext(sim, "snapshot");
        var e = Assert.Throws<Phoenix.Engine.Errors.PhoenixException>(() => sim.Run("qm snapshot 101 s2 --description half"));
        Assert.Equal("ConnectionLost", e.Reason);
        sim.P.Faults = null;
        var conf = sim.Config(101);
        Assert.Contains("lock: snapshot\n", conf);
        Assert.Contains("parent: s1\n", conf.Substring(0, conf.IndexOf("[s1]", StringComparison.Ordinal)));
        Assert.Contains("\n[s2]\n#half\n", conf);
        var s2 = conf.Substring(conf.IndexOf("[s2]", StringComparison.Ordinal));
        Assert.Contains("parent: s1\n", s2);
        Assert.Contains("snapstate: prepare\n", s2);
        Assert.Contains("snaptime: 1714557660\n", s2);

        // listsnapshot shows it like any other; current still hangs under s1.
        Assert.Equal(
            "`-> s1                          2024-05-01 10:00:00     no-description\n" +
            " `-> s2                         2024-05-01 10:01:00     half\n" +
            " `-> current                                            You are here!\n",
            sim.Run("qm listsnapshot 101").StdOut);
        Assert.Equal((255, "unable to rollback to incomplete snapshot (snapstate = prepare)\n"),
            (sim.Run("qm rollback 101 s2").ExitCode, sim.Run("qm rollback 101 s2").StdErr));
        // snapshot_delete first sets its own lock (set_lock), so the snapshot lock stops it, --force or not.
        Assert.Equal((255, "VM is locked (snapshot)\n"), (sim.Run("qm delsnapshot 101 s2").ExitCode, sim.Run("qm delsnapshot 101 s2").StdErr));
        Assert.Equal("VM is locked (snapshot)\n", sim.Run("qm delsnapshot 101 s2 --force").StdErr);
        Assert.Equal("VM is locked (snapshot)\n", sim.Run("qm snapshot 101 s3").StdErr);

        var unlock = sim.Run("qm unlock 101");
        Assert.Equal((0, "", ""), (unlock.ExitCode, unlock.StdOut, unlock.StdErr));
        Assert.DoesNotContain("lock:", sim.Config(101));
    }

    [Fact]
    public void AfterUnlockAPreparedSnapshotIsRemovedOnlyWithForce()
    {
        using var sim = WithVm();
        KillNext(sim, "snapshot");
        Assert.Throws<Phoenix.Engine.Errors.PhoenixException>(() => sim.Run("qm snapshot 101 s2"));
        sim.P.Faults = null;
        sim.Ok("qm unlock 101");

        // The disks never got the snapshot: without --force the storage error ends the task and leaves
        // the snapshot marked for deletion under the delete lock.
        const string lvError = "lvremove snapshot 'pve/snap_vm-101-disk-0_s2' error:   Failed to find logical volume \"pve/snap_vm-101-disk-0_s2\"\n";
        var plain = sim.Run("qm delsnapshot 101 s2");
        Assert.Equal((255, "", lvError), (plain.ExitCode, plain.StdOut, plain.StdErr));
        var conf = sim.Config(101);
        Assert.Contains("lock: snapshot-delete\n", conf);
        Assert.Contains("snapstate: delete\n", conf);
        Assert.Equal("VM is locked (snapshot-delete)\n", sim.Run("qm delsnapshot 101 s2 --force").StdErr);

        sim.Ok("qm unlock 101");
        var forced = sim.Run("qm delsnapshot 101 s2 --force");
        Assert.Equal((0, lvError, ""), (forced.ExitCode, forced.StdOut, forced.StdErr));
        conf = sim.Config(101);
        Assert.DoesNotContain("[s2]", conf);
        Assert.DoesNotContain("lock:", conf);
        Assert.DoesNotContain("parent:", conf);
        Assert.DoesNotContain("unused", conf);
    }

    [Fact]
    public void AnInterruptedDeleteOrRollbackLeavesItsLock()
    {
        using var sim = WithVm();
        sim.Ok("qm snapshot 101 s1");
        KillNext(sim, "delsnapshot");
        Assert.Throws<Phoenix.Engine.Errors.PhoenixException>(() => sim.Run("qm delsnapshot 101 s1"));
        Assert.Contains("lock: snapshot-delete\n", sim.Config(101));
        Assert.Contains("snapstate: delete\n", sim.Config(101));
        sim.P.Faults = null;
        Assert.Equal("unable to rollback to incomplete snapshot (snapstate = delete)\n", sim.Run("qm rollback 101 s1").StdErr);
        sim.Ok("qm unlock 101");
        // The volume snapshot is still there, so a plain delete finishes the job.
        var again = sim.Run("qm delsnapshot 101 s1");
        Assert.Equal((0, "  Logical volume \"snap_vm-101-disk-0_s1\" successfully removed.\n"), (again.ExitCode, again.StdOut));
        Assert.DoesNotContain("[s1]", sim.Config(101));

        sim.Ok("qm snapshot 101 s2");
        KillNext(sim, "rollback");
        Assert.Throws<Phoenix.Engine.Errors.PhoenixException>(() => sim.Run("qm rollback 101 s2"));
        sim.P.Faults = null;
        Assert.Contains("lock: rollback\n", sim.Config(101));
        Assert.Equal("VM is locked (rollback)\n", sim.Run("qm start 101").StdErr);
    }
}
