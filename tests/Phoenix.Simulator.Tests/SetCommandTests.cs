using System.Text;

namespace Phoenix.Simulator.Tests;

/// <summary>qm set (section 2 of the note): output, validation order, cloud-init options.</summary>
public class SetCommandTests
{
    private static TestSim WithVm()
    {
        var sim = TestSim.Create();
        sim.Ok("qm clone 9000 101 --name web01");
        return sim;
    }

    [Fact]
    public void PrintsTheUpdateLineWithSortedParamsAndHiddenPassword()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --memory 4096 --cores 4 --cipassword s3cret --name web02");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("update VM 101: -cipassword <hidden> -cores 4 -memory 4096 -name web02\n", r.StdOut);
        Assert.Equal("", r.StdErr);
        var conf = sim.Config(101);
        Assert.Contains("cores: 4\n", conf);
        Assert.Contains("memory: 4096\n", conf);
        Assert.DoesNotContain("s3cret", conf);
    }

    [Fact]
    public void NoOptionsSpecified()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("no options specified\n", r.StdErr);
    }

    [Fact]
    public void NoOptionsIsCheckedBeforeTheVmExists()
    {
        using var sim = TestSim.Create();
        Assert.Equal("no options specified\n", sim.Run("qm set 555").StdErr);
        Assert.Equal("Configuration file 'nodes/pve/qemu-server/555.conf' does not exist\n", sim.Run("qm set 555 --cores 2").StdErr);
    }

    [Fact]
    public void PlainPasswordIsStoredAsSha256Crypt()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --cipassword s3cret");
        var line = sim.Config(101).Split('\n').Single(l => l.StartsWith("cipassword: "));
        var hash = line.Substring("cipassword: ".Length);
        Assert.Matches(@"^\$5\$[A-Za-z0-9+/]{8}\$[./0-9A-Za-z]{43}$", hash);
        var salt = hash.Split('$')[2];
        Assert.Equal(Internal.ShaCrypt.Sha256Crypt("s3cret", salt), hash);
    }

    [Fact]
    public void CryptHashIsKeptAsGiven()
    {
        using var sim = WithVm();
        const string hash = "$6$rounds=4096$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijklmn";
        sim.Ok($"qm set 101 --cipassword '{hash}'");
        Assert.Contains($"cipassword: {hash}\n", sim.Config(101));
    }

    [Fact]
    public void CicustomBareValueHasNoDefaultKey()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --cicustom local:snippets/user-data-101.yml");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal(
            "400 Parameter verification failed.\ncicustom: invalid format - value without key, but schema does not define a default key\n\n" +
                "qm set <vmid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void CicustomUnknownKey()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --cicustom userdata=local:snippets/u.yml");
        Assert.Equal(
            "400 Parameter verification failed.\ncicustom: invalid format - invalid key in comma-separated list property: userdata\n\n" +
                "qm set <vmid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void CicustomValueMustBeAVolumeId()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --cicustom user=/tmp/u.yml");
        Assert.Equal(
            "400 Parameter verification failed.\ncicustom: invalid format - format error\n" +
                "cicustom.user: invalid format - unable to parse volume ID '/tmp/u.yml'\n\n\nqm set <vmid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void CicustomIsNotCheckedForExistenceAtSet()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --cicustom user=local:snippets/missing.yml,network=nostore:snippets/n.yml");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("update VM 101: -cicustom user=local:snippets/missing.yml,network=nostore:snippets/n.yml\n", r.StdOut);
        Assert.Contains("cicustom: user=local:snippets/missing.yml,network=nostore:snippets/n.yml\n", sim.Config(101));
    }

    [Fact]
    public void SshkeysAreReadFromAFileAndUrlEncoded()
    {
        using var sim = WithVm();
        const string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example";
        sim.WriteFile("/root/id.pub", key + "\n");
        var r = sim.Run("qm set 101 --sshkey /root/id.pub");
        Assert.Equal(0, r.ExitCode);
        const string encoded = "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl%20admin%40example%0A";
        Assert.Equal($"update VM 101: -sshkeys {encoded}\n", r.StdOut);
        Assert.Contains($"sshkeys: {encoded}\n", sim.Config(101));
    }

    [Fact]
    public void MissingSshkeysFileExitsWithErrno()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --sshkeys /root/none.pub");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("can't open '/root/none.pub' - No such file or directory\n", r.StdErr);
    }

    [Fact]
    public void InvalidSshKeyIsRejected()
    {
        using var sim = WithVm();
        sim.WriteFile("/root/bad.pub", "not a key\n");
        var r = sim.Run("qm set 101 --sshkeys /root/bad.pub");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("SSH public key validation error\n", r.StdErr);
    }

    [Fact]
    public void IpconfigGatewayRequiresAnIp()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --ipconfig0 gw=10.0.0.1");
        Assert.Equal(
            "400 Parameter verification failed.\nipconfig0: invalid format - format error\n" +
                "ipconfig0.ip: missing property - 'ipconfig0.gw' requires this property\n\nqm set <vmid> [OPTIONS]\n",
            r.StdErr);
    }

    [Fact]
    public void LockedVmIsRefused()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --lock backup");
        var r = sim.Run("qm set 101 --cores 2");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("VM is locked (backup)\n", r.StdErr);
        Assert.Equal(0, sim.Run("qm set 101 --cores 2 --skiplock").ExitCode);
    }

    [Fact]
    public void LockTimeoutMessage()
    {
        using var sim = WithVm();
        using var held = sim.P.Store.TryLock("/var/lock/qemu-server/lock-101.conf", shared: false);
        Assert.NotNull(held);
        var r = sim.Run("qm set 101 --cores 2");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("", r.StdOut);
        Assert.Equal("trying to acquire lock...\ncan't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout\n", r.StdErr);
    }

    [Fact]
    public void DeleteOptionsAndConflicts()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --onboot 1 --tags 'web;Prod,web'");
        Assert.Contains("tags: prod;web\n", sim.Config(101));
        sim.Ok("qm set 101 --delete onboot,tags");
        Assert.DoesNotContain("onboot", sim.Config(101));
        Assert.DoesNotContain("tags", sim.Config(101));
        var conflict = sim.Run("qm set 101 --cores 2 --delete cores");
        Assert.Equal("400 Parameter verification failed.\ndelete: you can't use '-cores' and -delete cores' at the same time\n" +
            "qm set <vmid> [OPTIONS]\n", conflict.StdErr);
        var unknown = sim.Run("qm set 101 --delete frobnicate");
        Assert.Equal("400 Parameter verification failed.\ndelete: unknown option 'frobnicate'\nqm set <vmid> [OPTIONS]\n", unknown.StdErr);
        var notSet = sim.Run("qm set 101 --delete startup");
        Assert.Equal(0, notSet.ExitCode);
        Assert.Equal("cannot delete 'startup' - not set in current configuration!\n", notSet.StdErr);
    }

    [Fact]
    public void NetGetsAMacWhenNoneIsGiven()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --net1 virtio,bridge=vmbr1,firewall=1");
        // The update line shows the parameters as given; the MAC is added afterwards.
        Assert.Equal("update VM 101: -net1 virtio,bridge=vmbr1,firewall=1\n", r.StdOut);
        Assert.Matches(@"(?m)^net1: virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr1,firewall=1$", sim.Config(101));
    }

    [Fact]
    public void AddingACloudInitDriveCreatesItAndGeneratesTheIso()
    {
        using var sim = TestSim.Create();
        sim.Ok("qm create 200 --name base --memory 1024 --net0 virtio,bridge=vmbr0 --scsi0 local-lvm:8");
        var r = sim.Run("qm set 200 --ide2 local-lvm:cloudinit");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "update VM 200: -ide2 local-lvm:cloudinit\n" +
            "  Logical volume \"vm-200-cloudinit\" created.\n" +
            "ide2: successfully created disk 'local-lvm:vm-200-cloudinit,media=cdrom'\n" +
            "generating cloud-init ISO\n",
            r.StdOut);
        Assert.Contains("ide2: local-lvm:vm-200-cloudinit,media=cdrom\n", sim.Config(200));
    }

    [Fact]
    public void IsoImageNeedsMediaCdrom()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --ide0 local:iso/ubuntu.iso");
        Assert.Equal("400 Parameter verification failed.\nide0: explicit 'media=cdrom' is required for iso images\nqm set <vmid> [OPTIONS]\n", r.StdErr);
    }

    [Fact]
    public void NewDiskOnStorageWithoutImagesIsAParamError()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --scsi1 local:10");
        Assert.Equal("400 Parameter verification failed.\nstorage: storage 'local' does not support vm images\nqm set <vmid> [OPTIONS]\n", r.StdErr);
        var missing = sim.Run("qm set 101 --scsi1 nfs1:10");
        Assert.Equal("storage 'nfs1' does not exist\n", missing.StdErr);
    }

    [Fact]
    public void DescriptionRoundTripsThroughCommentLines()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --description 'line one\nline: two'");
        var conf = sim.Config(101);
        Assert.StartsWith("#line one\n#line%3A two\n", conf);
        Assert.Contains("description: line one%0Aline%3A two\n", sim.Run("qm config 101").StdOut);
    }

    // ---- what qm config shows after qm set (update_vm_api, QS/API2/Qemu.pm 2067-2624) ----

    private static string ConfigLine(TestSim sim, int vmid, string key, string args = "") =>
        sim.Run($"qm config {vmid} {args}").StdOut.Split('\n').SingleOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal)) ?? "";

    [Fact]
    public void ANewDiskIsAllocatedAndSettingItAgainMovesTheOldOneToUnused()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --scsi1 local-lvm:32");
        Assert.Equal((0, ""), (r.ExitCode, r.StdErr));
        Assert.Equal(
            "update VM 101: -scsi1 local-lvm:32\n" +
            "  Logical volume \"vm-101-disk-1\" created.\n" +
            "scsi1: successfully created disk 'local-lvm:vm-101-disk-1,size=32G'\n",
            r.StdOut);
        Assert.Equal("scsi1: local-lvm:vm-101-disk-1,size=32G", ConfigLine(sim, 101, "scsi1"));
        sim.Ok("qm set 101 --scsi1 local-lvm:32");
        Assert.Equal("scsi1: local-lvm:vm-101-disk-2,size=32G", ConfigLine(sim, 101, "scsi1"));
        Assert.Equal("unused0: local-lvm:vm-101-disk-1", ConfigLine(sim, 101, "unused0"));
    }

    [Fact]
    public void ValuesAreShownAsProxmoxStoresThem()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --net1 virtio,bridge=vmbr1 --cpu host --balloon 1024 --tags 'Web;db,web prod' --memory 4096"
            + " --startup order=2,up=30 --agent enabled=1,fstrim_cloned_disks=1");
        Assert.Equal(0, r.ExitCode);
        // The update line shows the values as given, sorted by name; the config shows them as stored.
        Assert.Equal("update VM 101: -agent enabled=1,fstrim_cloned_disks=1 -balloon 1024 -cpu host -memory 4096 -net1 virtio,bridge=vmbr1"
            + " -startup order=2,up=30 -tags Web;db,web prod\n", r.StdOut);
        Assert.Matches("^net1: virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr1$", ConfigLine(sim, 101, "net1"));
        Assert.Equal("cpu: host", ConfigLine(sim, 101, "cpu"));
        Assert.Equal("balloon: 1024", ConfigLine(sim, 101, "balloon"));
        // get_unique_tags: lower-cased, sorted, duplicates dropped, joined with ';' (GC/GuestHelpers.pm 349-378).
        Assert.Equal("tags: db;prod;web", ConfigLine(sim, 101, "tags"));
        Assert.Equal("memory: 4096", ConfigLine(sim, 101, "memory"));
        Assert.Equal("startup: order=2,up=30", ConfigLine(sim, 101, "startup"));
        Assert.Equal("agent: enabled=1,fstrim_cloned_disks=1", ConfigLine(sim, 101, "agent"));
    }

    [Fact]
    public void DescriptionIsStoredAsCommentLinesAndPrintedEncoded()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --description 'Rate: 100%\nsecond line'");
        // encode_text escapes control bytes, ':' and '%' (pve-common ParseUtils.pm 60-64).
        Assert.StartsWith("#Rate%3A 100%25\n#second line\n", sim.Config(101));
        Assert.Equal("description: Rate%3A 100%25%0Asecond line", ConfigLine(sim, 101, "description"));
    }

    [Fact]
    public void BalloonAboveTheMemoryIsRefusedBeforeAnythingChanges()
    {
        using var sim = WithVm();
        var r = sim.Run("qm set 101 --balloon 4096");
        Assert.Equal((255, "", "balloon value too large (must be smaller than assigned memory)\n"), (r.ExitCode, r.StdOut, r.StdErr));
        Assert.DoesNotContain("balloon", sim.Config(101));
        Assert.Equal(0, sim.Run("qm set 101 --balloon 4096 --memory 8192").ExitCode);
    }

    [Fact]
    public void BootOrderIsCheckedAndPrintedWithSemicolons()
    {
        using var sim = WithVm();
        sim.Ok("qm set 101 --boot 'order=scsi0 net0'");
        Assert.Equal("boot: order=scsi0;net0", ConfigLine(sim, 101, "boot"));
        var r = sim.Run("qm set 101 --boot order=scsi0;scsi5");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("update VM 101: -boot order=scsi0;scsi5\n", r.StdOut);
        Assert.Equal("invalid bootorder: device 'scsi5' does not exist'\n", r.StdErr);
        Assert.Equal("boot: order=scsi0;net0", ConfigLine(sim, 101, "boot"));
    }

    [Fact]
    public void ARunningVmKeepsColdChangesPendingAndDropsNonChanges()
    {
        using var sim = WithVm();
        sim.Ok("qm start 101");
        sim.Ok("qm set 101 --memory 4096 --balloon 1024 --tags prod");
        Assert.Equal("memory: 4096", ConfigLine(sim, 101, "memory"));
        Assert.Equal("memory: 2048", ConfigLine(sim, 101, "memory", "--current"));
        Assert.Equal("balloon: 1024", ConfigLine(sim, 101, "balloon", "--current"));
        Assert.Equal("tags: prod", ConfigLine(sim, 101, "tags", "--current"));
        Assert.Equal("cur memory: 2048\nnew memory: 4096\n", string.Concat(
            sim.Run("qm pending 101").StdOut.Split('\n').Where(l => l.EndsWith("memory: 2048") || l.EndsWith("memory: 4096")).Select(l => l + "\n")));
        // Setting the current value again is no change (cleanup_pending): nothing stays pending for it.
        sim.Ok("qm set 101 --cores 2");
        Assert.DoesNotContain("cores", sim.Config(101).Split("[PENDING]").ElementAtOrDefault(1) ?? "");
    }
}
