using System.Text;
using Phoenix.Engine.Errors;
using Phoenix.Simulator.Faults;

namespace Phoenix.Simulator.Tests;

/// <summary>qm clone --target and offline qm migrate across the nodes of a cluster (section 8 of the note).</summary>
public class ClusterMoveTests
{
    /// <summary>A template on the shared NFS storage: a raw base disk and a cloud-init drive.</summary>
    private static TestSim WithSharedTemplate()
    {
        var sim = TestSim.Cluster();
        sim.Ok("qm create 9100 --name shared-tpl --memory 1024 --scsi0 shared:4 --ide2 shared:cloudinit --net0 virtio,bridge=vmbr0 --boot order=scsi0");
        sim.Ok("qm template 9100");
        return sim;
    }

    [Fact]
    public void ACloneOfASharedTemplateGoesToTheTargetNode()
    {
        using var sim = WithSharedTemplate();
        var r = sim.Run("qm clone 9100 301 --target pve2 --name web");
        Assert.Equal((0, ""), (r.ExitCode, r.StdErr));
        Assert.Equal(
            "creating a clone of VM 9100 with ID 301\n" +
            "create full clone of drive ide2 (shared:9100/vm-9100-cloudinit.qcow2)\n" +
            "Formatting '/mnt/pve/shared/images/301/vm-301-cloudinit.qcow2', fmt=qcow2 cluster_size=65536 extended_l2=off preallocation=metadata" +
            " compression_type=zlib size=4194304 lazy_refcounts=off refcount_bits=16\n" +
            "allocated target volume 'shared:301/vm-301-cloudinit.qcow2'\n" +
            "create linked clone of drive scsi0 (shared:9100/base-9100-disk-0.raw)\n" +
            "clone 9100/base-9100-disk-0.raw: images, vm-301-disk-0.qcow2, 301 to vm-301-disk-0.qcow2 (base=../9100/base-9100-disk-0.raw)\n" +
            "Formatting '/mnt/pve/shared/images/301/vm-301-disk-0.qcow2', fmt=qcow2 cluster_size=65536 extended_l2=off compression_type=zlib" +
            " size=4294967296 backing_file=../9100/base-9100-disk-0.raw backing_fmt=raw lazy_refcounts=off refcount_bits=16\n",
            r.StdOut);
        // pve2 owns the clone now; pve1 does not know it as its own.
        var pve2 = sim.On("pve2");
        Assert.Contains("scsi0: shared:9100/base-9100-disk-0.raw/301/vm-301-disk-0.qcow2,size=4G\n", pve2.Run("qm config 301").StdOut);
        Assert.DoesNotContain("lock", pve2.Config(301));
        Assert.Equal("Configuration file 'nodes/pve1/qemu-server/301.conf' does not exist\n", sim.Run("qm config 301").StdErr);
        Assert.Contains("       301 web ", pve2.Run("qm list").StdOut);
        Assert.Contains("\"id\":\"qemu/301\",", sim.Run("pvesh get /cluster/resources --type vm --output-format json").StdOut);
        // The target equal to the local node is ignored.
        sim.Ok("qm clone 9100 302 --target pve1");
        Assert.Contains(302, sim.Node.VmIds);
    }

    [Fact]
    public void CloneToAnotherNodeRefusals()
    {
        using var sim = WithSharedTemplate();
        Assert.Equal((255, "", "can't clone VM to node 'pve2' (VM uses local storage)\n"), TestSim.Result(sim.Run("qm clone 9000 300 --target pve2")));
        // Checked on the source's storages: --storage does not get round it.
        Assert.Equal("can't clone VM to node 'pve2' (VM uses local storage)\n", sim.Run("qm clone 9000 300 --target pve2 --full --storage shared").StdErr);
        Assert.Equal("can't clone to non-shared storage 'local-lvm'\n", sim.Run("qm clone 9100 300 --target pve2 --full --storage local-lvm").StdErr);
        Assert.Equal("no such cluster node 'pve9'\n", sim.Run("qm clone 9100 300 --target pve9").StdErr);
        Assert.Equal("parameter 'storage' not allowed for linked clones\n", sim.Run("qm clone 9100 300 --target pve2 --storage shared").StdErr);
        // The target's being down is not checked: the config lands in its folder all the same.
        sim.P.Faults = new FaultPlan { NodesDown = { "pve3" } };
        Assert.Equal(0, sim.Run("qm clone 9100 303 --target pve3").ExitCode);
        sim.P.Faults = null;
        Assert.Contains("name: Copy-of-VM-shared-tpl\n", sim.On("pve3").Config(303));
    }

    [Fact]
    public void AnOfflineMigrationCopiesTheLocalDisksAndMovesTheConfig()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101 --name web01");
        var r = sim.Run("qm migrate 101 pve2");
        Assert.Equal((0, ""), (r.ExitCode, r.StdErr));
        Assert.Equal(
            "2024-05-01 10:00:00 starting migration of VM 101 to node 'pve2' (10.0.0.12)\n" +
            "2024-05-01 10:00:00 found generated disk 'local-lvm:vm-101-cloudinit' (in current VM config)\n" +
            "2024-05-01 10:00:00 found local disk 'local-lvm:vm-101-disk-0' (attached)\n" +
            "2024-05-01 10:00:00 copying local disk images\n" +
            "2024-05-01 10:00:00   Logical volume \"vm-101-cloudinit\" created.\n" +
            "2024-05-01 10:00:00 successfully imported 'local-lvm:vm-101-cloudinit'\n" +
            "2024-05-01 10:00:00 volume 'local-lvm:vm-101-cloudinit' is 'local-lvm:vm-101-cloudinit' on the target\n" +
            "2024-05-01 10:00:00   Logical volume \"vm-101-disk-0\" created.\n" +
            "2024-05-01 10:00:00 successfully imported 'local-lvm:vm-101-disk-0'\n" +
            "2024-05-01 10:00:00 volume 'local-lvm:vm-101-disk-0' is 'local-lvm:vm-101-disk-0' on the target\n" +
            "  Logical volume \"vm-101-cloudinit\" successfully removed.\n" +
            "  Logical volume \"vm-101-disk-0\" successfully removed.\n" +
            "2024-05-01 10:00:00 migration finished successfully (duration 00:00:00)\n",
            r.StdOut);
        var pve2 = sim.On("pve2");
        Assert.DoesNotContain(101, sim.Node.VmIds);
        Assert.Contains("name: web01\n", pve2.Config(101));
        Assert.DoesNotContain("lock", pve2.Config(101));
        Assert.NotNull(pve2.Node.FindVolume("local-lvm:vm-101-disk-0"));
        Assert.Null(sim.Node.FindVolume("local-lvm:vm-101-disk-0"));
        // It runs on its new node.
        Assert.Equal(0, pve2.Run("qm start 101").ExitCode);
    }

    [Fact]
    public void MigrateRefusesBeforeTheTask()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101");
        Assert.Equal((255, "", "400 Parameter verification failed.\ntarget: target is local node.\nqm migrate <vmid> <target> [OPTIONS]\n"),
            TestSim.Result(sim.Run("qm migrate 101 pve1")));
        Assert.Equal("no such cluster node 'pve9'\n", sim.Run("qm migrate 101 pve9").StdErr);
        Assert.Equal("Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n", sim.On("pve2").Run("qm migrate 101 pve3").StdErr);
        sim.Ok("qm start 101");
        Assert.Equal((255, "", "can't migrate running VM without --online\n"), TestSim.Result(sim.Run("qm migrate 101 pve2")));
        sim.Ok("qm stop 101");
        var cfg = System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/etc/pve/storage.cfg")!);
        sim.WriteFile("/etc/pve/storage.cfg", cfg.Replace("\tcontent rootdir,images\n", "\tcontent rootdir,images\n\tnodes pve1,pve3\n"));
        Assert.Equal((255, "", "storage 'local-lvm' is not available on node 'pve2'\n"), TestSim.Result(sim.Run("qm migrate 101 pve2")));
        sim.WriteFile("/etc/pve/storage.cfg", cfg);
        // A stopped VM with --online: a warning, then the offline migration.
        var online = sim.Run("qm migrate 101 pve2 --online");
        Assert.Equal((0, "VM isn't running. Doing offline migration instead.\n"), (online.ExitCode, online.StdErr));
    }

    [Fact]
    public void SeededStorageOnSomeNodesAndAVmWithALocalCdromImage()
    {
        // What phoenix-sim init --storage-nodes tank=pve1,pve2 --cdrom-vm 9005:tools seeds (the fake cluster has both).
        using var sim = TestSim.Cluster(o =>
        {
            o.ZfsStorages.Add("tank");
            o.StorageNodes["tank"] = "pve1,pve2";
            o.CdromVms[9005] = "tools";
        });
        Assert.Contains("zfspool: tank\n\tpool rpool/data\n\tcontent images,rootdir\n\tsparse 1\n\tnodes pve1,pve2\n",
            Encoding.UTF8.GetString(sim.P.Store.ReadFile("/etc/pve/storage.cfg")!));
        Assert.Matches(@"(?m)^tank +zfspool +disabled +0 +0 +0 +N/A$", sim.On("pve3").Run("pvesm status").StdOut);
        Assert.Equal("storage 'tank' is not available on node 'pve3'\n", sim.Run("qm clone 9005 400 --storage tank --full --target pve3").StdErr);
        Assert.Contains("ide2: local:iso/tools.iso,media=cdrom,size=4M\n", sim.Run("qm config 9005").StdOut);
        Assert.Equal("can't clone VM to node 'pve2' (VM uses local storage)\n", sim.Run("qm clone 9005 402 --target pve2").StdErr);
        var r = sim.Run("qm migrate 9005 pve2");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("can't migrate local disk 'local:iso/tools.iso': local cdrom image\n", r.StdOut);
        Assert.Contains(9005, sim.Node.VmIds);
    }

    [Fact]
    public void LocalDisksThatCannotGoAbortTheMigrationAndClearTheLock()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm snapshot 101 s1");
        sim.Ok("qm set 101 --ide0 local:iso/noble.iso,media=cdrom");
        var r = sim.Run("qm migrate 101 pve2");
        Assert.Equal((255, "migration aborted\n"), (r.ExitCode, r.StdErr));
        Assert.Equal(
            "2024-05-01 10:00:00 starting migration of VM 101 to node 'pve2' (10.0.0.12)\n" +
            "2024-05-01 10:00:00 found generated disk 'local-lvm:vm-101-cloudinit' (in current VM config)\n" +
            "2024-05-01 10:00:00 found local disk 'local-lvm:vm-101-disk-0' (attached)\n" +
            "2024-05-01 10:00:00 found local disk 'local:iso/noble.iso' (attached)\n" +
            "2024-05-01 10:00:00 can't migrate local disk 'local-lvm:vm-101-disk-0': non-migratable snapshot exists\n" +
            "2024-05-01 10:00:00 can't migrate local disk 'local:iso/noble.iso': local cdrom image\n" +
            "2024-05-01 10:00:00 ERROR: Problem found while scanning volumes - can't migrate VM - check log\n" +
            "2024-05-01 10:00:00 aborting phase 1 - cleanup resources\n" +
            "2024-05-01 10:00:00 ERROR: migration aborted (duration 00:00:00): Problem found while scanning volumes - can't migrate VM - check log\n",
            r.StdOut);
        Assert.DoesNotContain("lock", sim.Config(101));
        Assert.Contains(101, sim.Node.VmIds);
    }

    [Fact]
    public void LinkedClonesAndTheirBasesStayOnZfs()
    {
        using var sim = TestSim.Cluster(o => o.ZfsStorages.Add("tank"));
        sim.Ok("qm create 9200 --name zt --scsi0 tank:4");
        sim.Ok("qm template 9200");
        sim.Ok("qm clone 9200 201");
        var clone = sim.Run("qm migrate 201 pve2");
        Assert.Equal(255, clone.ExitCode);
        Assert.Contains(" ERROR: migration aborted (duration 00:00:00): Problem found while scanning volumes - can't migrate"
            + " 'tank:base-9200-disk-0/vm-201-disk-0' as it's a clone of 'base-9200-disk-0' at /usr/share/perl5/PVE/QemuMigrate.pm line 586.\n",
            clone.StdOut);
        var template = sim.Run("qm migrate 9200 pve2");
        Assert.Contains(" can't migrate local disk 'tank:base-9200-disk-0': referenced by linked clone(s)\n", template.StdOut);
    }

    [Fact]
    public void ADownTargetOrAKillLeavesTheVmWhereItWas()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101");
        sim.P.Faults = new FaultPlan { NodesDown = { "pve3" } };
        var down = sim.Run("qm migrate 101 pve3");
        Assert.Equal((255,
            "2024-05-01 10:00:00 ERROR: migration aborted (duration 00:00:00): Can't connect to destination address using public key\n",
            "migration aborted\n"), TestSim.Result(down));
        sim.P.Faults = new FaultPlan { Drops = { new DropFault { Kind = "migrate", Phase = DropPhase.During } } };
        Assert.Throws<PhoenixException>(() => sim.Run("qm migrate 101 pve2"));
        sim.P.Faults = null;
        Assert.Contains("lock: migrate\n", sim.Config(101));
        Assert.Equal("VM is locked (migrate)\n", sim.Run("qm migrate 101 pve2").StdErr);
    }
}
