using Xunit;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Tests.Proxmox;

public class ProxmoxNamesTests
{
    [Theory]
    [InlineData(100, true)]
    [InlineData(999999999, true)]
    [InlineData(9000, true)]
    [InlineData(99, false)]
    [InlineData(1000000000, false)]
    [InlineData(0, false)]
    public void VmId_range_is_100_to_999999999(long id, bool valid) => Assert.Equal(valid, ProxmoxNames.IsValidVmId(id));

    [Theory]
    [InlineData("100", true)]
    [InlineData("999999999", true)]
    [InlineData("0100", false)] // the format regex refuses a leading zero before min/max are checked
    [InlineData("99", false)]
    [InlineData("1000000000", false)]
    [InlineData("+100", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void VmId_text_follows_the_pve_vmid_format(string? text, bool valid) => Assert.Equal(valid, ProxmoxNames.IsValidVmId(text));

    [Theory]
    [InlineData("pre-features")]
    [InlineData("post_features")]
    [InlineData("Golden2")]
    [InlineData("s1")]
    [InlineData("a234567890123456789012345678901234567890")] // exactly 40
    public void Valid_snapshot_names_have_no_reason(string name)
    {
        Assert.Null(ProxmoxNames.ValidateSnapshotName(name));
        Assert.True(ProxmoxNames.IsValidSnapshotName(name));
    }

    [Theory]
    [InlineData("s", "snapshot name 's' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' (^[a-z][a-z0-9_-]+$, any case)")]
    [InlineData("1abc", "snapshot name '1abc' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' (^[a-z][a-z0-9_-]+$, any case)")]
    [InlineData("pre features", "snapshot name 'pre features' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' (^[a-z][a-z0-9_-]+$, any case)")]
    [InlineData("pre.features", "snapshot name 'pre.features' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' (^[a-z][a-z0-9_-]+$, any case)")]
    [InlineData("current", "snapshot name 'current' is reserved by Proxmox")]
    [InlineData("CURRENT", "snapshot name 'CURRENT' is reserved by Proxmox")]
    [InlineData("Pending", "snapshot name 'Pending' is reserved by Proxmox")]
    [InlineData("a2345678901234567890123456789012345678901", "snapshot name 'a2345678901234567890123456789012345678901' is 41 characters long; Proxmox allows at most 40")]
    [InlineData("", "a snapshot name is required")]
    [InlineData(null, "a snapshot name is required")]
    public void Invalid_snapshot_names_say_why(string? name, string reason) =>
        Assert.Equal(reason, ProxmoxNames.ValidateSnapshotName(name));

    [Theory]
    [InlineData("web01", true)]
    [InlineData("web01.example.com", true)]
    [InlineData("web 01", false)]
    [InlineData("-web", false)]
    [InlineData("web_01", false)]
    public void Vm_names_are_dns_names(string name, bool valid) => Assert.Equal(valid, ProxmoxNames.IsValidVmName(name));

    [Theory]
    [InlineData("local", true)]
    [InlineData("local-lvm", true)]
    [InlineData("nfs.backup", true)]
    [InlineData("1local", false)]
    [InlineData("local-", false)]
    public void Storage_ids_follow_pve_storage_id(string id, bool valid) => Assert.Equal(valid, ProxmoxNames.IsValidStorageId(id));

    [Theory]
    [InlineData(NameKind.VmId, "101\n")]
    [InlineData(NameKind.VmName, "web-01\n")]
    [InlineData(NameKind.Snapshot, "golden\n")]
    [InlineData(NameKind.Storage, "local\n")]
    [InlineData(NameKind.Node, "pve\n")]
    [InlineData(NameKind.Bridge, "vmbr0\n")]
    [InlineData(NameKind.Feature, "docker\n")]
    [InlineData(NameKind.Storage, "\u212Aocal")]     // the Kelvin sign, which IgnoreCase would take for 'k'
    [InlineData(NameKind.Snapshot, "gold\u0435n")]   // a Cyrillic 'e'
    [InlineData(NameKind.VmId, "1\u0660\u0660")]     // Arabic-Indic digits, which \d would take
    [InlineData(NameKind.Feature, "-docker")]
    [InlineData(NameKind.VmName, "web;reboot")]
    public void Every_kind_refuses_a_trailing_newline_and_look_alikes(NameKind kind, string value)
    {
        var reason = ProxmoxNames.Validate(kind, value);
        Assert.NotNull(reason);
        Assert.DoesNotContain("\n", reason!); // the value is shown escaped, never as a line break
    }

    [Theory]
    [InlineData(NameKind.VmId, "101")]
    [InlineData(NameKind.VmName, "web-01.lab")]
    [InlineData(NameKind.Snapshot, "golden")]
    [InlineData(NameKind.Storage, "local-lvm")]
    [InlineData(NameKind.Node, "pve1")]
    [InlineData(NameKind.Bridge, "vmbr0")]
    [InlineData(NameKind.Feature, "v1.2-beta")]
    public void Every_kind_takes_a_good_name(NameKind kind, string value) => Assert.Null(ProxmoxNames.Validate(kind, value));

    [Fact]
    public void A_snapshot_name_with_a_newline_is_shown_escaped()
    {
        Assert.Equal("invalid format - invalid configuration ID 'golden\\n'", ProxmoxNames.SnapshotNameError("golden\n"));
        Assert.StartsWith("snapshot name 'golden\\n' does not follow", ProxmoxNames.ValidateSnapshotName("golden\n"));
    }
}
