using Newtonsoft.Json.Linq;
using Phoenix.Engine.Tests.Config;
using Xunit;

namespace Phoenix.Engine.Tests.CloudInit;

/// <summary>The rendered files pass cloud-init's own validators, and PyYAML reads back exactly what was meant.</summary>
public class CloudInitValidatorTests : IClassFixture<CloudInitToolsFixture>
{
    private readonly CloudInitToolsFixture _f;

    public CloudInitValidatorTests(CloudInitToolsFixture f) => _f = f;

    public static TheoryData<string> UserDataCases => new() { "static", "dhcp", "dhcp-nodns", "several", "hostile", "real-9000", "real-1001", "real-1002", "example-9000", "example-201", "example-202", "example-203" };

    public static TheoryData<string> NetworkCases
    {
        get
        {
            var d = new TheoryData<string>();
            foreach (var c in UserDataCases) d.Add(c);
            d.Add("bash-static");
            d.Add("bash-dhcp");
            return d;
        }
    }

    [Theory]
    [MemberData(nameof(UserDataCases))]
    public void Cloud_init_schema_accepts_the_user_data(string name)
    {
        var file = "ud-" + name + ".yml";
        Assert.True(_f.ExitCodes.ContainsKey(file), "not checked: " + file);
        Assert.True(_f.ExitCodes[file] == 0, _f.Output("schema-ud-" + name + ".txt"));
        Assert.Equal("Valid cloud-config: " + file + "\n", _f.Output("schema-ud-" + name + ".txt"));
        Assert.StartsWith("#cloud-config\n", _f.Output(file));
    }

    [Theory]
    [MemberData(nameof(NetworkCases))]
    public void Net_convert_accepts_the_network_config(string name)
    {
        var file = "nc-" + name + ".yml";
        Assert.True(_f.ExitCodes[file] == 0, _f.Output("net-nc-" + name + ".txt"));
    }

    [Fact]
    public void Static_address_gateway_and_dns_reach_networkd()
    {
        var nd = _f.Networkd("static");
        Assert.Contains("[Address]\nAddress=10.0.0.11/24\n", nd);
        Assert.Contains("DHCP=no\n", nd);
        Assert.Contains("DNS=10.0.0.13\n", nd);
        Assert.Contains("Destination=0.0.0.0/0\n", nd);
        Assert.Contains("Gateway=10.0.0.1\n", nd);
    }

    [Fact]
    public void Dhcp_reaches_networkd_as_dhcp()
    {
        var nd = _f.Networkd("dhcp");
        Assert.Contains("DHCP=ipv4\n", nd);
        Assert.Contains("DNS=10.0.0.13\n", nd);
        Assert.DoesNotContain("Address=", nd);
        Assert.DoesNotContain("Gateway=", nd);
        Assert.Contains("DHCP=ipv4\n", _f.Networkd("bash-dhcp"));
        Assert.DoesNotContain("Address=", _f.Networkd("bash-dhcp"));
    }

    [Fact]
    public void Several_nameservers_and_search_domains_reach_networkd()
    {
        var nd = _f.Networkd("several");
        Assert.Contains("Address=192.168.10.20/24\n", nd);
        Assert.Contains("DNS=192.168.10.2 1.1.1.1 2606:4700:4700::1111\n", nd);
        Assert.Contains("Domains=lab.example corp.example\n", nd);
        Assert.Contains("Gateway=192.168.10.1\n", nd);
    }

    [Fact]
    public void Real_world_vms_reach_networkd_with_their_addresses()
    {
        Assert.Contains("DHCP=ipv4\n", _f.Networkd("real-9000"));
        var registry = _f.Networkd("real-1001");
        Assert.Contains("Address=10.20.0.71/24\n", registry);
        Assert.Contains("Gateway=10.20.0.1\n", registry);
        Assert.Contains("DNS=10.20.0.53\n", registry);
        Assert.Contains("Address=10.20.0.72/24\n", _f.Networkd("real-1002"));
    }

    [Fact]
    public void Pyyaml_reads_hostile_key_comments_exactly()
    {
        var keys = ((JArray)_f.Parsed["ud-hostile.yml"]!["users"]![0]!["ssh_authorized_keys"]!).Select(k => (string)k!).ToArray();
        Assert.Equal(CloudInitCases.HostileComments.Select(c => ConfigSamples.Ed25519Key.Replace("admin@phoenix", c)), keys);
        Assert.Equal(new[] { "hostname", "fqdn", "manage_etc_hosts", "users", "package_update", "packages", "runcmd" },
            ((JObject)_f.Parsed["ud-hostile.yml"]!).Properties().Select(p => p.Name));
    }

    [Fact]
    public void Pyyaml_reads_the_values_with_their_types()
    {
        var ud = (JObject)_f.Parsed["ud-static.yml"]!;
        Assert.Equal(JTokenType.String, ud["hostname"]!.Type);
        Assert.Equal("web-01", (string?)ud["hostname"]);
        Assert.Equal(JTokenType.Boolean, ud["users"]![0]!["lock_passwd"]!.Type);
        Assert.False((bool)ud["users"]![0]!["lock_passwd"]!);
        Assert.Equal(ConfigSamples.Sha512Hash, (string?)ud["users"]![0]!["hashed_passwd"]);
        Assert.True((bool)_f.Parsed["ud-real-1001.yml"]!["users"]![0]!["lock_passwd"]!);
        Assert.Equal("Registry", (string?)_f.Parsed["ud-real-1001.yml"]!["hostname"]);
        var nc = _f.Parsed["nc-static.yml"]!["ethernets"]!["ens18"]!;
        Assert.Equal("""{"to":"0.0.0.0/0","via":"10.0.0.1"}""", nc["routes"]![0]!.ToString(Newtonsoft.Json.Formatting.None));
        Assert.Equal(JTokenType.Boolean, nc["dhcp4"]!.Type);
    }

    [SharedRealWorldFact]
    public void The_original_real_world_files_render_and_pass_the_validators()
    {
        var shared = _f.ExitCodes.Keys.Where(k => k.Contains("-shared-")).ToList();
        Assert.Equal(new[] { "nc-shared-1001.yml", "nc-shared-1002.yml", "nc-shared-9000.yml", "nc-shared-bash-dhcp.yml", "ud-shared-1001.yml", "ud-shared-1002.yml", "ud-shared-9000.yml" },
            shared.OrderBy(k => k, StringComparer.Ordinal));
        Assert.All(shared, k => Assert.True(_f.ExitCodes[k] == 0, k + ": " + _f.Output((k.StartsWith("ud-") ? "schema-" : "net-") + k[..^4] + ".txt")));
        Assert.Contains("DHCP=ipv4\n", _f.Networkd("shared-bash-dhcp"));
    }
}
