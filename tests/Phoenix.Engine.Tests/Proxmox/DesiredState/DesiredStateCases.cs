using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Tests.Proxmox.DesiredState;

/// <summary>
/// What <c>qm config 101</c> prints for a linked clone of the base template on LVM-thin (qemu-server 9.2:
/// keys sorted, the cloud-init drive re-allocated with its size, a new MAC and smbios1 uuid), and helpers
/// that change it line by line and build a config entry setting one field.
/// </summary>
internal static class DesiredStateCases
{
    public const string ClonePrintout =
        "agent: 1\n" +
        "boot: order=scsi0\n" +
        "cores: 2\n" +
        "ide2: local-lvm:vm-101-cloudinit,media=cdrom,size=4M\n" +
        "memory: 2048\n" +
        "meta: creation-qemu=9.2.0,ctime=1714557600\n" +
        "name: web-01\n" +
        "net0: virtio=BC:24:11:5E:7A:02,bridge=vmbr0\n" +
        "ostype: l26\n" +
        "scsi0: local-lvm:vm-101-disk-0,size=32G\n" +
        "scsihw: virtio-scsi-pci\n" +
        "serial0: socket\n" +
        "smbios1: uuid=7d8e3b0a-2c1f-4e5d-9a6b-1f2e3d4c5b6a\n" +
        "vga: serial0\n" +
        "vmgenid: 3c2b1a09-8f7e-4d6c-b5a4-9e8d7c6b5a43\n";

    /// <summary>
    /// The clone's printout with <paramref name="changes"/> applied (each line is <c>key: value</c> to add or
    /// replace, <c>-key</c> to remove; several separated by new lines), printed sorted as qm does, and parsed
    /// by the real parser (which decodes the description).
    /// </summary>
    public static VmConfig Printout(string changes = "")
    {
        var lines = ClonePrintout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l[..l.IndexOf(':')], l => l, StringComparer.Ordinal);
        foreach (var change in changes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (change.StartsWith('-')) lines.Remove(change[1..]);
            else lines[change[..change.IndexOf(':')]] = change;
        }
        var text = string.Concat(lines.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value + "\n"));
        return ProxmoxParsers.ParseQmConfig(text);
    }

    /// <summary>A config entry for VM 101 that sets <paramref name="field"/> (named, or <c>qm_options.key</c>) to <paramref name="value"/>.</summary>
    public static VmSpec Spec(string field, string? value)
    {
        int I() => int.Parse(value!, System.Globalization.CultureInfo.InvariantCulture);
        if (field.StartsWith("qm_options.", StringComparison.Ordinal))
            return new VmSpec { VmId = 101, QmOptions = new Dictionary<string, string> { [field["qm_options.".Length..]] = value! } };
        return field switch
        {
            "name" => new VmSpec { VmId = 101, Name = value },
            "cores" => new VmSpec { VmId = 101, Cores = I() },
            "memory_mb" => new VmSpec { VmId = 101, MemoryMb = I() },
            "disk_size_gb" => new VmSpec { VmId = 101, DiskSizeGb = I() },
            "storage_pool" => new VmSpec { VmId = 101, StoragePool = value },
            "network_bridge" => new VmSpec { VmId = 101, NetworkBridge = value },
            "start_at_boot" => new VmSpec { VmId = 101, StartAtBoot = bool.Parse(value!) },
            "boot_order" => new VmSpec { VmId = 101, BootOrder = I() },
            "boot_delay" => new VmSpec { VmId = 101, BootDelay = I() },
            // What Phoenix needs whatever the config says: the guest agent and a cloud-init drive.
            "agent" or "cloud-init drive" => new VmSpec { VmId = 101 },
            _ => throw new ArgumentException("no such field in the cases: " + field),
        };
    }
}
