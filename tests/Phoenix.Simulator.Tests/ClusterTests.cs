using Phoenix.Engine.Errors;
using Phoenix.Simulator.Faults;

namespace Phoenix.Simulator.Tests;

/// <summary>Section 8 of the note: several nodes, one /etc/pve, VMs owned by one node, quorum.</summary>
public class ClusterTests
{
    private static void Down(TestSim sim, params string[] nodes)
    {
        var plan = new FaultPlan();
        foreach (var n in nodes) plan.NodesDown.Add(n);
        sim.P.Faults = plan;
    }

    [Fact]
    public void ALoneNodeReportsItselfAsProxmoxFakesIt()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("pvesh get /cluster/status --output-format json");
        Assert.Equal((0, ""), (r.ExitCode, r.StdErr));
        Assert.Equal(
            "[{\"id\":\"node/pve\",\"ip\":\"10.0.0.11\",\"level\":\"\",\"local\":1,\"name\":\"pve\",\"nodeid\":0,\"online\":1,\"type\":\"node\"}]\n",
            r.StdOut);
        Assert.False(sim.P.Cluster.IsCluster);
        Assert.Null(sim.P.Store.ReadFile("/etc/pve/corosync.conf"));
    }

    [Fact]
    public void ClusterStatusListsEveryMemberAndWhichIsLocal()
    {
        using var sim = TestSim.Cluster();
        Assert.Equal(
            "[{\"id\":\"cluster\",\"name\":\"phoenix\",\"nodes\":3,\"quorate\":1,\"type\":\"cluster\",\"version\":3}," +
            "{\"id\":\"node/pve1\",\"ip\":\"10.0.0.11\",\"level\":\"\",\"local\":0,\"name\":\"pve1\",\"nodeid\":1,\"online\":1,\"type\":\"node\"}," +
            "{\"id\":\"node/pve2\",\"ip\":\"10.0.0.12\",\"level\":\"\",\"local\":1,\"name\":\"pve2\",\"nodeid\":2,\"online\":1,\"type\":\"node\"}," +
            "{\"id\":\"node/pve3\",\"ip\":\"10.0.0.13\",\"level\":\"\",\"local\":0,\"name\":\"pve3\",\"nodeid\":3,\"online\":1,\"type\":\"node\"}]\n",
            sim.On("pve2").Run("pvesh get /cluster/status --output-format json").StdOut);
        var corosync = System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/etc/pve/corosync.conf")!);
        Assert.Contains("  node {\n    name: pve3\n    nodeid: 3\n    quorum_votes: 1\n    ring0_addr: 10.0.0.13\n  }\n", corosync);
        Assert.Equal("pve2\n", System.Text.Encoding.UTF8.GetString(sim.On("pve2").P.Store.ReadFile("/etc/hostname")!));
    }

    [Fact]
    public void QmAnswersOnlyForTheNodesOwnVms()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101 --name web01");
        var pve2 = sim.On("pve2");
        Assert.Equal((255, "", "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n"), TestSim.Result(pve2.Run("qm config 101")));
        Assert.Equal((255, "", "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n"), TestSim.Result(pve2.Run("qm status 101")));
        Assert.Equal((255, "", "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n"), TestSim.Result(pve2.Run("qm start 101")));
        // qm clone checks where the source runs first (check_running).
        Assert.Equal((255, "", "unable to find configuration file for VM 9000 on node 'pve2'\n"), TestSim.Result(pve2.Run("qm clone 9000 102")));
        Assert.Equal((0, "", ""), TestSim.Result(pve2.Run("qm list")));
        Assert.Equal(
            "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n" +
            "       101 web01                stopped    2048              32.00 0         \n" +
            "      9000 ubuntu-2404-cloud-template stopped    2048              32.00 0         \n",
            sim.Run("qm list").StdOut);
        Assert.Contains("name: web01\n", sim.Run("qm config 101").StdOut);
    }

    [Fact]
    public void VmIdsAreUniqueInTheWholeClusterContainersIncluded()
    {
        using var sim = TestSim.Cluster(o => o.Containers.Add(new SimulatedContainer { VmId = 102, Name = "dns" }));
        sim.Ok("qm clone 9000 101");
        var pve3 = sim.On("pve3");
        Assert.Equal((255, "", "unable to create VM 101 - VM 101 already exists on node 'pve1'\n"), TestSim.Result(pve3.Run("qm create 101 --memory 512")));
        Assert.Equal((255, "", "unable to create VM 102 - CT 102 already exists on node 'pve1'\n"), TestSim.Result(pve3.Run("qm create 102 --memory 512")));
        Assert.Equal("100\n", pve3.Run("pvesh get /cluster/nextid").StdOut);
        sim.Ok("qm clone 9000 100");
        Assert.Equal("103\n", pve3.Run("pvesh get /cluster/nextid").StdOut);
        var taken = pve3.Run("pvesh get /cluster/nextid --vmid 101");
        Assert.Equal((255, "400 Parameter verification failed.\nvmid: VM 101 already exists\npvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n"),
            (taken.ExitCode, taken.StdErr));
    }

    [Fact]
    public void ACloneToAnIdThatAnotherNodeHasFailsInTheClusterFilesystem()
    {
        using var sim = TestSim.Cluster();
        sim.On("pve2").Ok("qm create 200 --name other --memory 512");
        var r = sim.Run("qm clone 9000 200");
        Assert.Equal(
            (255, "creating a clone of VM 9000 with ID 200\n", "close (rename) atomic file '/etc/pve/nodes/pve1/qemu-server/200.conf' failed: File exists\n"),
            TestSim.Result(r));
        Assert.DoesNotContain(200, sim.Node.VmIds);
        Assert.Contains("name: other\n", sim.On("pve2").Config(200));
    }

    [Fact]
    public void ResourcesCoverEveryNodeInIdTextOrder()
    {
        using var sim = TestSim.Cluster(o => o.Empty = true);
        sim.On("pve2").Ok("qm create 100 --name a --memory 512");
        sim.On("pve3").Ok("qm create 1000 --name b");
        sim.Ok("qm create 101 --name c --tags prod");
        sim.Ok("qm set 101 --lock backup");
        var r = sim.On("pve2").Run("pvesh get /cluster/resources --type vm --output-format json");
        Assert.Equal(
            "[{\"cpu\":0,\"disk\":0,\"diskread\":0,\"diskwrite\":0,\"id\":\"qemu/100\",\"maxcpu\":1,\"maxdisk\":0,\"maxmem\":536870912,\"mem\":0," +
            "\"name\":\"a\",\"netin\":0,\"netout\":0,\"node\":\"pve2\",\"status\":\"stopped\",\"template\":0,\"type\":\"qemu\",\"uptime\":0,\"vmid\":100}," +
            "{\"cpu\":0,\"disk\":0,\"diskread\":0,\"diskwrite\":0,\"id\":\"qemu/1000\",\"maxcpu\":1,\"maxdisk\":0,\"maxmem\":536870912,\"mem\":0," +
            "\"name\":\"b\",\"netin\":0,\"netout\":0,\"node\":\"pve3\",\"status\":\"stopped\",\"template\":0,\"type\":\"qemu\",\"uptime\":0,\"vmid\":1000}," +
            "{\"cpu\":0,\"disk\":0,\"diskread\":0,\"diskwrite\":0,\"id\":\"qemu/101\",\"lock\":\"backup\",\"maxcpu\":1,\"maxdisk\":0,\"maxmem\":536870912," +
            "\"mem\":0,\"name\":\"c\",\"netin\":0,\"netout\":0,\"node\":\"pve1\",\"status\":\"stopped\",\"tags\":\"prod\",\"template\":0,\"type\":\"qemu\"," +
            "\"uptime\":0,\"vmid\":101}]\n",
            r.StdOut);
    }

    [Fact]
    public void ADownNodeIsOfflineItsVmsUnknownAndItAnswersNothing()
    {
        using var sim = TestSim.Cluster(o => o.Empty = true);
        sim.On("pve3").Ok("qm create 1000 --name b --tags web");
        // pvesh runs a call for another node there.
        Assert.Contains("\"name\":\"b\"", sim.Run("pvesh get /nodes/pve3/qemu --output-format json").StdOut);
        Down(sim, "pve3");
        Assert.Equal("[{\"id\":\"qemu/1000\",\"node\":\"pve3\",\"status\":\"unknown\",\"tags\":\"web\",\"type\":\"qemu\",\"vmid\":1000}]\n",
            sim.Run("pvesh get /cluster/resources --type vm --output-format json").StdOut);
        Assert.Equal(
            "[{\"cpu\":0.01,\"disk\":4582817792,\"id\":\"node/pve1\",\"level\":\"\",\"maxcpu\":8,\"maxdisk\":100861726720,\"maxmem\":34359738368," +
            "\"mem\":4294967296,\"node\":\"pve1\",\"status\":\"online\",\"type\":\"node\",\"uptime\":86400}," +
            "{\"cpu\":0.01,\"disk\":4582817792,\"id\":\"node/pve2\",\"level\":\"\",\"maxcpu\":8,\"maxdisk\":100861726720,\"maxmem\":34359738368," +
            "\"mem\":4294967296,\"node\":\"pve2\",\"status\":\"online\",\"type\":\"node\",\"uptime\":86400}," +
            "{\"id\":\"node/pve3\",\"node\":\"pve3\",\"status\":\"offline\",\"type\":\"node\"}]\n",
            sim.Run("pvesh get /cluster/resources --type node --output-format json").StdOut);
        var status = sim.Run("pvesh get /cluster/status --output-format json").StdOut;
        Assert.StartsWith("[{\"id\":\"cluster\",\"name\":\"phoenix\",\"nodes\":3,\"quorate\":1,", status);
        Assert.Contains("\"name\":\"pve3\",\"nodeid\":3,\"online\":0,", status);
        // qm on another node still gives the wrong-node message; pvesh's proxy to the node fails.
        Assert.Equal("Configuration file 'nodes/pve1/qemu-server/1000.conf' does not exist\n", sim.Run("qm config 1000").StdErr);
        Assert.Equal((255, "", "proxy handler failed: ssh: connect to host 10.0.0.13 port 22: No route to host\n"),
            TestSim.Result(sim.Run("pvesh get /nodes/pve3/qemu")));
        var e = Assert.Throws<PhoenixException>(() => sim.On("pve3").Run("qm list"));
        Assert.Equal("ConnectionLost", e.Reason);
        // Back up: everything as before.
        sim.P.Faults = null;
        Assert.Contains("\"name\":\"b\"", sim.Run("pvesh get /cluster/resources --type vm --output-format json").StdOut);
        Assert.Equal(0, sim.On("pve3").Run("qm list").ExitCode);
    }

    [Fact]
    public void WithoutQuorumWritesFail()
    {
        using var sim = TestSim.Cluster();
        sim.Ok("qm clone 9000 101");
        Down(sim, "pve2", "pve3");
        Assert.Contains("\"quorate\":0", sim.Run("pvesh get /cluster/status --output-format json").StdOut);
        const string noQuorum = "cluster not ready - no quorum?\n";
        Assert.Equal((255, "", noQuorum), TestSim.Result(sim.Run("qm create 150 --memory 512")));
        Assert.Equal((255, "", noQuorum), TestSim.Result(sim.Run("qm start 101")));
        Assert.Equal((255, "", noQuorum), TestSim.Result(sim.Run("qm clone 9000 102")));
        Assert.Equal((255, "", noQuorum), TestSim.Result(sim.Run("qm migrate 101 pve2")));
        // Other writes reach the read-only cluster filesystem: the temporary file cannot be created.
        var set = sim.Run("qm set 101 --cores 4");
        Assert.Equal((255, "update VM 101: -cores 4\n"), (set.ExitCode, set.StdOut));
        Assert.Matches(@"^unable to open file '/etc/pve/nodes/pve1/qemu-server/101\.conf\.tmp\.\d+' - Permission denied\n$", set.StdErr);
        Assert.DoesNotContain("cores: 4", sim.Config(101));
        Assert.Equal(0, sim.Run("qm stop 101").ExitCode);
        Assert.Equal(0, sim.Run("qm config 101").ExitCode);
        sim.P.Faults = null;
        sim.Ok("qm set 101 --cores 4");
    }

    [Fact]
    public void StoragesRestrictedToNodesAreDisabledElsewhere()
    {
        using var sim = TestSim.Cluster(o => o.ZfsStorages.Add("tank"));
        var cfg = System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/etc/pve/storage.cfg")!);
        sim.WriteFile("/etc/pve/storage.cfg", cfg.Replace("\tsparse 1\n", "\tsparse 1\n\tnodes pve1,pve2\n"));
        var pve3 = sim.On("pve3");
        Assert.Equal(
            "Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
            "local             dir     active        98497780         4475408        94022372    4.54%\n" +
            "local-lvm     lvmthin     active       365760512               0       365760512    0.00%\n" +
            "shared            nfs     active        98497780         4475408        94022372    4.54%\n" +
            "tank          zfspool   disabled               0               0               0      N/A\n",
            pve3.Run("pvesm status").StdOut);
        Assert.DoesNotContain("tank", pve3.Run("pvesm status --content images").StdOut);
        Assert.Equal("unable to create VM 300 - storage 'tank' is not available on node 'pve3'\n", pve3.Run("qm create 300 --scsi0 tank:4").StdErr);
        Assert.Equal("storage 'tank' is not available on node 'pve3'\n", sim.Run("qm clone 9000 301 --full --storage tank --target pve3").StdErr);
        Assert.Matches(@"(?m)^tank +zfspool +active ", sim.On("pve2").Run("pvesm status").StdOut);
        // One storage entry per node it is enabled on: local, local-lvm and shared on 3 nodes, tank on 2.
        var storages = sim.Run("pvesh get /cluster/resources --type storage --output-format json").StdOut;
        Assert.Equal(11, System.Text.RegularExpressions.Regex.Matches(storages, "\"type\":\"storage\"").Count);
        Assert.Contains("\"id\":\"storage/pve2/tank\"", storages);
        Assert.DoesNotContain("\"id\":\"storage/pve3/tank\"", storages);
    }
}
