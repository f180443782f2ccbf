using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Xunit;

namespace Phoenix.Engine.Tests.Proxmox;

public class ProxmoxParsersTests
{
    // ---- qm list: printf "%10s %-20s %-10s %-10s %12s %-10s\n" / "%10s %-20s %-10s %-10s %12.2f %-10s\n"

    private const string QmListOutput =
        "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n" +
        "       100 VM 100               stopped    512                0.00 0         \n" +
        "      1001 web01                running    4096              32.00 12345     \n" +
        "      1002 very-long-name.example.com stopped    2048              10.50 0         \n" +
        "      9000 ubuntu-2404-template stopped    2048               3.50 0         \n";

    [Fact]
    public void Qm_list_reads_every_row_including_default_names_with_spaces_and_overflowing_names()
    {
        var vms = ProxmoxParsers.ParseQmList(QmListOutput);

        Assert.Equal(4, vms.Count);
        Assert.Equal(new VmListEntry(100, "VM 100", "stopped", 512, 0.00m, 0), vms[0]);
        Assert.Equal(new VmListEntry(1001, "web01", "running", 4096, 32.00m, 12345), vms[1]);
        Assert.True(vms[1].IsRunning);
        Assert.Equal(new VmListEntry(1002, "very-long-name.example.com", "stopped", 2048, 10.50m, 0), vms[2]);
        Assert.Equal(new VmListEntry(9000, "ubuntu-2404-template", "stopped", 2048, 3.50m, 0), vms[3]);
    }

    [Fact]
    public void Qm_list_with_no_vms_prints_nothing_at_all()
    {
        Assert.Empty(ProxmoxParsers.ParseQmList(""));
    }

    [Fact]
    public void Qm_list_of_another_shape_is_an_unexpected_output_error()
    {
        var e = Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseQmList("      VMID NAME\n  garbage here\n"));
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.InvalidData, e.Kind);
        Assert.Contains("garbage here", e.Message);
    }

    // ---- qm status

    [Fact]
    public void Qm_status_reads_the_status_line()
    {
        Assert.Equal("running", ProxmoxParsers.ParseQmStatus("status: running\n"));
        Assert.Equal("stopped", ProxmoxParsers.ParseQmStatus("status: stopped\n"));
        Assert.Equal("running", ProxmoxParsers.ParseQmStatus("cpus: 4\nname: web01\nqmpstatus: running\nstatus: running\nuptime: 42\n"));
        Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseQmStatus(""));
    }

    // ---- qm config

    private const string CloneConfigOutput =
        "agent: 1\n" +
        "boot: order=scsi0\n" +
        "cicustom: user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml\n" +
        "cipassword: **********\n" +
        "ciuser: admin\n" +
        "cores: 4\n" +
        "description: Web%20server%0Amanaged%20by%20Phoenix%3A%20100%25\n" +
        "ide2: local-lvm:vm-1001-cloudinit,media=cdrom,size=4M\n" +
        "ipconfig0: ip=10.0.0.101/24,gw=10.0.0.1\n" +
        "memory: 4096\n" +
        "name: web01\n" +
        "net0: virtio=BC:24:11:AA:BB:CC,bridge=vmbr0\n" +
        "onboot: 1\n" +
        "parent: pre-features\n" +
        "scsi0: local-lvm:base-9000-disk-0/vm-1001-disk-0,size=32G\n" +
        "scsihw: virtio-scsi-pci\n" +
        "smbios1: uuid=6f1b2c9e-2a51-4d0e-9b7a-1c2d3e4f5a6b\n" +
        "startup: order=2,up=30\n";

    [Fact]
    public void Qm_config_keeps_order_and_decodes_the_description()
    {
        var config = ProxmoxParsers.ParseQmConfig(CloneConfigOutput);

        Assert.Equal(new[] { "agent", "boot", "cicustom", "cipassword", "ciuser", "cores", "description", "ide2", "ipconfig0", "memory", "name", "net0", "onboot", "parent", "scsi0", "scsihw", "smbios1", "startup" },
            config.Keys.ToArray());
        Assert.Equal("Web server\nmanaged by Phoenix: 100%", config.Description);
        Assert.Equal("Web server\nmanaged by Phoenix: 100%", config["description"]);
        Assert.Equal("web01", config.Name);
        Assert.Equal(4, config.Cores);
        Assert.Equal(4096L, config.MemoryMb);
        Assert.Equal("pre-features", config.Parent);
        Assert.False(config.IsTemplate);
        Assert.Null(config.Lock);
        Assert.True(config.HasAgentKey);
        Assert.True(config.IsAgentEnabled);
        Assert.Equal("ip=10.0.0.101/24,gw=10.0.0.1", config["ipconfig0"]);
        Assert.Null(config["missing"]);
    }

    [Fact]
    public void Qm_config_cipassword_stays_masked_as_Proxmox_prints_it()
    {
        var config = ProxmoxParsers.ParseQmConfig(CloneConfigOutput);
        Assert.True(config.HasCloudInitPassword);
        Assert.Equal("**********", config["cipassword"]);
        Assert.Contains("cipassword: **********\n", config.ToString());
    }

    [Fact]
    public void Qm_config_drive_strings_split_into_volume_and_options()
    {
        var template = ProxmoxParsers.ParseQmConfig("name: ubuntu-2404-template\nscsi0: local-lvm:base-9000-disk-0,size=32G\ntemplate: 1\n");
        Assert.True(template.IsTemplate);
        var disk = Assert.Single(template.Disks);
        Assert.Equal("scsi0", disk.Key);
        Assert.Equal("local-lvm:base-9000-disk-0", disk.Volume);
        Assert.Equal("local-lvm", disk.StorageId);
        Assert.Equal("base-9000-disk-0", disk.VolumeName);
        Assert.Equal("32G", disk.Size);
        Assert.Equal(32L * 1024 * 1024 * 1024, disk.SizeBytes);
        Assert.True(disk.IsBaseVolume);
        Assert.False(disk.IsCdrom);
        Assert.Equal(new Dictionary<string, string> { ["size"] = "32G" }, disk.Options);

        var clone = ProxmoxParsers.ParseQmConfig(CloneConfigOutput);
        Assert.Equal(new[] { "ide2", "scsi0" }, clone.Disks.Select(d => d.Key).ToArray());
        var cloudInit = clone.CloudInitDrive!;
        Assert.Equal("ide2", cloudInit.Key);
        Assert.Equal("local-lvm:vm-1001-cloudinit", cloudInit.Volume);
        Assert.True(cloudInit.IsCdrom);
        Assert.Equal(4L * 1024 * 1024, cloudInit.SizeBytes);
        Assert.True(clone.GetDisk("scsi0")!.IsBaseVolume);
    }

    [Fact]
    public void Qm_config_network_strings_split_into_model_mac_and_options()
    {
        var nic = Assert.Single(ProxmoxParsers.ParseQmConfig(CloneConfigOutput).NetworkDevices);
        Assert.Equal("net0", nic.Key);
        Assert.Equal("virtio", nic.Model);
        Assert.Equal("BC:24:11:AA:BB:CC", nic.MacAddress);
        Assert.Equal("vmbr0", nic.Bridge);
        Assert.Equal(new Dictionary<string, string> { ["bridge"] = "vmbr0" }, nic.Options);

        var tagged = VmNetworkDevice.Parse("net1", "e1000=BC:24:11:00:00:01,bridge=vmbr1,firewall=1,tag=20");
        Assert.Equal("e1000", tagged.Model);
        Assert.Equal(20, tagged.Tag);
        Assert.Equal("1", tagged.Options["firewall"]);
    }

    [Fact]
    public void Property_strings_handle_bare_values_quotes_and_lookups()
    {
        var ps = PropertyString.Parse("user=local:snippets/user-data-1001.yml,network=local:snippets/network-config-1001.yml");
        Assert.Equal("local:snippets/user-data-1001.yml", ps["user"]);
        Assert.Equal("local:snippets/network-config-1001.yml", ps["network"]);
        Assert.Null(ps["meta"]);

        var quoted = PropertyString.Parse("file=\"a,b\",size=1G", "file");
        Assert.Equal("a,b", quoted["file"]);
        Assert.Equal("1G", quoted["size"]);

        var agent = PropertyString.Parse("1,fstrim_cloned_disks=1", "enabled");
        Assert.Equal("1", agent["enabled"]);
        Assert.Equal("1", agent.BareValue);
    }

    [Fact]
    public void Qm_config_agent_zero_is_configured_but_not_enabled()
    {
        var config = ProxmoxParsers.ParseQmConfig("agent: 0\n");
        Assert.True(config.HasAgentKey);
        Assert.False(config.IsAgentEnabled);
        Assert.True(ProxmoxParsers.ParseQmConfig("agent: enabled=1,fstrim_cloned_disks=1\n").IsAgentEnabled);
    }

    [Fact]
    public void Qm_config_of_another_shape_is_refused()
    {
        var e = Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseQmConfig("this is not a config\n"));
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, e.ProxmoxReason);
    }

    // ---- qm listsnapshot

    [Fact]
    public void Listsnapshot_reads_the_notes_example()
    {
        const string output =
            "`-> s1                          2024-05-01 10:00:00     first snap\n" +
            " `-> current                                            You are here!\n";

        var snapshots = ProxmoxParsers.ParseListSnapshot(output);

        Assert.Equal(2, snapshots.Count);
        Assert.Equal(new SnapshotInfo("s1", null, new DateTime(2024, 5, 1, 10, 0, 0), "first snap", false), snapshots[0]);
        Assert.Equal(new SnapshotInfo("current", "s1", null, "You are here!", true), snapshots[1]);
    }

    [Fact]
    public void Listsnapshot_derives_parents_from_indentation_in_a_deeper_tree()
    {
        const string output =
            "`-> base                        2024-05-01 10:00:00     no-description\n" +
            " `-> pre-features               2024-05-02 11:30:00     before features\n" +
            "  `-> post-features             2024-05-02 12:00:00     after features\n" +
            "   `-> current                                          You are here!\n" +
            " `-> other                      2024-05-03 09:00:00     branch\n";

        var snapshots = ProxmoxParsers.ParseListSnapshot(output);

        Assert.Equal(new[]
        {
            new SnapshotInfo("base", null, new DateTime(2024, 5, 1, 10, 0, 0), null, false),
            new SnapshotInfo("pre-features", "base", new DateTime(2024, 5, 2, 11, 30, 0), "before features", false),
            new SnapshotInfo("post-features", "pre-features", new DateTime(2024, 5, 2, 12, 0, 0), "after features", false),
            new SnapshotInfo("current", "post-features", null, "You are here!", true),
            new SnapshotInfo("other", "base", new DateTime(2024, 5, 3, 9, 0, 0), "branch", false),
        }, snapshots);
    }

    [Fact]
    public void Listsnapshot_without_snapshots_has_only_current_and_long_names_overflow_their_column()
    {
        var none = Assert.Single(ProxmoxParsers.ParseListSnapshot("`-> current                                             You are here!\n"));
        Assert.Equal(new SnapshotInfo("current", null, null, "You are here!", true), none);

        var longName = Assert.Single(ProxmoxParsers.ParseListSnapshot("`-> a234567890123456789012345678901234567890 2024-05-01 10:00:00     long\n"));
        Assert.Equal("a234567890123456789012345678901234567890", longName.Name);
        Assert.Equal(new DateTime(2024, 5, 1, 10, 0, 0), longName.Time);
        Assert.Equal("long", longName.Description);
    }

    // ---- qm guest exec / exec-status

    [Fact]
    public void Guest_exec_reads_the_notes_example()
    {
        const string output = "{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"hello\\n\"\n}\n";

        var result = ProxmoxParsers.ParseGuestExec(output);

        Assert.True(result.Exited);
        Assert.Equal(0, result.ExitCode);
        Assert.Null(result.Signal);
        Assert.Equal("hello\n", result.OutData);
        Assert.Equal("", result.ErrData);
        Assert.False(result.OutTruncated);
        Assert.False(result.ErrTruncated);
        Assert.Null(result.Pid);
        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Guest_exec_reads_signals_errors_and_truncation()
    {
        const string output = "{\n   \"err-data\" : \"boom\\n\",\n   \"err-truncated\" : 1,\n   \"exited\" : 1,\n   \"out-truncated\" : 1,\n   \"signal\" : 9\n}\n";

        var result = ProxmoxParsers.ParseGuestExec(output);

        Assert.True(result.Exited);
        Assert.Null(result.ExitCode);
        Assert.Equal(9, result.Signal);
        Assert.Equal("boom\n", result.ErrData);
        Assert.True(result.ErrTruncated);
        Assert.True(result.OutTruncated);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public void Guest_exec_reads_the_pid_answer_and_a_still_running_status()
    {
        var pid = ProxmoxParsers.ParseGuestExec("{\"pid\": 4242}\n");
        Assert.False(pid.Exited);
        Assert.Equal(4242L, pid.Pid);

        var pretty = ProxmoxParsers.ParseGuestExec("{\n   \"pid\" : 4242\n}\n");
        Assert.Equal(4242L, pretty.Pid);

        var running = ProxmoxParsers.ParseGuestExec("{\n   \"exited\" : 0\n}\n");
        Assert.False(running.Exited);
        Assert.Null(running.Pid);
    }

    [Fact]
    public void Guest_exec_output_that_looks_like_a_date_comes_back_unchanged()
    {
        var result = ProxmoxParsers.ParseGuestExec("{\n   \"exitcode\" : 3,\n   \"exited\" : 1,\n   \"out-data\" : \"2024-05-01T10:00:00Z\"\n}\n");
        Assert.Equal("2024-05-01T10:00:00Z", result.OutData);
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public void Guest_exec_of_another_shape_is_refused()
    {
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseGuestExec("not json")).ProxmoxReason);
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseGuestExec("[1,2]")).ProxmoxReason);
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseGuestExec("{}")).ProxmoxReason);
    }

    // ---- network-get-interfaces

    private const string NetworkInterfacesOutput = """
        [
           {
              "hardware-address" : "00:00:00:00:00:00",
              "ip-addresses" : [
                 {
                    "ip-address" : "127.0.0.1",
                    "ip-address-type" : "ipv4",
                    "prefix" : 8
                 },
                 {
                    "ip-address" : "::1",
                    "ip-address-type" : "ipv6",
                    "prefix" : 128
                 }
              ],
              "name" : "lo"
           },
           {
              "hardware-address" : "bc:24:11:aa:bb:cc",
              "ip-addresses" : [
                 {
                    "ip-address" : "fe80::be24:11ff:feaa:bbcc",
                    "ip-address-type" : "ipv6",
                    "prefix" : 64
                 },
                 {
                    "ip-address" : "10.0.0.101",
                    "ip-address-type" : "ipv4",
                    "prefix" : 24
                 }
              ],
              "name" : "eth0"
           },
           {
              "hardware-address" : "02:42:ac:11:00:02",
              "name" : "docker0"
           }
        ]

        """;

    [Fact]
    public void Network_interfaces_are_read_with_their_addresses()
    {
        var interfaces = ProxmoxParsers.ParseNetworkInterfaces(NetworkInterfacesOutput);

        Assert.Equal(new[] { "lo", "eth0", "docker0" }, interfaces.Select(i => i.Name).ToArray());
        Assert.Equal("bc:24:11:aa:bb:cc", interfaces[1].HardwareAddress);
        Assert.Equal(new[] { "fe80::be24:11ff:feaa:bbcc/64", "10.0.0.101/24" }, interfaces[1].Addresses.Select(a => a.ToString()).ToArray());
        Assert.Empty(interfaces[2].Addresses);
    }

    [Fact]
    public void Reachable_addresses_leave_out_loopback_and_put_ipv4_first()
    {
        var addresses = ProxmoxParsers.ReachableAddresses(ProxmoxParsers.ParseNetworkInterfaces(NetworkInterfacesOutput));

        Assert.Equal(new[] { "10.0.0.101", "fe80::be24:11ff:feaa:bbcc" }, addresses.Select(a => a.Address).ToArray());
        Assert.Equal("eth0", addresses[0].InterfaceName);
        Assert.True(addresses[0].IsIPv4);
        Assert.True(addresses[1].IsLinkLocal);
    }

    // ---- pvesm status

    [Fact]
    public void Pvesm_status_reads_the_older_header()
    {
        const string output =
            "Name             Type     Status           Total            Used       Available        %\n" +
            "local             dir     active        98497780        12345678        81085716   12.53%\n" +
            "local-lvm     lvmthin     active       367001600        52428800       314572800   14.29%\n" +
            "nfs-iso           nfs   disabled               0               0               0      N/A\n";

        var storages = ProxmoxParsers.ParsePvesmStatus(output);

        Assert.Equal(new[]
        {
            new StorageStatus("local", "dir", "active", 98497780, 12345678, 81085716, 12.53),
            new StorageStatus("local-lvm", "lvmthin", "active", 367001600, 52428800, 314572800, 14.29),
            new StorageStatus("nfs-iso", "nfs", "disabled", 0, 0, 0, null),
        }, storages);
        Assert.False(storages[2].IsEnabled);
        Assert.False(storages[2].IsActive);
        Assert.True(storages[0].IsActive);
    }

    [Fact]
    public void Pvesm_status_reads_the_header_with_units()
    {
        const string output =
            "Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
            "local             dir     active        98497780        12345678        81085716   12.53%\n" +
            "nfs-iso           nfs   disabled               0               0               0      N/A\n";

        var storages = ProxmoxParsers.ParsePvesmStatus(output);

        Assert.Equal(2, storages.Count);
        Assert.Equal(new StorageStatus("local", "dir", "active", 98497780, 12345678, 81085716, 12.53), storages[0]);
        Assert.Null(storages[1].UsedPercent);
    }

    // ---- pvesh

    [Fact]
    public void Nextid_reads_text_and_json()
    {
        Assert.Equal(100, ProxmoxParsers.ParseNextId("100\n"));
        Assert.Equal(1003, ProxmoxParsers.ParseNextId("\"1003\"\n"));
        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, Assert.Throws<ProxmoxException>(() => ProxmoxParsers.ParseNextId("")).ProxmoxReason);
    }

    [Fact]
    public void Cluster_resources_read_vms_and_containers()
    {
        const string output =
            "[{\"cpu\":0,\"disk\":0,\"id\":\"qemu/9000\",\"maxcpu\":2,\"maxmem\":2147483648,\"name\":\"ubuntu-2404-template\",\"node\":\"pve\",\"status\":\"stopped\",\"template\":1,\"type\":\"qemu\",\"vmid\":9000}," +
            "{\"id\":\"qemu/1001\",\"name\":\"web01\",\"node\":\"pve\",\"status\":\"running\",\"template\":0,\"type\":\"qemu\",\"vmid\":1001}," +
            "{\"id\":\"lxc/102\",\"name\":\"dns\",\"node\":\"pve\",\"status\":\"running\",\"type\":\"lxc\",\"vmid\":102}]\n";

        var resources = ProxmoxParsers.ParseClusterResources(output);

        Assert.Equal(new[]
        {
            new ClusterResource("qemu/9000", "qemu", 9000, "ubuntu-2404-template", "pve", "stopped", true),
            new ClusterResource("qemu/1001", "qemu", 1001, "web01", "pve", "running", false),
            new ClusterResource("lxc/102", "lxc", 102, "dns", "pve", "running", false),
        }, resources);
        Assert.True(resources[2].IsContainer);
        Assert.True(resources[2].IsRunning);
        Assert.True(resources[0].IsVm);
    }

    // ---- qm clone task log

    [Fact]
    public void Clone_output_says_which_drives_were_linked_and_which_full()
    {
        const string output =
            "creating a clone of VM 9000 with ID 1001\n" +
            "create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)\n" +
            "create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)\n" +
            "allocated target volume 'local-lvm:vm-123-cloudinit'\n" +
            "transferred 1.0 GiB of 32.0 GiB (3.12%)\n";

        var result = ProxmoxParsers.ParseCloneOutput(output);

        Assert.Equal(new[] { "scsi0" }, result.LinkedDrives);
        Assert.Equal(new[] { "ide2" }, result.FullDrives);
        Assert.Equal(5, result.Output.Count);
        Assert.False(result.IsPlanned);
    }
}
