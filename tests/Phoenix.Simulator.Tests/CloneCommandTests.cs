namespace Phoenix.Simulator.Tests;

/// <summary>qm clone (section 1 of the note).</summary>
public class CloneCommandTests
{
    [Fact]
    public void LinkedCloneOfTheTemplate()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --name web01");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.StdErr);
        Assert.Equal(
            "creating a clone of VM 9000 with ID 123\n" +
            "create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)\n" +
            "  Logical volume \"vm-123-cloudinit\" created.\n" +
            "allocated target volume 'local-lvm:vm-123-cloudinit'\n" +
            "create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)\n" +
            "  Logical volume \"vm-123-disk-0\" created.\n",
            r.StdOut);
        var conf = sim.Config(123);
        Assert.Contains("scsi0: local-lvm:vm-123-disk-0,size=32G\n", conf);
        Assert.Contains("ide2: local-lvm:vm-123-cloudinit,media=cdrom,size=4M\n", conf);
        Assert.Contains("name: web01\n", conf);
        Assert.DoesNotContain("template", conf);
        Assert.DoesNotContain("lock", conf);
        Assert.DoesNotContain("BC:24:11:5E:7A:01", conf);
        Assert.DoesNotContain("6f1d3c52-8a4e-4b7f-9c21-5e0a7d3b9f14", conf);
    }

    [Fact]
    public void DefaultNameIsCopyOfVm()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 123");
        Assert.Contains("name: Copy-of-VM-ubuntu-2404-cloud-template\n", sim.Config(123));
    }

    [Fact]
    public void FullCloneCopiesTheData()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 124 --full");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "creating a clone of VM 9000 with ID 124\n" +
            "create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)\n" +
            "  Logical volume \"vm-124-cloudinit\" created.\n" +
            "allocated target volume 'local-lvm:vm-124-cloudinit'\n" +
            "create full clone of drive scsi0 (local-lvm:base-9000-disk-0)\n" +
            "  Logical volume \"vm-124-disk-0\" created.\n" +
            "allocated target volume 'local-lvm:vm-124-disk-0'\n" +
            "transferred 0.0 B of 32.0 GiB (0.00%)\n" +
            "transferred 8.0 GiB of 32.0 GiB (25.00%)\n" +
            "transferred 16.0 GiB of 32.0 GiB (50.00%)\n" +
            "transferred 24.0 GiB of 32.0 GiB (75.00%)\n" +
            "transferred 32.0 GiB of 32.0 GiB (100.00%)\n",
            r.StdOut);
    }

    [Fact]
    public void TargetThatExistsIsATaskError()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 123");
        var r = sim.Run("qm clone 9000 123");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("unable to create VM 123: config file already exists\n", r.StdErr);
    }

    [Fact]
    public void MissingSnapshot()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        var r = sim.Run("qm clone 101 102 --snapname golden");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("snapshot 'golden' does not exist\n", r.StdErr);
    }

    [Fact]
    public void StorageAndFormatAreNotAllowedForLinkedClones()
    {
        using var sim = TestSim.Create();
        Assert.Equal("parameter 'storage' not allowed for linked clones\n", sim.Run("qm clone 9000 123 --storage local-lvm").StdErr);
        Assert.Equal("parameter 'format' not allowed for linked clones\n", sim.Run("qm clone 9000 123 --format qcow2").StdErr);
    }

    [Fact]
    public void StorageWithoutImagesIsAParamError()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --full --storage local");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("400 Parameter verification failed.\nstorage: storage 'local' does not support vm images\nqm clone <vmid> <newid> [OPTIONS]\n", r.StdErr);
        Assert.Equal("storage 'nope' does not exist\n", sim.Run("qm clone 9000 123 --full --storage nope").StdErr);
    }

    [Fact]
    public void LockedSourceIsRefused()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm set 101 --lock backup");
        var r = sim.Run("qm clone 101 102");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("VM is locked (backup)\n", r.StdErr);
    }

    [Fact]
    public void LinkedCloneOfANormalVmIsNotSupported()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        var r = sim.Run("qm clone 101 102 --full 0");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("Linked clone feature is not supported for 'local-lvm:vm-101-disk-0' (scsi0)\n", r.StdErr);
    }

    [Fact]
    public void LinkedCloneFromASnapshotWorksOnLvmThin()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm snapshot 101 golden");
        var r = sim.Run("qm clone 101 102 --snapname golden --full 0 --name from-golden");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("create linked clone of drive scsi0 (local-lvm:vm-101-disk-0)\n  Logical volume \"vm-102-disk-0\" created.\n", r.StdOut);
        Assert.Contains("scsi0: local-lvm:vm-102-disk-0,size=32G\n", sim.Config(102));
        Assert.DoesNotContain("parent", sim.Config(102));
        Assert.DoesNotContain("snaptime", sim.Config(102));
    }

    [Fact]
    public void ALinkedCloneFromASnapshotOnLvmThinDoesNotKeepTheSnapshotFromBeingDeletedAndTakenAgain()
    {
        // LvmThinPlugin deletes a snapshot with lvremove and tracks no linked clones: a thin snapshot outlives its origin.
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm snapshot 101 golden");
        sim.Ok("qm clone 101 102 --snapname golden --full 0 --name from-golden");
        var delete = sim.Run("qm delsnapshot 101 golden");
        Assert.Equal((0, ""), (delete.ExitCode, delete.StdErr));
        Assert.Equal(0, sim.Run("qm snapshot 101 golden").ExitCode);
        Assert.Contains("scsi0: local-lvm:vm-102-disk-0,size=32G\n", sim.Config(102));
    }

    [Fact]
    public void DirectoryStorageCannotCloneFromASnapshot()
    {
        using var sim = TestSim.Create();
        sim.WriteFile("/etc/pve/storage.cfg",
            "dir: local\n\tpath /var/lib/vz\n\tcontent backup,images,iso,snippets,vztmpl\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n" +
                "\tcontent rootdir,images\n");
        sim.Ok("qm create 300 --name dirvm --scsi0 local:4,format=qcow2");
        sim.Ok("qm snapshot 300 s1");
        var linked = sim.Run("qm clone 300 301 --snapname s1 --full 0");
        Assert.Equal("Linked clone feature is not supported for a snapshot of 'local:300/vm-300-disk-0.qcow2' (scsi0)\n", linked.StdErr);
        var full = sim.Run("qm clone 300 301 --snapname s1");
        Assert.Equal(0, full.ExitCode);
        sim.Ok("qm create 310 --name rawvm --scsi0 local:4,format=raw");
        Assert.Equal("snapshot feature is not available\n", sim.Run("qm snapshot 310 s1").StdErr);
    }

    [Fact]
    public void LinkedCloneOnDirectoryStorageUsesABackingFile()
    {
        using var sim = TestSim.Create();
        sim.WriteFile("/etc/pve/storage.cfg",
            "dir: local\n\tpath /var/lib/vz\n\tcontent backup,images,iso,snippets,vztmpl\n");
        sim.Ok("qm create 900 --name tpl --scsi0 local:4,format=qcow2");
        sim.Ok("qm template 900");
        var r = sim.Run("qm clone 900 901");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("create linked clone of drive scsi0 (local:900/base-900-disk-0.qcow2)\n" +
                        "clone 900/base-900-disk-0.qcow2: images, vm-901-disk-0.qcow2, 901 to vm-901-disk-0.qcow2" +
                        " (base=../900/base-900-disk-0.qcow2)\n", r.StdOut);
        Assert.Contains("scsi0: local:900/base-900-disk-0.qcow2/901/vm-901-disk-0.qcow2,size=4G\n", sim.Config(901));
        var destroy = sim.Run("qm destroy 900");
        Assert.Equal(255, destroy.ExitCode);
        Assert.Equal("base volume 'local:900/base-900-disk-0.qcow2' is still in use by linked cloned\n", destroy.StdErr);
    }

    [Fact]
    public void OtherNodeIsUnknown()
    {
        using var sim = TestSim.Create();
        Assert.Equal("no such cluster node 'pve2'\n", sim.Run("qm clone 9000 123 --target pve2").StdErr);
        Assert.Equal(0, sim.Run("qm clone 9000 123 --target pve").ExitCode);
    }

    [Fact]
    public void PoolMustExist()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm clone 9000 123 --pool prod");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("403 Permission check failed (pool 'prod' does not exist)\n", r.StdErr);
    }

    [Fact]
    public void PendingChangesAreDiscarded()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        sim.Ok("qm set 101 --memory 4096 --cores 4");
        sim.Ok("qm stop 101");
        var r = sim.Run("qm clone 101 102 --full");
        Assert.Contains("found pending changes for 'cores,memory', discarding for clone\n", r.StdOut);
        Assert.Contains("memory: 2048\n", sim.Config(102));
    }

    [Fact]
    public async Task TheTargetIsATemporaryLockedConfigWhileCloning()
    {
        using var sim = TestSim.Create(o =>
        {
            o.Clock = SystemSimulatorClock.Instance;
            o.Faults = new Faults.FaultPlan { Latency = { ["clone"] = 0.4 } };
        });
        var clone = Task.Run(() => sim.Run("qm clone 9000 123"));
        string? during = null;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (during == null && DateTime.UtcNow < deadline)
        {
            during = sim.Node.ReadConfigText(123);
            Thread.Sleep(5);
        }
        Assert.Equal("# qmclone temporary file\nlock: clone\n", during);
        Assert.Equal(0, (await clone).ExitCode);
        Assert.DoesNotContain("lock", sim.Config(123));
    }

    [Fact]
    public void ACloneKilledPartWayLeavesTheLockedConfigAndItsFirstDisk()
    {
        using var sim = TestSim.Create();
        sim.P.Faults = new Faults.FaultPlan { Drops = { new Faults.DropFault { Kind = "clone", Phase = Faults.DropPhase.During } } };
        Assert.Throws<Phoenix.Engine.Errors.PhoenixException>(() => sim.Run("qm clone 9000 123 --name web01"));
        sim.P.Faults = null;
        // No cleanup ran: the target config holds `lock: clone` and the drive cloned so far (ide2 sorts first).
        var conf = sim.Config(123);
        Assert.Contains("lock: clone\n", conf);
        Assert.Contains("ide2: local-lvm:vm-123-cloudinit,media=cdrom,size=4M\n", conf);
        Assert.DoesNotContain("scsi0: ", conf);
        Assert.Equal("VM is locked (clone)\n", sim.Run("qm destroy 123").StdErr);
        Assert.Equal("unable to create VM 123: config file already exists\n", sim.Run("qm clone 9000 123").StdErr);
    }

    [Fact]
    public void FromASnapshotTheCloneTakesTheSnapshotsConfigAndDescription()
    {
        // clone_vm copies every key of the snapshot section ($oldconf, QS/API2/Qemu.pm 4490-4575), its
        // description included; only a non-empty --description replaces it (4607-4609).
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm set 101 --description 'the VM itself' --cores 4");
        sim.Ok("qm snapshot 101 golden --description 'golden image'");
        sim.Ok("qm set 101 --cores 8 --memory 4096 --description 'changed later'");
        sim.Ok("qm clone 101 102 --snapname golden --name web02");
        var config = sim.Run("qm config 102").StdOut;
        Assert.Contains("description: golden image\n", config);
        Assert.Contains("cores: 4\n", config);
        Assert.Contains("memory: 2048\n", config);
        Assert.DoesNotContain("snaptime", config);
        Assert.DoesNotContain("parent", config);
        sim.Ok("qm clone 101 103 --snapname golden --name web03 --description 'own text'");
        Assert.Contains("description: own text\n", sim.Run("qm config 103").StdOut);
    }
}
