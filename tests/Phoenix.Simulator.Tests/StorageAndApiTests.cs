namespace Phoenix.Simulator.Tests;

/// <summary>pvesm status/path (section 7) and pvesh get (section 6).</summary>
public class StorageAndApiTests
{
    [Fact]
    public void PvesmStatusUsesTheExactWidths()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("pvesm status");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
            "local             dir     active        98497780         4475408        94022372    4.54%\n" +
            "local-lvm     lvmthin     active       365760512         2097408       363663104    0.57%\n",
            r.StdOut);
    }

    [Fact]
    public void PvesmStatusOfADisabledStorage()
    {
        using var sim = TestSim.Create();
        sim.WriteFile("/etc/pve/storage.cfg", "dir: local\n\tpath /var/lib/vz\n\tcontent iso\n\tdisable\n\nnfs: backup-nas\n" +
            "\tpath /mnt/pve/backup-nas\n\tserver 10.0.0.5\n\texport /srv\n\tcontent backup\n");
        Assert.Equal(
            "Name              Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
            "backup-nas         nfs     active        98497780         4475408        94022372    4.54%\n" +
            "local              dir   disabled               0               0               0      N/A\n",
            sim.Run("pvesm status").StdOut);
    }

    [Fact]
    public void PvesmStatusFilters()
    {
        using var sim = TestSim.Create();
        Assert.Equal(2, sim.Run("pvesm status --content images").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("Name   ", sim.Run("pvesm status --storage local").StdOut);
        Assert.Equal("storage 'x1' does not exist\n", sim.Run("pvesm status --storage x1").StdErr);
    }

    [Theory]
    [InlineData("local:snippets/user-data-101.yml", "/var/lib/vz/snippets/user-data-101.yml\n")]
    [InlineData("local:iso/noble.img", "/var/lib/vz/template/iso/noble.img\n")]
    [InlineData("local-lvm:vm-101-disk-0", "/dev/pve/vm-101-disk-0\n")]
    [InlineData("local:101/vm-101-disk-0.qcow2", "/var/lib/vz/images/101/vm-101-disk-0.qcow2\n")]
    public void PvesmPathDoesNotCheckExistence(string volid, string path)
    {
        using var sim = TestSim.Create();
        var r = sim.Run($"pvesm path {volid}");
        Assert.Equal((0, path, ""), (r.ExitCode, r.StdOut, r.StdErr));
    }

    [Fact]
    public void PvesmPathErrors()
    {
        using var sim = TestSim.Create();
        Assert.Equal(
            "400 Parameter verification failed.\nvolume: invalid format - unable to parse volume ID 'snippets/x.yml'\n\npvesm path <volume>\n",
            sim.Run("pvesm path snippets/x.yml").StdErr);
        Assert.Equal("storage 'nas' does not exist\n", sim.Run("pvesm path nas:snippets/x.yml").StdErr);
        Assert.Equal("unable to parse directory volume name 'stuff/x.yml'\n", sim.Run("pvesm path local:stuff/x.yml").StdErr);
    }

    [Fact]
    public void NextIdAsTextAndJson()
    {
        using var sim = TestSim.Create();
        Assert.Equal("100\n", sim.Run("pvesh get /cluster/nextid").StdOut);
        sim.Ok("qm clone 9000 100");
        Assert.Equal("101\n", sim.Run("pvesh get /cluster/nextid").StdOut);
        Assert.Equal("\"101\"\n", sim.Run("pvesh get /cluster/nextid --output-format json").StdOut);
        Assert.Equal("150\n", sim.Run("pvesh get /cluster/nextid --vmid 150").StdOut);
        var taken = sim.Run("pvesh get /cluster/nextid --vmid 100");
        Assert.Equal((255, "400 Parameter verification failed.\nvmid: VM 100 already exists\n" +
            "pvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n"), (taken.ExitCode, taken.StdErr));
    }

    [Fact]
    public void NextIdCountsContainers()
    {
        using var sim = TestSim.Create(o => o.Containers.Add(new Faults.SimulatedContainer { VmId = 100, Name = "dns" }));
        Assert.Equal("101\n", sim.Run("pvesh get /cluster/nextid").StdOut);
    }

    [Fact]
    public void ResourcesListVmsAndContainersAsJson()
    {
        using var sim = TestSim.Create(o => o.Containers.Add(new Faults.SimulatedContainer { VmId = 102, Name = "step-ca" }));
        sim.Ok("qm clone 9000 101 --name web01");
        sim.Ok("qm start 101");
        var r = sim.Run("pvesh get /cluster/resources --type vm --output-format json");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(
            "[{\"cpu\":0,\"disk\":0,\"diskread\":0,\"diskwrite\":0,\"id\":\"qemu/101\",\"maxcpu\":2,\"maxdisk\":34359738368,\"maxmem\":2147483648,",
            r.StdOut);
        Assert.Contains(
            "\"name\":\"web01\",\"netin\":0,\"netout\":0,\"node\":\"pve\",\"status\":\"running\",\"template\":0,\"type\":\"qemu\",\"uptime\":0,\"vmid\":101}",
            r.StdOut);
        Assert.Contains("\"id\":\"qemu/9000\"", r.StdOut);
        Assert.Contains("\"id\":\"lxc/102\",", r.StdOut);
        Assert.Contains("\"name\":\"step-ca\",", r.StdOut);
        Assert.Contains("\"template\":1,\"type\":\"qemu\"", r.StdOut);
        Assert.EndsWith("}]\n", r.StdOut);
        Assert.DoesNotContain("\"type\":\"storage\"", r.StdOut);
    }

    [Fact]
    public void UnknownApiPath()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("pvesh get /cluster/frobs");
        Assert.Equal((255, "No 'get' handler defined for '/cluster/frobs'\n"), (r.ExitCode, r.StdErr));
    }

    [Fact]
    public void VmConfigThroughTheApi()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("pvesh get /nodes/pve/qemu/9000/config --output-format json");
        Assert.StartsWith("{\"agent\":\"1\",\"boot\":\"order=scsi0\",\"cores\":\"2\",\"digest\":\"", r.StdOut);
    }
}
