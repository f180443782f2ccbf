using Phoenix.Engine.Config;
using Phoenix.Engine.Secrets;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

/// <summary>Pieces of a VM's cloud-init (Set-PhoenixCloudInit's parameter set) built into a spec and checked by the config's rules.</summary>
public sealed class VmPiecesTests
{
    private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL admin@phoenix";

    private static VmPieces Pieces() => new()
    {
        VmId = 111,
        HostName = " pieces-02 ",
        UserName = "phoenix",
        SshPublicKeys = new[] { " " + Key + " " },
        IpAddress = "10.0.0.111/24",
        Gateway = "10.0.0.1",
        Nameservers = new[] { "1.1.1.1, 8.8.8.8", "9.9.9.9" },
        SearchDomain = new[] { "lab.example", " ", "corp.example " },
    };

    [Fact]
    public void Good_pieces_make_the_spec_a_config_entry_would()
    {
        var r = Pieces().ToSpec();

        Assert.Empty(r.Errors);
        var spec = Assert.IsType<VmSpec>(r.Spec);
        Assert.Equal(111, spec.VmId);
        Assert.Equal("pieces-02", spec.Name);
        Assert.Equal("10.0.0.111/24", spec.NetworkConfig!.Ip);
        Assert.Equal(new[] { "1.1.1.1", "8.8.8.8", "9.9.9.9" }, spec.NetworkConfig.Nameservers);
        Assert.Equal("lab.example corp.example", spec.NetworkConfig.SearchDomain);
        Assert.Equal(new[] { Key }, spec.UserConfig!.SshPublicKeys);
    }

    [Fact]
    public void Each_refusal_names_the_piece_and_all_come_at_once()
    {
        var pieces = Pieces();
        pieces.Gateway = "10.9.9.1";
        pieces.UserName = "Bad User";
        pieces.PasswordHash = new Secret("plain-password");

        var r = pieces.ToSpec();

        Assert.Null(r.Spec);
        Assert.Equal(new[] { "GatewayOutsideSubnet", "PasswordHashFormat", "UsernameFormat" }, r.Errors.Select(e => e.Reason).OrderBy(x => x));
        Assert.All(r.Errors, e => Assert.Equal(111, e.Target));
        Assert.Contains(r.Errors, e => e.Message.StartsWith("VM 111, -Gateway: ", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.Message.StartsWith("VM 111, -UserName: ", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.Message.StartsWith("VM 111, -PasswordHash: ", StringComparison.Ordinal));
        Assert.All(r.Errors, e => Assert.DoesNotContain("plain-password", e.Message));
    }

    [Fact]
    public void Dhcp_and_an_address_contradict_each_other()
    {
        var pieces = Pieces();
        pieces.Dhcp = true;

        var e = Assert.Single(pieces.ToSpec().Errors);

        Assert.Equal("DhcpWithIpAddress", e.Reason);
        Assert.Equal("VM 111: -Dhcp and -IpAddress 10.0.0.111/24 contradict each other: the VM takes its address either by DHCP or as given.", e.Message);
    }

    [Fact]
    public void No_address_and_no_dhcp_is_dhcp_as_in_a_config_file()
    {
        var pieces = Pieces();
        pieces.IpAddress = null;
        pieces.Gateway = null;
        pieces.Nameservers = Array.Empty<string>();
        pieces.SearchDomain = Array.Empty<string>();

        var spec = pieces.ToSpec().Spec!;

        Assert.Null(spec.NetworkConfig);
    }
}
