using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;
using Phoenix.Simulator;
using Xunit;
using static Phoenix.Engine.Tests.Proxmox.DesiredState.DesiredStateCases;

namespace Phoenix.Engine.Tests.Proxmox.DesiredState;

/// <summary>
/// What the model derives for a whole config entry: one <c>qm set</c> with every option, the <c>qm resize</c>
/// calls, the drift rows; and a round trip through the in-process simulator's own printout.
/// </summary>
public sealed class DesiredStatePlanTests
{
    private static KeyValuePair<string, string> P(string k, string v) => new(k, v);

    private static VmSpec WebSpec() => new()
    {
        VmId = 101,
        Name = "web-01",
        Cores = 4,
        MemoryMb = 4096,
        DiskSizeGb = 40,
        StoragePool = "local-lvm",
        NetworkBridge = "vmbr1",
        StartAtBoot = true,
        BootOrder = 2,
        BootDelay = 30,
        QmOptions = new Dictionary<string, string>
        {
            ["scsi1"] = "local-lvm:32",
            ["net1"] = "virtio,bridge=vmbr2",
            ["cpu"] = "host,flags=+aes",
            ["balloon"] = "1024",
            ["tags"] = "Web;prod",
            ["description"] = "Phoenix: web server\nsecond line",
        },
    };

    [Fact]
    public void A_whole_entry_against_a_fresh_clone_is_one_qm_set_and_one_resize()
    {
        var c = DesiredStateModel.Compare(WebSpec(), Printout());

        Assert.Equal(new[]
        {
            P("cores", "4"), P("memory", "4096"), P("onboot", "1"), P("startup", "order=2,up=30"),
            P("net0", "virtio=BC:24:11:5E:7A:02,bridge=vmbr1"),
            P("scsi1", "local-lvm:32"), P("net1", "virtio,bridge=vmbr2"), P("cpu", "host,flags=+aes"), P("balloon", "1024"),
            P("tags", "Web;prod"), P("description", "Phoenix: web server\nsecond line"),
        }, c.SetOptions);
        var resize = Assert.Single(c.Resizes);
        Assert.Equal(("scsi0", "40G"), (resize.Disk, resize.Size));
        Assert.True(c.HasChanges);
        Assert.Empty(c.Untouched);
        // boot_order and boot_delay both live in startup: two rows, one option.
        Assert.Equal(new[] { "boot_order", "boot_delay" }, c.Fields.Where(f => f.Key == "startup").Select(f => f.Field));
        Assert.Equal(new[] { "name", "storage_pool", "agent", DesiredStateModel.CloudInitDriveField },
            c.Fields.Where(f => f.IsEqual).Select(f => f.Field));

        var commands = c.Commands().Select(x => x.ToDisplayString()).ToList();
        Assert.Equal(2, commands.Count);
        Assert.Equal("qm set 101 --cores 4 --memory 4096 --onboot 1 --startup 'order=2,up=30' --net0 'virtio=BC:24:11:5E:7A:02,bridge=vmbr1' " +
                     "--scsi1 local-lvm:32 --net1 'virtio,bridge=vmbr2' --cpu 'host,flags=+aes' --balloon 1024 --tags 'Web;prod' " +
                     "--description 'Phoenix: web server\nsecond line'", commands[0]);
        Assert.Equal("qm resize 101 scsi0 40G", commands[1]);
    }

    [Fact]
    public void The_same_entry_against_the_converged_printout_changes_nothing()
    {
        var converged = Printout(
            "boot: order=scsi0;net0\ncores: 4\nmemory: 4096\nonboot: 1\nstartup: order=2,up=30\n" +
            "net0: virtio=BC:24:11:5E:7A:02,bridge=vmbr1\nscsi0: local-lvm:vm-101-disk-0,size=40G\n" +
            "scsi1: local-lvm:vm-101-disk-1,size=32G\nnet1: virtio=BC:24:11:5B:31:68,bridge=vmbr2\n" +
            "cpu: host,flags=+aes\nballoon: 1024\ntags: prod;web\ndescription: Phoenix%3A web server%0Asecond line");

        var c = DesiredStateModel.Compare(WebSpec(), converged);

        Assert.All(c.Fields, f => Assert.True(f.IsEqual, f.ToString()));
        Assert.Empty(c.Differences);
        Assert.Empty(c.SetOptions);
        Assert.Empty(c.Resizes);
        Assert.False(c.HasChanges);
        Assert.Empty(c.Commands());
    }

    [Fact]
    public void A_disk_that_must_grow_and_change_options_gives_a_set_and_a_resize()
    {
        var spec = new VmSpec { VmId = 101, QmOptions = new Dictionary<string, string> { ["scsi1"] = "local-lvm:64,ssd=1" } };

        var c = DesiredStateModel.Compare(spec, Printout("scsi1: local-lvm:vm-101-disk-1,size=32G"));

        var rows = c.Fields.Where(f => f.Field == "qm_options.scsi1").ToList();
        Assert.Equal(new[] { DesiredAction.Set, DesiredAction.Resize }, rows.Select(r => r.Action));
        Assert.Equal(new[] { P("scsi1", "local-lvm:vm-101-disk-1,size=32G,ssd=1") }, c.SetOptions);
        Assert.Equal("scsi1 64G", Assert.Single(c.Resizes).ToString());
        Assert.Contains("ssd (0 -> 1)", rows[0].Reason);
        // The qm set comes first: resizing afterwards leaves the new size in the config.
        Assert.Equal(new[] { "qm set 101 --scsi1 'local-lvm:vm-101-disk-1,size=32G,ssd=1'", "qm resize 101 scsi1 64G" },
            c.Commands().Select(x => x.ToDisplayString()));
    }

    [Fact]
    public void A_shrink_and_a_move_are_drift_left_alone_not_commands()
    {
        var spec = new VmSpec
        {
            VmId = 101,
            DiskSizeGb = 16,
            StoragePool = "ceph-pool",
            QmOptions = new Dictionary<string, string> { ["scsi1"] = "ceph-pool:8" },
        };

        var c = DesiredStateModel.Compare(spec, Printout("scsi1: local-lvm:vm-101-disk-1,size=32G"));

        Assert.False(c.HasChanges);
        Assert.Empty(c.Commands());
        Assert.Equal(new[] { "storage_pool", "disk_size_gb", "qm_options.scsi1" }, c.Untouched.Select(f => f.Field));
        Assert.All(c.Untouched, f => Assert.Equal("None-CannotChange", f.ActionName));
        Assert.Equal(c.Untouched, c.Differences);
        Assert.Contains("Proxmox cannot shrink a disk", c.Untouched[1].Reason);
        Assert.Equal("32G", c.Untouched[1].Actual);
        Assert.Equal("16G", c.Untouched[1].Wanted);
    }

    [Fact]
    public void A_qm_option_wins_over_the_named_field_that_sets_the_same_key()
    {
        var spec = new VmSpec
        {
            VmId = 101,
            Cores = 8,
            NetworkBridge = "vmbr1",
            QmOptions = new Dictionary<string, string> { ["cores"] = "2", ["net0"] = "virtio,bridge=vmbr0,firewall=1" },
        };

        var c = DesiredStateModel.Compare(spec, Printout());

        Assert.DoesNotContain(c.Fields, f => f.Field == "cores" || f.Field == "network_bridge");
        Assert.True(c.Fields.Single(f => f.Field == "qm_options.cores").IsEqual);
        Assert.Equal(new[] { P("net0", "virtio=BC:24:11:5E:7A:02,bridge=vmbr0,firewall=1") }, c.SetOptions);
    }

    [Fact]
    public void A_lost_cloud_init_drive_goes_to_a_free_IDE_slot_and_cdrom_beats_ide2_as_in_qm_set()
    {
        var spec = new VmSpec { VmId = 101, QmOptions = new Dictionary<string, string> { ["cdrom"] = "local:iso/ubuntu-24.04.iso", ["ide2"] = "none,media=cdrom" } };

        var c = DesiredStateModel.Compare(spec, Printout("-ide2"));

        Assert.Equal(new[] { P("ide0", "local-lvm:cloudinit"), P("ide2", "local:iso/ubuntu-24.04.iso,media=cdrom") }, c.SetOptions);
        var ide2 = c.Fields.Single(f => f.Field == "qm_options.ide2");
        Assert.Equal(DesiredAction.CannotChange, ide2.Action);
        Assert.Contains("cdrom also sets ide2", ide2.Reason);
    }

    [Fact]
    public void The_boot_disk_follows_the_boot_order_then_Proxmox_drive_order()
    {
        Assert.Equal("scsi0", DesiredStateModel.BootDisk(Printout())!.Key);
        Assert.Equal("virtio0", DesiredStateModel.BootDisk(Printout("boot: order=ide2;virtio0;scsi0\nvirtio0: local-lvm:vm-101-disk-1,size=8G"))!.Key);
        Assert.Equal("sata1", DesiredStateModel.BootDisk(Printout("boot: cdn\nbootdisk: sata1\nsata1: local-lvm:vm-101-disk-1,size=8G"))!.Key);
        // Without a usable order: ide before scsi before virtio before sata; CD-ROMs and the cloud-init drive never.
        Assert.Equal("scsi0", DesiredStateModel.BootDisk(Printout("-boot\nide0: local:iso/x.iso,media=cdrom\nsata0: local-lvm:vm-101-disk-1,size=8G"))!.Key);
        Assert.Null(DesiredStateModel.BootDisk(Printout("-scsi0")));
    }

    [Fact]
    public void Property_strings_are_read_as_Proxmox_reads_them_and_refused_where_it_refuses()
    {
        Assert.True(ProxmoxFormats.Net.TryParse("virtio=BC:24:11:5B:31:68,bridge=vmbr1,firewall=on", out var net, out _));
        Assert.Equal("virtio", net["model"]);
        Assert.Equal("BC:24:11:5B:31:68", net["macaddr"]);
        Assert.Equal("1", net["firewall"]);
        Assert.Equal("virtio=BC:24:11:5B:31:68,bridge=vmbr1,firewall=1", ProxmoxFormats.Net.Print(net.Values));

        Assert.True(ProxmoxFormats.Drive.TryParse("volume=local-lvm:vm-101-disk-1,size=32768M,ssd=yes", out var drive, out _));
        Assert.Equal("local-lvm:vm-101-disk-1", drive["file"]);
        Assert.Equal("local-lvm:vm-101-disk-1,size=32G,ssd=1", ProxmoxFormats.Drive.Print(drive.Values));
        Assert.Equal("1", drive.Effective("backup"));

        static string? Error(PropertyFormat f, string text) => f.TryParse(text, out _, out var e) ? null : e;
        Assert.Equal("duplicate key in comma-separated list property: model", Error(ProxmoxFormats.Net, "virtio,e1000"));
        Assert.Equal("key alias 'model' is already defined", Error(ProxmoxFormats.Net, "model=virtio,e1000=BC:24:11:5B:31:68"));
        Assert.Equal("value without key, but schema does not define a default key", Error(ProxmoxFormats.CiCustom, "local:snippets/u.yml"));
        Assert.Equal("missing key in comma-separated list property", Error(ProxmoxFormats.Agent, "enabled="));
        Assert.Equal("duplicate key in comma-separated list property: ssd", Error(ProxmoxFormats.Drive, "local-lvm:32,ssd=1,ssd=0"));
    }

    [Fact]
    public void Sizes_parse_and_print_as_Proxmox_does()
    {
        Assert.Equal(32L << 30, VmDisk.ParseSize("32G"));
        Assert.Equal(32L << 30, VmDisk.ParseSize("32GiB"));
        Assert.Equal(512L << 20, VmDisk.ParseSize("0.5G"));
        Assert.Null(VmDisk.ParseSize("32 G"));
        Assert.Equal("32G", ProxmoxSize.Format(32L << 30));
        Assert.Equal("528K", ProxmoxSize.Format(540672));
        Assert.Equal("1T", ProxmoxSize.Format(1L << 40));
        Assert.Equal("1000", ProxmoxSize.Format(1000));
        // convert_size rounds a fractional GiB up to whole KiB.
        Assert.Equal(1024L * 1049, ProxmoxSize.FromGigabytes(0.001m));
        Assert.Equal(32L << 30, ProxmoxSize.FromGigabytes(32m));
    }

    [Fact]
    public async Task The_simulators_printout_after_the_qm_set_is_equal_for_every_field_it_set()
    {
        using var sim = new SimulatorConnection(new SimulatorOptions { RandomSeed = 11 });
        var host = new ProxmoxHost(sim, RetryPolicy.NoRetry);
        await host.CloneAsync(9000, 101, new CloneOptions { Name = "web-01" });
        var spec = WebSpec();
        var before = await host.GetVmConfigAsync(101);
        var net0Mac = before.NetworkDevices.Single(n => n.Key == "net0").MacAddress;

        var first = DesiredStateModel.Compare(spec, before);
        Assert.True(first.HasChanges);
        await host.SetAsync(101, first.SetOptions);
        foreach (var r in first.Resizes) await host.ResizeAsync(101, r.Disk, r.Size);

        var after = await host.GetVmConfigAsync(101);
        var second = DesiredStateModel.Compare(spec, after);

        Assert.All(second.Fields, f => Assert.True(f.IsEqual, f.ToString()));
        Assert.False(second.HasChanges);
        foreach (var field in new[] { "qm_options.scsi1", "qm_options.net1", "qm_options.cpu", "qm_options.balloon", "qm_options.tags", "qm_options.description", "disk_size_gb", "network_bridge" })
            Assert.Equal(DesiredAction.Equal, second.Fields.Single(f => f.Field == field).Action);
        // The extra disk was allocated once and is a 32G disk; nothing was pushed to unusedN; net0 kept its MAC.
        Assert.Equal("local-lvm:vm-101-disk-1", after.GetDisk("scsi1")!.Volume);
        Assert.Equal("32G", after.GetDisk("scsi1")!.Size);
        Assert.DoesNotContain(after.Keys, k => k.StartsWith("unused", StringComparison.Ordinal));
        Assert.Equal(net0Mac, after.NetworkDevices.Single(n => n.Key == "net0").MacAddress);
        Assert.Equal("vmbr1", after.NetworkDevices.Single(n => n.Key == "net0").Bridge);
        Assert.NotNull(after.NetworkDevices.Single(n => n.Key == "net1").MacAddress);
    }
}
