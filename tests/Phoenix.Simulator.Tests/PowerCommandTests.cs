namespace Phoenix.Simulator.Tests;

/// <summary>qm start, stop, shutdown, destroy, template (section 5) and snippet errors at start (section 2).</summary>
public class PowerCommandTests
{
    private static TestSim WithVm(string? cicustom = null)
    {
        var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        if (cicustom != null) sim.Ok($"qm set 101 --cicustom {cicustom}");
        return sim;
    }

    [Fact]
    public void StartGeneratesTheCloudInitIso()
    {
        using var sim = WithVm();
        var r = sim.Run("qm start 101");
        Assert.Equal((0, "generating cloud-init ISO\n", ""), (r.ExitCode, r.StdOut, r.StdErr));
        Assert.True(sim.Node.IsRunning(101));
        var userData = System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/var/lib/phoenix-sim/cloudinit/101/user-data")!);
        Assert.StartsWith("#cloud-config\nhostname: web01\n", userData);
    }

    [Fact]
    public void StartErrors()
    {
        using var sim = WithVm();
        var tpl = sim.Run("qm start 9000");
        Assert.Equal((255, "you can't start a vm if it's a template\n"), (tpl.ExitCode, tpl.StdErr));
        sim.Ok("qm start 101");
        var again = sim.Run("qm start 101");
        Assert.Equal((255, "VM 101 already running\n"), (again.ExitCode, again.StdErr));
        sim.Ok("qm stop 101");
        sim.Ok("qm set 101 --lock migrate");
        var locked = sim.Run("qm start 101");
        Assert.Equal((255, "VM is locked (migrate)\n"), (locked.ExitCode, locked.StdErr));
        Assert.Equal(0, sim.Run("qm start 101 --skiplock").ExitCode);
    }

    [Fact]
    public void StartAppliesPendingChanges()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        sim.Ok("qm set 101 --memory 8192");
        sim.Ok("qm stop 101");
        Assert.Contains("[PENDING]", sim.Config(101));
        sim.Ok("qm start 101");
        Assert.DoesNotContain("[PENDING]", sim.Config(101));
        Assert.Contains("memory: 8192\n", sim.Config(101));
    }

    [Fact]
    public void SnippetOutsideTheSnippetsDirectory()
    {
        using var sim = WithVm("user=local:iso/user.iso");
        var r = sim.Run("qm start 101");
        Assert.Equal((255, "", "local:iso/user.iso is not in the snippets directory\n"), (r.ExitCode, r.StdOut, r.StdErr));
        Assert.False(sim.Node.IsRunning(101));
    }

    [Fact]
    public void MissingSnippet()
    {
        using var sim = WithVm("user=local:snippets/user-data-101.yml");
        var r = sim.Run("qm start 101");
        Assert.Equal((255, "can't find file 'local:snippets/user-data-101.yml'\n"), (r.ExitCode, r.StdErr));
        sim.WriteFile("/var/lib/vz/snippets/user-data-101.yml", "#cloud-config\nhostname: web01\n");
        var ok = sim.Run("qm start 101");
        Assert.Equal((0, "generating cloud-init ISO\n"), (ok.ExitCode, ok.StdOut));
        Assert.Equal("#cloud-config\nhostname: web01\n",
            System.Text.Encoding.UTF8.GetString(sim.P.Store.ReadFile("/var/lib/phoenix-sim/cloudinit/101/user-data")!));
    }

    [Fact]
    public void SnippetOnAnUnknownStorage()
    {
        using var sim = WithVm("network=nas:snippets/net.yml");
        Assert.Equal("storage 'nas' does not exist\n", sim.Run("qm start 101").StdErr);
    }

    [Fact]
    public void SnippetOnLvmStorageCannotBeParsed()
    {
        using var sim = WithVm("user=local-lvm:snippets/u.yml");
        Assert.Equal("unable to parse lvm volume name 'snippets/u.yml'\n", sim.Run("qm start 101").StdErr);
    }

    [Fact]
    public void SnippetTooLong()
    {
        using var sim = WithVm("user=local:snippets/big.yml");
        sim.P.Store.WriteFile("/var/lib/vz/snippets/big.yml", new byte[1024 * 1024 + 1]);
        Assert.Equal("file '/var/lib/vz/snippets/big.yml' too long - aborting\n", sim.Run("qm start 101").StdErr);
    }

    [Fact]
    public void SnippetsTooBigTogether()
    {
        using var sim = WithVm("user=local:snippets/a.yml,network=local:snippets/b.yml,vendor=local:snippets/c.yml,meta=local:snippets/d.yml");
        foreach (var f in new[] { "a", "b", "c", "d" }) sim.P.Store.WriteFile($"/var/lib/vz/snippets/{f}.yml", new byte[800 * 1024]);
        Assert.Equal("Cloud-Init sum of snippets too big (> 3 MiB)\n", sim.Run("qm start 101").StdErr);
    }

    [Fact]
    public void StopAndShutdownOfAStoppedVmDoNothing()
    {
        using var sim = WithVm();
        Assert.Equal((0, "", ""), Triple(sim.Run("qm stop 101")));
        Assert.Equal((0, "", ""), Triple(sim.Run("qm shutdown 101")));
    }

    [Fact]
    public void ShutdownTimesOutWithoutForceStop()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        sim.P.Faults = new Faults.FaultPlan { Latency = { ["shutdown"] = 90 } };
        var r = sim.Run("qm shutdown 101");
        Assert.Equal((255, "", "VM quit/powerdown failed - got timeout\n"), Triple(r));
        Assert.True(sim.Node.IsRunning(101));
        var forced = sim.Run("qm shutdown 101 --timeout 10 --forceStop 1");
        Assert.Equal((0, "VM still running - terminating now with SIGTERM\n", ""), Triple(forced));
        Assert.False(sim.Node.IsRunning(101));
    }

    [Fact]
    public void DestroyRemovesConfigAndOwnedVolumes()
    {
        using var sim = WithVm();
        var r = sim.Run("qm destroy 101 --purge");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "  Logical volume \"vm-101-cloudinit\" successfully removed.\n" +
            "  Logical volume \"vm-101-disk-0\" successfully removed.\n" +
            "purging VM 101 from related configurations..\n",
            r.StdOut);
        Assert.Null(sim.Node.ReadConfigText(101));
        Assert.Contains("9000", sim.Run("qm list").StdOut);
    }

    [Fact]
    public void DestroyErrors()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        Assert.Equal((255, "VM 101 is running - destroy failed\n"), (sim.Run("qm destroy 101").ExitCode, sim.Run("qm destroy 101").StdErr));
        sim.Ok("qm stop 101");
        sim.Ok("qm set 101 --protection 1");
        Assert.Equal("can't remove VM 101 - protection mode enabled\n", sim.Run("qm destroy 101").StdErr);
    }

    [Fact]
    public void LvmThinTemplateCanBeDestroyedDespiteLinkedClones()
    {
        using var sim = WithVm();
        Assert.Equal(0, sim.Run("qm destroy 9000").ExitCode);
        Assert.Contains("scsi0: local-lvm:vm-101-disk-0,size=32G\n", sim.Config(101));
    }

    [Fact]
    public void TemplateErrorsAndRename()
    {
        using var sim = WithVm();
        Assert.Equal((255, "you can't convert a template to a template\n"), (sim.Run("qm template 9000").ExitCode, sim.Run("qm template 9000").StdErr));
        sim.Ok("qm start 101");
        Assert.Equal("you can't convert a VM to template if VM is running\n", sim.Run("qm template 101").StdErr);
        sim.Ok("qm stop 101");
        sim.Ok("qm snapshot 101 s1");
        Assert.Equal("unable to create template, because VM contains snapshots\n", sim.Run("qm template 101").StdErr);
        sim.Ok("qm delsnapshot 101 s1");
        var r = sim.Run("qm template 101");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("  Renamed \"vm-101-disk-0\" to \"base-101-disk-0\" in volume group \"pve\"\n  Logical volume pve/base-101-disk-0 changed.\n", r.StdOut);
        var conf = sim.Config(101);
        Assert.Contains("scsi0: local-lvm:base-101-disk-0,size=32G\n", conf);
        Assert.Contains("ide2: local-lvm:vm-101-cloudinit,media=cdrom,size=4M\n", conf);
        Assert.Contains("template: 1\n", conf);
    }

    [Fact]
    public void TemplateTaskFailureStillExitsZero()
    {
        using var sim = TestSim.Create();
        sim.WriteFile("/etc/pve/storage.cfg", "dir: local\n\tpath /var/lib/vz\n\tcontent images,iso,snippets\n");
        sim.Ok("qm create 400 --scsi0 local:2");
        sim.WriteFile("/etc/pve/storage.cfg", "dir: other\n\tpath /srv\n\tcontent images\n");
        var r = sim.Run("qm template 400");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("storage 'local' does not exist\n", r.StdErr);
    }

    [Fact]
    public void CreateAllocatesDisksAndIdentities()
    {
        using var sim = TestSim.Create();
        var r = sim.Run("qm create 200 --name fresh --memory 1024 --cores 2 --net0 virtio,bridge=vmbr0 --scsi0 local-lvm:8 --scsihw virtio-scsi-pci");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("  Logical volume \"vm-200-disk-0\" created.\nscsi0: successfully created disk 'local-lvm:vm-200-disk-0,size=8G'\n", r.StdOut);
        var conf = sim.Config(200);
        Assert.Contains("scsi0: local-lvm:vm-200-disk-0,size=8G\n", conf);
        Assert.Contains("meta: creation-qemu=9.2.0,ctime=1714557600\n", conf);
        Assert.Matches(@"(?m)^smbios1: uuid=[0-9a-f-]{36}$", conf);
        var dup = sim.Run("qm create 200");
        Assert.Equal((255, "unable to create VM 200 - VM 200 already exists on node 'pve'\n"), (dup.ExitCode, dup.StdErr));
    }

    [Fact]
    public void ImportDiskBecomesAnUnusedDisk()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm create 200 --name fresh");
        var qcow = new byte[64];
        qcow[0] = (byte)'Q'; qcow[1] = (byte)'F'; qcow[2] = (byte)'I'; qcow[3] = 0xfb;
        var size = 3758096384L;
        for (var i = 0; i < 8; i++) qcow[31 - i] = (byte)(size >> (8 * i));
        sim.P.Store.WriteFile("/var/lib/vz/template/iso/noble.img", qcow);
        var r = sim.Run("qm importdisk 200 /var/lib/vz/template/iso/noble.img local-lvm");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("importing disk '/var/lib/vz/template/iso/noble.img' to VM 200 ...\n  Logical volume \"vm-200-disk-0\" created.\n" +
            "transferred 0.0 B of 3.5 GiB (0.00%)\n", r.StdOut);
        Assert.EndsWith("transferred 3.5 GiB of 3.5 GiB (100.00%)\nunused0: successfully imported disk 'local-lvm:vm-200-disk-0'\n", r.StdOut);
        Assert.Equal("/x.img: non-existent or non-regular file\n", sim.Run("qm disk import 200 /x.img local-lvm").StdErr);
        Assert.Equal("storage local does not support vm images\n", sim.Run("qm importdisk 200 /var/lib/vz/template/iso/noble.img local").StdErr);
        sim.Ok("qm set 200 --scsi0 local-lvm:vm-200-disk-0");
        Assert.DoesNotContain("unused0", sim.Config(200));
    }

    [Fact]
    public void ResizeGrowsOnly()
    {
        using var sim = WithVm();
        var r = sim.Run("qm resize 101 scsi0 +8G");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("  Size of logical volume pve/vm-101-disk-0 changed from 32.00 GiB (8192 extents) to 40.00 GiB (10240 extents).\n" +
            "  Logical volume pve/vm-101-disk-0 successfully resized.\n", r.StdOut);
        Assert.Contains("scsi0: local-lvm:vm-101-disk-0,size=40G\n", sim.Config(101));
        Assert.Equal("shrinking disks is not supported\n", sim.Run("qm disk resize 101 scsi0 10G").StdErr);
        Assert.Equal("disk 'scsi1' does not exist\n", sim.Run("qm resize 101 scsi1 10G").StdErr);
    }

    private static (int, string, string) Triple(Phoenix.Engine.Transport.CommandResult r) => (r.ExitCode, r.StdOut, r.StdErr);
}
