using Phoenix.Engine.Config;
using Phoenix.Engine.Secrets;
using Phoenix.Engine.Tests.Config;

namespace Phoenix.Engine.Tests.CloudInit;

/// <summary>VMs to render, shared by the unit tests and the cloud-init tool checks.</summary>
internal static class CloudInitCases
{
    /// <summary>SSH key comments a sed-based renderer would turn into broken or different YAML.</summary>
    public static readonly string[] HostileComments =
    {
        "it's \"quoted\"", "key: value", "# not a comment", "&anchor", "*alias", "!!python/object:os.system", "  leading and trailing  ",
        "ünïcödé ✓ 日本語 😀", "{ flow: map }", "[flow, seq]", "%TAG ! tag:x", "@at", "`backtick`", "---", "...", "a\\b", "tab\u00a0nbsp",
        "yes", "null", "0x1F", "~", "'single'", "|", ">", "- dash", "?", "key:value,with,commas",
        new string('x', 5000),
    };

    public static VmSpec Base(int index = 1) => PhoenixConfigLoader.Parse(ConfigSamples.Base).Vms[index];

    public static VmSpec Static() => Base();

    public static VmSpec Dhcp() => With(Base(), net: new VmNetworkConfig { Ip = "dhcp", Nameservers = new[] { "10.0.0.13" } });

    public static VmSpec DhcpNoDns() => With(Base(), net: new VmNetworkConfig { Ip = "dhcp" });

    public static VmSpec Several() => With(Base(),
        net: new VmNetworkConfig { Ip = "192.168.10.20/24", Gateway = "192.168.10.1", Nameservers = new[] { "192.168.10.2", "1.1.1.1", "2606:4700:4700::1111" }, SearchDomain = "lab.example corp.example" },
        keys: new[] { ConfigSamples.Ed25519Key, ConfigSamples.RsaKey, ConfigSamples.EcdsaKey });

    public static VmSpec Hostile() => With(Base(),
        keys: HostileComments.Select(c => ConfigSamples.Ed25519Key.Replace("admin@phoenix", c)).ToArray());

    public static VmSpec With(VmSpec vm, VmNetworkConfig? net = null, string[]? keys = null, string? name = null, string? username = null, string? hash = null)
        => new()
        {
            VmId = vm.VmId,
            Name = name ?? vm.Name,
            NetworkConfig = net ?? vm.NetworkConfig,
            UserConfig = new VmUserConfig
            {
                Username = username ?? vm.UserConfig!.Username,
                PasswordHash = hash != null ? new Secret(hash) : vm.UserConfig!.PasswordHash,
                SshPublicKeys = keys ?? vm.UserConfig!.SshPublicKeys,
            },
        };
}
