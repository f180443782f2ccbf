using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Tests.Config;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Phoenix.Engine.Tests.CloudInit;

public class CloudInitRendererTests
{
    private static readonly CloudInitRenderer Renderer = new();

    private static YamlMappingNode Yaml(string text)
    {
        var s = new YamlStream();
        s.Load(new StringReader(text));
        return (YamlMappingNode)s.Documents[0].RootNode;
    }

    private static YamlNode At(YamlNode n, params object[] path)
    {
        foreach (var p in path) n = p is int i ? ((YamlSequenceNode)n)[i] : ((YamlMappingNode)n)[new YamlScalarNode((string)p)];
        return n;
    }

    private static string[] Strings(YamlNode n) => ((YamlSequenceNode)n).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();

    [Fact]
    public void Default_templates_are_the_shipped_files()
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "templates", "cloud-init");
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "user-data.template.yml")), CloudInitTemplateSet.Default.UserData.Text);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "network-config.template.yml")), CloudInitTemplateSet.Default.NetworkConfig.Text);
        Assert.Equal(CloudInitPlaceholders.All.Keys.OrderBy(k => k), File.ReadAllText(Path.Combine(dir, "README.md"))
            .Split('\n').Where(l => l.StartsWith("| `__")).Select(l => l.Split('`')[1]).OrderBy(k => k));
    }

    [Fact]
    public void Static_network_renders_exactly()
    {
        var doc = Renderer.Render(CloudInitCases.Static());
        var body = doc.NetworkConfig.Substring(doc.NetworkConfig.IndexOf("version: 2", StringComparison.Ordinal));
        Assert.Equal("""
            version: 2
            ethernets:
              ens18:
                match:
                  name: "e*"
                dhcp4: false
                addresses: ["10.0.0.11/24"]
                routes: [{"to": "0.0.0.0/0", "via": "10.0.0.1"}]
                nameservers:
                  addresses: ["10.0.0.13"]

            """, body);
    }

    [Fact]
    public void Dhcp_renders_as_dhcp_not_as_an_address()
    {
        var body = Renderer.Render(CloudInitCases.Dhcp()).NetworkConfig;
        Assert.Contains("    dhcp4: true\n", body);
        Assert.DoesNotContain("addresses: [dhcp]", body);
        Assert.DoesNotContain("routes", body);
        Assert.EndsWith("    dhcp4: true\n    nameservers:\n      addresses: [\"10.0.0.13\"]\n", body);
        // No DNS servers and no search domain: the emptied nameservers block goes too.
        Assert.EndsWith("      name: \"e*\"\n    dhcp4: true\n", Renderer.Render(CloudInitCases.DhcpNoDns()).NetworkConfig);
    }

    [Fact]
    public void User_data_has_cloud_config_on_line_1_and_the_user()
    {
        var doc = Renderer.Render(CloudInitCases.Static());
        Assert.StartsWith("#cloud-config\n", doc.UserData);
        var y = Yaml(doc.UserData);
        Assert.Equal("web-01", At(y, "hostname").ToString());
        Assert.Equal("phoenix", At(y, "users", 0, "name").ToString());
        Assert.Equal("false", At(y, "users", 0, "lock_passwd").ToString());
        Assert.Equal(ConfigSamples.Sha512Hash, At(y, "users", 0, "hashed_passwd").ToString());
        Assert.Equal(new[] { ConfigSamples.Ed25519Key }, Strings(At(y, "users", 0, "ssh_authorized_keys")));
        Assert.Equal(new[] { "qemu-guest-agent" }, Strings(At(y, "packages")));
        Assert.Equal(new[] { "systemctl", "enable", "--now", "qemu-guest-agent" }, Strings(At(y, "runcmd", 0)));
    }

    [Fact]
    public void Without_a_hash_the_password_stays_locked_and_no_hash_line_is_written()
    {
        var vm = CloudInitCases.Base(0); // the template VM: username only
        var doc = Renderer.Render(vm);
        var y = Yaml(doc.UserData);
        Assert.Equal("true", At(y, "users", 0, "lock_passwd").ToString());
        Assert.DoesNotContain("hashed_passwd", doc.UserData);
        Assert.DoesNotContain("ssh_authorized_keys", doc.UserData);
    }

    [Fact]
    public void Several_keys_nameservers_and_search_domains_are_lists()
    {
        var doc = Renderer.Render(CloudInitCases.Several());
        Assert.Equal(new[] { ConfigSamples.Ed25519Key, ConfigSamples.RsaKey, ConfigSamples.EcdsaKey }, Strings(At(Yaml(doc.UserData), "users", 0, "ssh_authorized_keys")));
        var n = Yaml(doc.NetworkConfig);
        Assert.Equal(new[] { "192.168.10.2", "1.1.1.1", "2606:4700:4700::1111" }, Strings(At(n, "ethernets", "ens18", "nameservers", "addresses")));
        Assert.Equal(new[] { "lab.example", "corp.example" }, Strings(At(n, "ethernets", "ens18", "nameservers", "search")));
        Assert.Equal("web-01.lab.example", At(Yaml(doc.UserData), "fqdn").ToString());
    }

    [Fact]
    public void Hostile_key_comments_read_back_unchanged()
    {
        var vm = CloudInitCases.Hostile();
        var doc = Renderer.Render(vm);
        Assert.Equal(vm.UserConfig!.SshPublicKeys, Strings(At(Yaml(doc.UserData), "users", 0, "ssh_authorized_keys")));
        Assert.Equal(new[] { "hostname", "fqdn", "manage_etc_hosts", "users", "package_update", "packages", "runcmd" },
            Yaml(doc.UserData).Children.Keys.Select(k => k.ToString())); // no key was added by a value
    }

    [Theory]
    [InlineData("web\nmalicious: true", null, ConfigRules.NameDnsFormat)]
    [InlineData("web: x", null, ConfigRules.NameDnsFormat)]
    [InlineData("  web", null, ConfigRules.NameDnsFormat)]
    [InlineData(null, "root\n  sudo: ALL", ConfigRules.UsernameFormat)]
    [InlineData(null, "\"quoted\"", ConfigRules.UsernameFormat)]
    [InlineData(null, "&anchor", ConfigRules.UsernameFormat)]
    public void Hostile_values_in_strict_fields_are_refused_before_rendering(string? name, string? username, string rule)
    {
        var vm = CloudInitCases.With(CloudInitCases.Base(), name: name, username: username);
        var e = Assert.Throws<PhoenixException>(() => Renderer.Render(vm));
        Assert.Equal("InvalidCloudInitValue", e.Reason);
        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Assert.Single(new ConfigValidator().ValidateVms(new[] { vm }), f => f.Rule == rule);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_bad_value_from_vm_defaults_is_refused_for_every_vm_after_the_whole_file_was_checked()
    {
        // The file check reports the inherited mistake once; the renderer must still refuse it for each VM.
        var cfg = PhoenixConfigLoader.Parse(@"{""vm_defaults"": {""user_config"": {""username"": ""root\n  sudo: ALL""}},
            ""vms"": [{""vmid"": 101, ""name"": ""a""}, {""vmid"": 102, ""name"": ""b""}, {""vmid"": 103, ""name"": ""c""}]}");
        Assert.Single(new ConfigValidator().Validate(cfg), f => f.Rule == ConfigRules.UsernameFormat);
        foreach (var vm in cfg.Vms) Assert.Equal("InvalidCloudInitValue", Assert.Throws<PhoenixException>(() => Renderer.Render(vm)).Reason);

        // A clean file's VMs are marked checked, and render.
        var clean = PhoenixConfigLoader.Parse(ConfigSamples.Base);
        Assert.DoesNotContain(new ConfigValidator().Validate(clean), f => f.Level == ConfigSeverity.Error);
        Assert.All(clean.Vms, vm => Assert.True(vm.CloudInitValuesChecked));
        Assert.StartsWith("#cloud-config\n", Renderer.Render(clean.Vms[1]).UserData);
    }

    [Fact]
    public void A_key_with_a_line_break_is_refused()
    {
        var vm = CloudInitCases.With(CloudInitCases.Base(), keys: new[] { ConfigSamples.Ed25519Key + "\nssh-ed25519 AAAA injected" });
        var e = Assert.Throws<PhoenixException>(() => Renderer.Render(vm));
        Assert.Contains("SSH key 1 holds a line break; put each key in its own list entry.", e.Message);
    }

    [Fact]
    public void A_plain_password_never_reaches_the_error()
    {
        var vm = CloudInitCases.With(CloudInitCases.Base(), hash: "Sup3r-Secret!");
        var e = Assert.Throws<PhoenixException>(() => Renderer.Render(vm));
        Assert.DoesNotContain("Sup3r-Secret!", e.Message);
        Assert.Contains("openssl passwd -6", e.RecommendedAction);
    }

    [Fact]
    public void Document_names_hash_and_summary()
    {
        var doc = Renderer.Render(CloudInitCases.Static());
        Assert.Equal(101, doc.VmId);
        Assert.Equal("user-data-101.yml", doc.UserDataFileName);
        Assert.Equal("network-config-101.yml", doc.NetworkConfigFileName);
        Assert.Matches("^[0-9a-f]{64}$", doc.Hash);
        var bytes = System.Text.Encoding.UTF8.GetBytes(doc.UserData).Append((byte)0).Concat(System.Text.Encoding.UTF8.GetBytes(doc.NetworkConfig)).ToArray();
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant(), doc.Hash);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(doc.UserData))).ToLowerInvariant(), doc.UserDataHash);
        Assert.Equal(doc.Hash, Renderer.Render(CloudInitCases.Static()).Hash);
        Assert.NotEqual(doc.Hash, Renderer.Render(CloudInitCases.Several()).Hash);
        Assert.Equal("cloud-init for VM 101: user-data-101.yml, network-config-101.yml (sha256 " + doc.Hash[..12] + ")", doc.ToString());
        Assert.DoesNotContain(ConfigSamples.Sha512Hash, doc.ToString());
        Assert.Equal("user=local:snippets/user-data-101.yml,network=local:snippets/network-config-101.yml", doc.GetCicustom("local"));
        Assert.Throws<ArgumentException>(() => doc.GetCicustom("local,user=x"));
    }

    [Fact]
    public void Unknown_placeholder_names_it_the_file_and_the_line()
    {
        var e = Assert.Throws<PhoenixException>(() => new CloudInitTemplate(CloudInitTemplateKind.UserData, "#cloud-config\nhostname: __HOSTNAME__\nlocale: __LOCALE__\n", "/tpl/user-data.template.yml"));
        Assert.Equal("UnknownPlaceholder", e.Reason);
        Assert.Equal("Cloud-init template problem: /tpl/user-data.template.yml line 3: unknown placeholder __LOCALE__.", e.Message);
        Assert.Equal("/tpl/user-data.template.yml", e.Target);
    }

    [Theory]
    [InlineData("__HOSTNAME__: x\n", "placeholder in a key")]
    [InlineData("a: &x __HOSTNAME__\n", "placeholder with an anchor or tag")]
    public void Misplaced_placeholders_are_errors(string text, string why)
    {
        var e = Assert.Throws<PhoenixException>(() => new CloudInitTemplate(CloudInitTemplateKind.UserData, text, "t.yml"));
        Assert.Equal("PlaceholderMisplaced", e.Reason);
        Assert.Contains("t.yml line 1: " + why, e.Message);
    }

    [Fact]
    public void Broken_template_yaml_is_an_error_with_the_line()
    {
        var e = Assert.Throws<PhoenixException>(() => new CloudInitTemplate(CloudInitTemplateKind.NetworkConfig, "version: 2\nethernets:\n  - a\n  b: c\n", "n.yml"));
        Assert.Equal("CloudInitTemplateSyntax", e.Reason);
        Assert.StartsWith("Cloud-init template n.yml is not valid YAML at line 4", e.Message);
    }

    [Fact]
    public void Missing_username_is_an_error_naming_the_template_line()
    {
        var vm = new VmSpec { VmId = 120, Name = "nouser" };
        var e = Assert.Throws<PhoenixException>(() => Renderer.Render(vm));
        Assert.Equal("MissingValue", e.Reason);
        Assert.Equal("VM 120 (nouser) has no value for __USERNAME__ (user_config.username), which default user-data line 10 needs.", e.Message);
    }

    [Fact]
    public void Placeholders_inside_strings_are_requoted_whole()
    {
        var tpl = new CloudInitTemplate(CloudInitTemplateKind.UserData, "runcmd:\n  - \"echo 'vm __VMID__ is __HOSTNAME__: ok'\"\nusers: [{name: __USERNAME__}]\n", "t.yml");
        var r = new CloudInitRenderer(new CloudInitTemplateSet(tpl, CloudInitTemplateSet.Default.NetworkConfig));
        var doc = r.Render(CloudInitCases.Static());
        Assert.Equal("#cloud-config\nruncmd:\n  - \"echo 'vm 101 is web-01: ok'\"\nusers: [{name: \"phoenix\"}]\n", doc.UserData);
    }

    [Fact]
    public void Seed_style_template_with_singular_placeholders_works_and_leaves_out_what_is_none()
    {
        var ud = new CloudInitTemplate(CloudInitTemplateKind.UserData, "hostname: __HOSTNAME__\nusers:\n  - name: __USERNAME__\n    ssh_authorized_keys:\n      - __SSH_PUBLIC_KEY__\n    passwd: __PASSWORD_HASH__\n", "seed-ud.yml");
        var r = new CloudInitRenderer(new CloudInitTemplateSet(ud, CloudInitTemplateSet.Default.NetworkConfig));
        Assert.Equal("#cloud-config\nhostname: \"web-01\"\nusers:\n  - name: \"phoenix\"\n    ssh_authorized_keys:\n      - \"" + ConfigSamples.Ed25519Key + "\"\n    passwd: \"" + ConfigSamples.Sha512Hash + "\"\n",
            r.Render(CloudInitCases.Static()).UserData);
        // No key and no hash: the list item, the emptied ssh_authorized_keys and the passwd line all go.
        Assert.Equal("#cloud-config\nhostname: \"tmpl\"\nusers:\n  - name: \"phoenix\"\n", r.Render(CloudInitCases.Base(0)).UserData);
    }

    [Fact]
    public void The_bash_systems_network_template_renders_dhcp_correctly()
    {
        var set = CloudInitTemplateSet.FromDirectory(Path.Combine(TestPaths.RealWorldDir, "cloud-init"));
        Assert.Equal(Path.Combine(TestPaths.RealWorldDir, "cloud-init", "network-config.template.yml"), set.NetworkConfig.Source);
        var r = new CloudInitRenderer(new CloudInitTemplateSet(CloudInitTemplateSet.Default.UserData, set.NetworkConfig));
        var dhcp = r.Render(CloudInitCases.Dhcp()).NetworkConfig;
        Assert.EndsWith("      dhcp4: true\n      addresses: []\n      nameservers:\n        addresses: []", dhcp);
        var stat = r.Render(CloudInitCases.Static()).NetworkConfig;
        Assert.EndsWith("      dhcp4: false\n      addresses: [\"10.0.0.11/24\"]\n      gateway4: \"10.0.0.1\"\n      nameservers:\n        addresses: []", stat);
        // Its user-data puts comments before #cloud-config; Phoenix puts the header on line 1.
        Assert.StartsWith("#cloud-config\n# user-data.template.yml: the user-data template of the bash orchestrator", new CloudInitRenderer(set).Render(CloudInitCases.Static()).UserData);
    }

    [SharedRealWorldFact]
    public void The_original_bash_templates_render_dhcp_correctly_and_get_the_header_on_line_1()
    {
        var set = CloudInitTemplateSet.FromDirectory(Path.Combine(TestPaths.SharedRealWorldDir, "cloud-init"));
        var r = new CloudInitRenderer(new CloudInitTemplateSet(CloudInitTemplateSet.Default.UserData, set.NetworkConfig));
        Assert.EndsWith("      dhcp4: true\n      addresses: []\n      nameservers:\n        addresses: []", r.Render(CloudInitCases.Dhcp()).NetworkConfig);
        Assert.StartsWith("#cloud-config\n# File: user-data.template.yml\n", new CloudInitRenderer(set).Render(CloudInitCases.Static()).UserData);
    }

    [Fact]
    public void Template_directory_errors()
    {
        var missing = Path.Combine(Path.GetTempPath(), "phoenix-none-" + Guid.NewGuid().ToString("N"));
        Assert.Equal("TemplatePathNotFound", Assert.Throws<PhoenixException>(() => CloudInitTemplateSet.FromDirectory(missing)).Reason);
        var empty = Directory.CreateTempSubdirectory("phoenix-tpl-").FullName;
        try
        {
            Assert.Equal("TemplateNotFound", Assert.Throws<PhoenixException>(() => CloudInitTemplateSet.FromDirectory(empty)).Reason);
            File.WriteAllText(Path.Combine(empty, "network-config.template.yml"), "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    subnets: [{type: static, address: __IPV4_ADDRESS__, gateway: __IPV4_GATEWAY__}]\n");
            var set = CloudInitTemplateSet.FromDirectory(empty);
            Assert.Same(CloudInitTemplateSet.Default.UserData, set.UserData);
            var nc = new CloudInitRenderer(set).Render(CloudInitCases.Static()).NetworkConfig;
            Assert.EndsWith("subnets: [{type: static, address: \"10.0.0.11/24\", gateway: \"10.0.0.1\"}]\n", nc);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }
}

public class CloudInitTemplateTextTests
{
    [Fact]
    public void Non_bmp_characters_and_crlf_in_a_template_keep_placeholders_in_place()
    {
        var tpl = new CloudInitTemplate(CloudInitTemplateKind.UserData, "\uFEFF#cloud-config\r\n# 😀 emoji 🚀 before\r\nhostname: __HOSTNAME__ # 😀\r\nusers: [{name: __USERNAME__, note: \"😀\"}]\r\n", "emoji.yml");
        var doc = new CloudInitRenderer(new CloudInitTemplateSet(tpl, CloudInitTemplateSet.Default.NetworkConfig)).Render(CloudInitCases.Static());
        Assert.Equal("#cloud-config\n# 😀 emoji 🚀 before\nhostname: \"web-01\" # 😀\nusers: [{name: \"phoenix\", note: \"😀\"}]\n", doc.UserData);
    }
}
