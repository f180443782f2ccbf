namespace Phoenix.Simulator.Tests;

/// <summary>qm list, status, config, unlock; the seeded node.</summary>
public class InfoCommandTests
{
    [Fact]
    public void SeededTemplateMatchesTheIssue()
    {
        using var sim = TestSim.Create();
        var conf = sim.Config(9000);
        Assert.Contains("name: ubuntu-2404-cloud-template\n", conf);
        Assert.Contains("template: 1\n", conf);
        Assert.Contains("scsi0: local-lvm:base-9000-disk-0,size=32G\n", conf);
        Assert.Contains("ide2: local-lvm:vm-9000-cloudinit,media=cdrom\n", conf);
        Assert.Matches(@"(?m)^net0: virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0$", conf);
        Assert.Contains("agent: 1\n", conf);
        Assert.Contains("serial0: socket\n", conf);
        Assert.Contains("boot: order=scsi0\n", conf);
        Assert.Contains("smbios1: uuid=", conf);
        Assert.Contains("vmgenid: ", conf);
        var keys = conf.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal).ToList(), keys);
    }

    [Fact]
    public void SeededStoragesEnableSnippetsOnLocal()
    {
        using var sim = TestSim.Create();
        var cfg = System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/etc/pve/storage.cfg")!);
        Assert.Equal(
            "dir: local\n\tpath /var/lib/vz\n\tcontent backup,iso,snippets,vztmpl\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n" +
                "\tcontent rootdir,images\n",
            cfg);
    }

    [Fact]
    public void EmptyNodeListsNothing()
    {
        using var sim = TestSim.Create(o => o.Empty = true);
        var r = sim.Run("qm list");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.StdOut);
        Assert.Equal("", r.StdErr);
    }

    [Fact]
    public void ListUsesQmPrintfWidths()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm set 101 --memory 4096");
        var r = sim.Run("qm list");
        Assert.Equal(
            "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n" +
            "       101 web01                stopped    4096              32.00 0         \n" +
            "      9000 ubuntu-2404-cloud-template stopped    2048              32.00 0         \n",
            r.StdOut);
    }

    [Fact]
    public void ListShowsRunningPid()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        var pid = sim.Node.IsRunning(101);
        Assert.True(pid);
        var line = sim.Run("qm list").StdOut.Split('\n')[1];
        Assert.Matches(@"^       101 Copy-of-VM-ubuntu-2404-cloud-template running    2048              32.00 \d+ *$", line);
    }

    [Fact]
    public void StatusStoppedAndRunning()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        Assert.Equal("status: stopped\n", sim.Run("qm status 101").StdOut);
        sim.Ok("qm start 101");
        Assert.Equal("status: running\n", sim.Run("qm status 101").StdOut);
    }

    [Fact]
    public void ConfigPrintsSortedKeysEncodedDescriptionAndMaskedPassword()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm set 101 --description 'Created: by Phoenix' --cipassword secret");
        var r = sim.Run("qm config 101");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("cipassword: **********\n", r.StdOut);
        Assert.Contains("description: Created%3A by Phoenix\n", r.StdOut);
        var lines = r.StdOut.TrimEnd('\n').Split('\n');
        var keys = lines.Select(l => l.Substring(0, l.IndexOf(':'))).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal).ToList(), keys);
        Assert.DoesNotContain("digest", r.StdOut);
        Assert.Contains("#Created%3A by Phoenix\n", sim.Config(101));
    }

    [Fact]
    public void ConfigCurrentHidesPendingChangesOfARunningVm()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm start 101");
        sim.Ok("qm set 101 --cores 8");
        Assert.Contains("cores: 8\n", sim.Run("qm config 101").StdOut);
        Assert.Contains("cores: 2\n", sim.Run("qm config 101 --current").StdOut);
        Assert.Contains("\n[PENDING]\ncores: 8\n", sim.Config(101));
    }

    [Fact]
    public void ConfigOfASnapshot()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm snapshot 101 before --description 'first one'");
        sim.Ok("qm set 101 --cores 6");
        var r = sim.Run("qm config 101 --snapshot before");
        Assert.Contains("cores: 2\n", r.StdOut);
        Assert.Contains("description: first one\n", r.StdOut);
        Assert.Contains("snaptime: 1714557600\n", r.StdOut);
        var missing = sim.Run("qm config 101 --snapshot nope");
        Assert.Equal(255, missing.ExitCode);
        Assert.Equal("snapshot 'nope' does not exist\n", missing.StdErr);
    }

    [Fact]
    public void ConfigSnapshotAndCurrentTogetherIsAParamError()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm config 9000 --snapshot a1 --current");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal(
            "400 Parameter verification failed.\ncurrent: cannot use 'snapshot' parameter with 'current'\n" +
                "snapshot: cannot use 'snapshot' parameter with 'current'\nqm config <vmid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void UnlockRemovesTheLockSilently()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101");
        sim.Ok("qm set 101 --lock backup");
        Assert.Contains("lock: backup\n", sim.Config(101));
        var r = sim.Run("qm unlock 101");
        Assert.Equal((0, "", ""), (r.ExitCode, r.StdOut, r.StdErr));
        Assert.DoesNotContain("lock:", sim.Config(101));
        Assert.Equal(0, sim.Run("qm unlock 101").ExitCode);
    }

    [Fact]
    public void VerboseStatus()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm status 9000 --verbose");
        Assert.Contains("maxmem: 2147483648\n", r.StdOut);
        Assert.Contains("name: ubuntu-2404-cloud-template\n", r.StdOut);
        Assert.Contains("status: stopped\n", r.StdOut);
        Assert.Contains("template: 1\n", r.StdOut);
    }
}
