using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox.DesiredState;
using Xunit;
using static Phoenix.Engine.Tests.Proxmox.DesiredState.DesiredStateCases;

namespace Phoenix.Engine.Tests.Proxmox.DesiredState;

/// <summary>
/// The desired-state model, one table: a field, the value the config gives it, what <c>qm config</c> prints
/// (changes to a fresh clone's printout; Proxmox's own spellings from qemu-server 9.2 and pve-common 9.2),
/// and what converging takes. For Set the detail is the exact <c>qm set</c> value, for Resize the
/// <c>qm resize</c> size, for None-CannotChange a part of the reason.
/// </summary>
public sealed class DesiredStateModelTests
{
    private const string Equal = "Equal", Set = "Set", Resize = "Resize", Cannot = "None-CannotChange";
    private const string Mac1 = "BC:24:11:5B:31:68";

    public static TheoryData<string, string?, string, string, string?> Cases => new()
    {
        // ---- named fields
        { "name", "web-01", "", Equal, null },
        { "name", "web-01", "-name", Set, "web-01" },
        { "name", "web-02", "", Cannot, "never renames" },
        { "cores", "2", "", Equal, null },
        { "cores", "4", "", Set, "4" },
        { "cores", "1", "-cores", Equal, null },                                  // cores defaults to 1
        { "cores", "4", "-cores", Set, "4" },
        { "memory_mb", "2048", "", Equal, null },
        { "memory_mb", "2048", "memory: current=2048", Equal, null },             // the implicit default key of memory
        { "memory_mb", "4096", "", Set, "4096" },
        { "memory_mb", "512", "-memory", Equal, null },                           // memory defaults to 512
        { "disk_size_gb", "32", "", Equal, null },
        { "disk_size_gb", "32", "scsi0: local-lvm:vm-101-disk-0,size=32768M", Equal, null },
        { "disk_size_gb", "40", "", Resize, "40G" },
        { "disk_size_gb", "20", "", Cannot, "cannot shrink" },
        { "disk_size_gb", "40", "boot: order=virtio0;ide2\nvirtio0: local-lvm:vm-101-disk-1,size=10G", Resize, "40G" },
        { "disk_size_gb", "40", "-scsi0\n-boot", Cannot, "no disk" },
        { "storage_pool", "local-lvm", "", Equal, null },
        { "storage_pool", "ceph-pool", "", Cannot, "moving a disk" },
        { "network_bridge", "vmbr0", "", Equal, null },
        { "network_bridge", "vmbr1", "", Set, "virtio=BC:24:11:5E:7A:02,bridge=vmbr1" },
        { "network_bridge", "vmbr1", "net0: virtio=BC:24:11:5E:7A:02,bridge=vmbr0,firewall=1,tag=10", Set, "virtio=BC:24:11:5E:7A:02,bridge=vmbr1,firewall=1,tag=10" },
        { "network_bridge", "vmbr0", "-net0", Set, "virtio,bridge=vmbr0" },
        { "start_at_boot", "true", "onboot: 1", Equal, null },
        { "start_at_boot", "false", "", Equal, null },                            // onboot defaults to 0
        { "start_at_boot", "true", "", Set, "1" },
        { "start_at_boot", "false", "onboot: 1", Set, "0" },
        { "boot_order", "2", "startup: order=2", Equal, null },
        { "boot_order", "2", "startup: 2", Equal, null },                         // order= is the implicit key of startup
        { "boot_order", "2", "startup: up=30,order=2", Equal, null },
        { "boot_order", "3", "startup: order=2,up=30,down=60", Set, "order=3,up=30,down=60" },
        { "boot_order", "1", "", Set, "order=1" },
        { "boot_delay", "30", "startup: order=2,up=30", Equal, null },
        { "boot_delay", "45", "", Set, "up=45" },
        { "boot_delay", "45", "startup: order=2,up=30", Set, "order=2,up=45" },
        { "agent", null, "", Equal, null },
        { "agent", null, "agent: enabled=1,fstrim_cloned_disks=1", Equal, null },
        { "agent", null, "agent: yes", Equal, null },
        { "agent", null, "-agent", Set, "1" },
        { "agent", null, "agent: 0", Set, "1" },
        { "agent", null, "agent: enabled=0,fstrim_cloned_disks=1", Set, "1,fstrim_cloned_disks=1" },
        { "cloud-init drive", null, "", Equal, null },
        { "cloud-init drive", null, "-ide2", Set, "local-lvm:cloudinit" },
        { "cloud-init drive", null, "ide2: local:iso/ubuntu-24.04.iso,media=cdrom,size=2680M", Set, "local-lvm:cloudinit" },
        { "cloud-init drive", null, "ide0: local:iso/a.iso,media=cdrom\nide1: local:iso/b.iso,media=cdrom\nide2: local:iso/c.iso,media=cdrom\nide3: local:iso/d.iso,media=cdrom", Cannot, "holds another drive" },

        // ---- disks: a size is a size, never a new allocation
        { "qm_options.scsi1", "local-lvm:32", "", Set, "local-lvm:32" },
        { "qm_options.scsi1", "local-lvm:32", "scsi1: local-lvm:vm-101-disk-1,size=32G", Equal, null },
        { "qm_options.scsi1", "local-lvm:32", "scsi1: local-lvm:vm-101-disk-1,size=33554432K", Equal, null },
        { "qm_options.scsi1", "local-lvm:0.5", "scsi1: local-lvm:vm-101-disk-1,size=512M", Equal, null },
        { "qm_options.scsi1", "local-lvm:40", "scsi1: local-lvm:vm-101-disk-1,size=32G", Resize, "40G" },
        { "qm_options.scsi1", "local-lvm:16", "scsi1: local-lvm:vm-101-disk-1,size=32G", Cannot, "cannot shrink" },
        { "qm_options.scsi1", "ceph-pool:32", "scsi1: local-lvm:vm-101-disk-1,size=32G", Cannot, "on storage 'local-lvm', not 'ceph-pool'" },
        { "qm_options.scsi1", "local-lvm:32,ssd=1,discard=on", "scsi1: local-lvm:vm-101-disk-1,discard=on,size=32G,ssd=1", Equal, null },
        { "qm_options.scsi1", "local-lvm:32,ssd=on,iothread=yes", "scsi1: local-lvm:vm-101-disk-1,iothread=1,size=32G,ssd=1", Equal, null },
        { "qm_options.scsi1", "local-lvm:32,backup=1,replicate=1,discard=ignore", "scsi1: local-lvm:vm-101-disk-1,size=32G", Equal, null },
        { "qm_options.scsi1", "local-lvm:32,cache=writeback", "scsi1: local-lvm:vm-101-disk-1,cache=writeback,size=32G", Equal, null },
        { "qm_options.scsi1", "local-lvm:32,iothread=1", "scsi1: local-lvm:vm-101-disk-1,size=32G", Set, "local-lvm:vm-101-disk-1,iothread=1,size=32G" },
        { "qm_options.scsi1", "local-lvm:32", "scsi1: local-lvm:vm-101-disk-1,cache=unsafe,size=32G", Set, "local-lvm:vm-101-disk-1,size=32G" },
        { "qm_options.scsi1", "local-lvm:32", "scsi1: local:iso/ubuntu-24.04.iso,media=cdrom,size=2680M", Cannot, "CD-ROM" },
        { "qm_options.scsi1", "local-lvm:0,import-from=local:import/disk.qcow2", "scsi1: local-lvm:vm-101-disk-1,size=3584M", Equal, null },
        { "qm_options.scsi1", "local-lvm:vm-101-disk-1,ssd=1", "scsi1: local-lvm:vm-101-disk-1,size=32G,ssd=1", Equal, null },
        { "qm_options.scsi1", "volume=local-lvm:vm-101-disk-1", "scsi1: local-lvm:vm-101-disk-1,size=32G", Equal, null },
        { "qm_options.scsi1", "local-lvm:vm-101-disk-1,ssd=1", "scsi1: local-lvm:vm-101-disk-1,size=32G", Set, "local-lvm:vm-101-disk-1,size=32G,ssd=1" },
        { "qm_options.scsi1", "local-lvm:vm-101-disk-5", "scsi1: local-lvm:vm-101-disk-1,size=32G", Cannot, "does not swap disks" },
        { "qm_options.virtio1", "local-lvm:10", "", Set, "local-lvm:10" },
        { "qm_options.virtio1", "local-lvm:10,iothread=1", "virtio1: local-lvm:vm-101-disk-2,iothread=1,size=10G", Equal, null },
        { "qm_options.sata0", "local-lvm:8", "sata0: local-lvm:vm-101-disk-2,size=8G", Equal, null },
        { "qm_options.ide0", "local-lvm:4", "ide0: local-lvm:vm-101-disk-3,size=4G", Equal, null },
        { "qm_options.scsi2", "local:16", "scsi2: local:101/vm-101-disk-0.qcow2,size=16G", Equal, null },
        { "qm_options.ide3", "none,media=cdrom", "ide3: none,media=cdrom", Equal, null },
        { "qm_options.ide3", "local:iso/ubuntu-24.04.iso,media=cdrom", "ide3: local:iso/debian-12.iso,media=cdrom", Set, "local:iso/ubuntu-24.04.iso,media=cdrom" },
        { "qm_options.cdrom", "local:iso/ubuntu-24.04.iso", "ide0: local-lvm:vm-101-cloudinit,media=cdrom,size=4M\nide2: local:iso/ubuntu-24.04.iso,media=cdrom", Equal, null },
        { "qm_options.ide2", "local-lvm:cloudinit", "", Equal, null },
        { "qm_options.ide2", "ceph-pool:cloudinit", "", Cannot, "moving it" },
        { "qm_options.efidisk0", "local-lvm:1,efitype=4m,pre-enrolled-keys=1", "efidisk0: local-lvm:vm-101-disk-1,efitype=4m,ms-cert=2023k,pre-enrolled-keys=1,size=4M", Equal, null },
        { "qm_options.efidisk0", "local-lvm:1,efitype=4m", "efidisk0: local-lvm:vm-101-disk-1,size=4M", Cannot, "new EFI disk" },
        { "qm_options.efidisk0", "local-lvm:1,efitype=4m", "", Set, "local-lvm:1,efitype=4m" },
        { "qm_options.tpmstate0", "local-lvm:1,version=v2.0", "tpmstate0: local-lvm:vm-101-disk-2,size=4M,version=v2.0", Equal, null },
        { "qm_options.tpmstate0", "local-lvm:1,version=v2.0", "tpmstate0: local-lvm:vm-101-disk-2,size=4M", Cannot, "new TPM disk" },

        // ---- NICs: model, bridge and options compared, the MAC kept
        { "qm_options.net1", "virtio,bridge=vmbr1", "", Set, "virtio,bridge=vmbr1" },
        { "qm_options.net1", "virtio,bridge=vmbr1", $"net1: virtio={Mac1},bridge=vmbr1", Equal, null },
        { "qm_options.net1", "bridge=vmbr1,model=virtio", $"net1: virtio={Mac1},bridge=vmbr1", Equal, null },
        { "qm_options.net1", "virtio,bridge=vmbr1,firewall=yes", $"net1: virtio={Mac1},bridge=vmbr1,firewall=1", Equal, null },
        { "qm_options.net1", "virtio,bridge=vmbr1,firewall=0", $"net1: virtio={Mac1},bridge=vmbr1", Equal, null },
        { "qm_options.net1", "virtio,bridge=vmbr1,tag=010", $"net1: virtio={Mac1},bridge=vmbr1,tag=10", Equal, null },
        { "qm_options.net1", "virtio=bc:24:11:5b:31:68,bridge=vmbr1", $"net1: virtio={Mac1},bridge=vmbr1", Equal, null },
        { "qm_options.net1", "virtio,bridge=vmbr2", $"net1: virtio={Mac1},bridge=vmbr1", Set, $"virtio={Mac1},bridge=vmbr2" },
        { "qm_options.net1", "e1000,bridge=vmbr1", $"net1: virtio={Mac1},bridge=vmbr1", Set, $"e1000={Mac1},bridge=vmbr1" },
        { "qm_options.net1", "virtio,bridge=vmbr1", $"net1: virtio={Mac1},bridge=vmbr1,firewall=1", Set, $"virtio={Mac1},bridge=vmbr1" },
        { "qm_options.net1", "virtio,bridge=vmbr1,rate=12.5", $"net1: virtio={Mac1},bridge=vmbr1", Set, $"virtio={Mac1},bridge=vmbr1,rate=12.5" },
        { "qm_options.net1", "virtio=BC:24:11:00:00:01,bridge=vmbr1", $"net1: virtio={Mac1},bridge=vmbr1", Set, "virtio=BC:24:11:00:00:01,bridge=vmbr1" },
        { "qm_options.net1", "bridge=vmbr1", "", Cannot, "no model" },

        // ---- cpu, memory, balloon and the other property strings and numbers
        { "qm_options.cpu", "host", "cpu: host", Equal, null },
        { "qm_options.cpu", "host", "", Set, "host" },
        { "qm_options.cpu", "kvm64", "", Equal, null },                            // kvm64 is the x86 default
        { "qm_options.cpu", "cputype=host,flags=+aes;+pcid", "cpu: host,flags=+pcid;+aes", Equal, null },
        { "qm_options.cpu", "host,hidden=1", "cpu: host", Set, "host,hidden=1" },
        { "qm_options.cpu", "host,hidden=0", "cpu: host", Equal, null },
        { "qm_options.cpu", "x86-64-v2-AES", "cpu: host", Set, "x86-64-v2-AES" },
        { "qm_options.cpu", "host,colour=blue", "cpu: host,colour=blue", Equal, null },   // keys the schema lacks: to the letter
        { "qm_options.cpu", "host,,", "cpu: host", Equal, null },
        { "qm_options.cpu", "host,kvm64", "cpu: host", Cannot, "duplicate key" },
        { "qm_options.memory", "current=4096", "memory: 4096", Equal, null },
        { "qm_options.memory", "8192", "memory: 4096", Set, "8192" },
        { "qm_options.balloon", "1024", "balloon: 1024", Equal, null },
        { "qm_options.balloon", "1024", "", Set, "1024" },
        { "qm_options.balloon", "0", "", Set, "0" },                               // 0 disables the balloon; absent does not
        { "qm_options.balloon", "a lot", "", Cannot, "not a whole number" },
        { "qm_options.agent", "enabled=1,fstrim_cloned_disks=1", "agent: 1,fstrim_cloned_disks=1", Equal, null },
        { "qm_options.agent", "1,freeze-fs-on-backup=0", "agent: 1,freeze-fs=0", Equal, null },
        { "qm_options.agent", "enabled=1,fstrim_cloned_disks=1", "", Set, "enabled=1,fstrim_cloned_disks=1" },
        { "qm_options.agent", "0", "-agent", Equal, null },
        { "qm_options.onboot", "yes", "onboot: 1", Equal, null },
        { "qm_options.onboot", "maybe", "", Cannot, "not a boolean" },
        { "qm_options.numa", "1", "", Set, "1" },
        { "qm_options.numa", "0", "", Equal, null },
        { "qm_options.sockets", "1", "", Equal, null },
        { "qm_options.sockets", "2", "sockets: 2", Equal, null },
        { "qm_options.cpulimit", "1.5", "cpulimit: 1.50", Equal, null },
        { "qm_options.cpuunits", "20000", "cpuunits: 10000", Equal, null },        // clamped to cgroup v2's range
        { "qm_options.vga", "std", "-vga", Equal, null },
        { "qm_options.vga", "serial0", "", Equal, null },
        { "qm_options.vga", "type=qxl,memory=32", "", Set, "type=qxl,memory=32" },
        { "qm_options.ostype", "l26", "", Equal, null },
        { "qm_options.ostype", "win11", "", Set, "win11" },
        { "qm_options.scsihw", "virtio-scsi-single", "", Set, "virtio-scsi-single" },
        { "qm_options.scsihw", "lsi", "-scsihw", Equal, null },
        { "qm_options.machine", "q35", "machine: type=q35", Equal, null },
        { "qm_options.watchdog", "model=i6300esb,action=reset", "watchdog: i6300esb,action=reset", Equal, null },
        { "qm_options.rng0", "source=/dev/urandom", "rng0: /dev/urandom,max_bytes=1024", Equal, null },
        { "qm_options.hotplug", "1", "", Equal, null },
        { "qm_options.hotplug", "network,disk,usb", "hotplug: 1", Equal, null },
        { "qm_options.hotplug", "disk,network,usb,memory,cpu", "hotplug: 1", Set, "disk,network,usb,memory,cpu" },
        { "qm_options.hotplug", "0", "", Set, "0" },
        { "qm_options.serial0", "socket", "", Equal, null },
        { "qm_options.args", "-no-reboot", "args: -no-reboot", Equal, null },
        { "qm_options.protection", "1", "", Set, "1" },

        // ---- tags: Proxmox splits at ; , and spaces, lower-cases, sorts and de-duplicates, and prints them joined with ;
        { "qm_options.tags", "prod;web", "tags: prod;web", Equal, null },
        { "qm_options.tags", "Web, prod prod", "tags: prod;web", Equal, null },
        { "qm_options.tags", "prod", "tags: prod;web", Set, "prod" },
        { "qm_options.tags", "prod", "", Set, "prod" },

        // ---- description: qm config prints it through encode_text (':' '%' and line breaks escaped)
        { "qm_options.description", "Phoenix: web server", "description: Phoenix%3A web server", Equal, null },
        { "qm_options.description", "first line\nsecond line", "description: first line%0Asecond line", Equal, null },
        { "qm_options.description", "100% done", "description: 100%25 done", Equal, null },
        { "qm_options.description", "kept\n\n", "description: kept", Equal, null },     // Proxmox strips trailing white space
        { "qm_options.description", "new text", "description: old text", Set, "new text" },
        { "qm_options.description", "new text", "", Set, "new text" },

        // ---- startup and boot as qm_options
        { "qm_options.startup", "order=1,up=10", "startup: up=10,order=1", Equal, null },
        { "qm_options.startup", "order=1,up=10", "startup: order=1", Set, "order=1,up=10" },
        { "qm_options.startup", "first", "", Cannot, "does not parse" },
        { "qm_options.boot", "order=scsi0;net0", "boot: order=scsi0;net0", Equal, null },
        { "qm_options.boot", "order=scsi0;net0", "", Set, "order=scsi0;net0" },
        { "qm_options.boot", "cdn", "-boot", Equal, null },                        // the legacy default
        { "qm_options.boot", "order=scsi0", "boot: c", Set, "order=scsi0" },

        // ---- cloud-init keys (Phoenix sets them itself; compared all the same)
        { "qm_options.ipconfig1", "ip=10.0.0.5/24,gw=10.0.0.1", "ipconfig1: gw=10.0.0.1,ip=10.0.0.5/24", Equal, null },
        { "qm_options.nameserver", "1.1.1.1 8.8.8.8", "nameserver: 1.1.1.1 8.8.8.8", Equal, null },
        { "qm_options.cipassword", "$5$salt$hash", "cipassword: **********", Cannot, "**********" },

        // ---- what Proxmox keeps or rewrites itself, and what the model does not know
        { "qm_options.vmgenid", "1", "", Equal, null },
        { "qm_options.smp", "2", "sockets: 2", Equal, null },
        { "qm_options.smp", "2", "", Cannot, "rewrites smp" },
        { "qm_options.template", "1", "", Cannot, "kept by Proxmox" },
        { "qm_options.unused0", "local-lvm:vm-101-disk-1", "", Cannot, "kept by Proxmox" },
        { "qm_options.delete", "cores", "", Cannot, "not an option" },
        { "qm_options.hostpci0", "0000:01:00.0,pcie=1", "", Set, "0000:01:00.0,pcie=1" },
        { "qm_options.hostpci0", "0000:01:00.0,pcie=1", "hostpci0: 0000:01:00.0,pcie=1", Equal, null },
        { "qm_options.hostpci0", "0000:01:00.0,pcie=1", "hostpci0: host=0000:01:00.0,pcie=1", Cannot, "does not know the format" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_field_is_compared_the_way_Proxmox_means_it(string field, string? configValue, string printout, string action, string? detail)
    {
        var comparison = DesiredStateModel.Compare(Spec(field, configValue), Printout(printout));

        var row = Assert.Single(comparison.Fields, f => f.Field == field);
        Assert.True(action == row.ActionName, $"{row} (reason: {row.Reason})");
        switch (row.Action)
        {
            case DesiredAction.Set:
                Assert.Equal(detail, row.SetValue);
                Assert.Contains(new KeyValuePair<string, string>(row.Key, row.SetValue!), comparison.SetOptions);
                break;
            case DesiredAction.Resize:
                Assert.Equal(detail, row.ResizeTo);
                Assert.Contains(comparison.Resizes, r => r.Disk == row.Key && r.Size == detail);
                break;
            case DesiredAction.CannotChange:
                Assert.Contains(detail!, row.Reason, StringComparison.Ordinal);
                Assert.DoesNotContain(comparison.SetOptions, kv => kv.Key == row.Key);
                break;
            default:
                Assert.Null(detail);
                Assert.DoesNotContain(comparison.SetOptions, kv => kv.Key == row.Key);
                break;
        }
        // Only the field under test may differ: the clone's printout is otherwise what Phoenix wants.
        Assert.All(comparison.Fields.Where(f => f.Field != field), f => Assert.True(f.IsEqual, f.ToString()));
    }
}
