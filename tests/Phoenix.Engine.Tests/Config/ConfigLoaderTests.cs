using Newtonsoft.Json.Linq;
using Phoenix.Engine.Config;
using Phoenix.Engine.Secrets;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

public class ConfigLoaderTests
{
    private static IReadOnlyList<ConfigFinding> Check(string json, ConfigValidationOptions? options = null)
        => new ConfigValidator(options).Validate(PhoenixConfigLoader.Parse(json, "t.json"));

    [Fact]
    public void Missing_file_is_a_finding_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "phoenix-no-such-" + Guid.NewGuid().ToString("N") + ".json");
        var cfg = PhoenixConfigLoader.Load(path);
        var f = Assert.Single(cfg.LoadFindings);
        Assert.Equal(ConfigRules.FileNotFound, f.Rule);
        Assert.Equal("Config file '" + path + "' does not exist.", f.Message);
        Assert.Equal(path, f.File);
        Assert.Empty(cfg.Vms);
    }

    [Fact]
    public void Broken_json_is_a_finding_with_its_position()
    {
        var json = "{\n  \"vms\": [\n    { \"vmid\": 101, \"name\": \"a\" }\n    { \"vmid\": 102 }\n  ]\n}";
        var f = Assert.Single(Check(json));
        Assert.Equal(ConfigRules.JsonSyntax, f.Rule);
        Assert.Equal(4, f.Line);
        Assert.Equal(5, f.Column);
        Assert.Equal("vms[0] (line 4): The file is not valid JSON: After parsing a value an unexpected character was encountered: {.", f.Message);
    }

    [Fact]
    public void Text_after_the_object_is_a_syntax_error()
    {
        var f = Assert.Single(Check("{ \"vms\": [ { \"vmid\": 101, \"name\": \"a\" } ] }\n}"));
        Assert.Equal(ConfigRules.JsonSyntax, f.Rule);
        Assert.Equal(2, f.Line);
    }

    [Theory]
    [InlineData("{ \"vm_defaults\": {} }", ConfigRules.VmsMissing, "(line 1): The file has no 'vms' list (t.json).")]
    [InlineData("{\n \"vms\": [] }", ConfigRules.VmsEmpty, "vms (line 2): 'vms' is empty: there is nothing to build.")]
    [InlineData("[ 1, 2 ]", ConfigRules.RootNotObject, "(line 1): The file's top level is a list; it must be an object with a 'vms' list.")]
    [InlineData("", ConfigRules.JsonSyntax, "(line 1): The file is empty; a Phoenix config is a JSON object with a 'vms' list.")]
    [InlineData("{ \"vms\": { \"vmid\": 101 } }", ConfigRules.TypeMismatch, "vms (line 1): must be a list of VM objects, found an object.")]
    public void File_level_problems(string json, string rule, string message)
    {
        var f = Assert.Single(Check(json));
        Assert.Equal(rule, f.Rule);
        Assert.Equal(message, f.Message);
    }

    [Fact]
    public void All_problems_are_reported_at_once_in_file_order()
    {
        var json = ConfigSamples.Base.Replace("\"vmid\": 101", "\"vmid\": 42").Replace("\"10.0.0.1\"", "\"10.9.0.1\"").Replace("\"web-01\"", "\"web 01\"");
        var findings = Check(json);
        Assert.Equal(new[] { ConfigRules.VmIdRange, ConfigRules.NameDnsFormat, ConfigRules.GatewayOutsideSubnet }, findings.Select(f => f.Rule));
        Assert.Equal(findings.OrderBy(f => f.Line).Select(f => f.Line), findings.Select(f => f.Line));
    }

    [Fact]
    public void String_where_a_number_is_needed_names_the_path()
    {
        var f = Assert.Single(Check(ConfigSamples.Base.Replace("\"vmid\": 101", "\"vmid\": \"101\"")));
        Assert.Equal(ConfigRules.TypeMismatch, f.Rule);
        Assert.Equal("vms[1].vmid", f.JsonPath);
        Assert.EndsWith("must be a whole number, found a string.", f.Message);
        Assert.Equal("Write the number without quotes: 101.", f.Suggestion);
    }

    [Fact]
    public void Network_keys_that_belong_together_are_inherited_together()
    {
        var json = """
        { "vm_defaults": { "network_config": { "ip": "10.0.0.50/24", "gw": "10.0.0.1", "nameserver": "1.1.1.1 8.8.8.8;9.9.9.9,10.0.0.13", "searchdomain": "lab.example" } },
          "vms": [ { "vmid": 101, "name": "a", "network_config": { "ip": "dhcp" } },
                   { "vmid": 102, "name": "b", "network_config": { "nameservers": ["10.0.0.13"] } } ] }
        """;
        var cfg = PhoenixConfigLoader.Parse(json);
        var a = cfg.Vms[0].NetworkConfig!;
        Assert.True(a.Dhcp);
        Assert.Null(a.Gateway); // a DHCP VM does not inherit the static gateway
        Assert.Equal(new[] { "1.1.1.1", "8.8.8.8", "9.9.9.9", "10.0.0.13" }, a.Nameservers);
        Assert.Equal("lab.example", a.SearchDomain);
        var b = cfg.Vms[1].NetworkConfig!;
        Assert.Equal("10.0.0.50/24", b.Ip);
        Assert.Equal("10.0.0.1", b.Gateway);
        Assert.Equal(new[] { "10.0.0.13" }, b.Nameservers);
        Assert.Equal("vm_defaults.network_config.gw", cfg.Vms[1].GetPosition("network_config.gw")!.JsonPath);
        Assert.Equal("vm_defaults.network_config.nameserver", cfg.Vms[0].GetPosition("network_config.nameservers[2]")!.JsonPath);
    }

    [Fact]
    public void Lists_replace_and_unknown_objects_merge_deeply_in_order()
    {
        var json = """
        { "vm_defaults": { "features": ["base_setup"], "monitoring": { "enabled": true, "port": 9100 }, "tags": ["a"] },
          "vms": [ { "vmid": 101, "name": "a", "features": ["docker"], "monitoring": { "port": 9200, "path": "/m" }, "tags": ["b"] } ] }
        """;
        var vm = PhoenixConfigLoader.Parse(json).Vms[0];
        Assert.Equal(new[] { "docker" }, vm.Features);
        Assert.Equal("""{"monitoring":{"port":9200,"path":"/m","enabled":true},"tags":["b"]}""", vm.Extra.ToString(Newtonsoft.Json.Formatting.None));
        var plain = vm.GetExtraAsDictionary();
        Assert.Equal(9200L, ((System.Collections.Specialized.OrderedDictionary)plain["monitoring"]!)["port"]);
    }

    [Theory]
    [InlineData("\"pre-features\": true, \"post_features\": \"golden-1\"", true, "pre-features", true, "golden-1")]
    [InlineData("\"pre_features\": false, \"post-features\": true", false, null, true, "post-features")]
    public void Snapshot_keys_take_both_spellings(string body, bool pre, string? preName, bool post, string? postName)
    {
        var vm = PhoenixConfigLoader.Parse("{ \"vms\": [ { \"vmid\": 101, \"name\": \"a\", \"snapshots\": { " + body + " } } ] }").Vms[0];
        Assert.Equal(pre, vm.Snapshots.PreFeatures);
        Assert.Equal(preName, vm.Snapshots.PreFeaturesName);
        Assert.Equal(post, vm.Snapshots.PostFeatures);
        Assert.Equal(postName, vm.Snapshots.PostFeaturesName);
    }

    [Fact]
    public void Ssh_keys_from_both_spellings_and_qm_options_as_strings()
    {
        var json = "{ \"vms\": [ { \"vmid\": 101, \"name\": \"a\", \"qm_options\": { \"cpu\": \"host\", \"numa\": true, \"balloon\": 0 }, \"user_config\": { \"username\": \"u\", \"ssh_public_key\": \"  " + ConfigSamples.Ed25519Key + "\\n\", \"ssh_public_keys\": [\"" + ConfigSamples.RsaKey + "\"] } } ] }";
        var cfg = PhoenixConfigLoader.Parse(json);
        var vm = cfg.Vms[0];
        Assert.Equal(new[] { ConfigSamples.Ed25519Key, ConfigSamples.RsaKey }, vm.UserConfig!.SshPublicKeys);
        Assert.Equal("host", vm.QmOptions["cpu"]);
        Assert.Equal("1", vm.QmOptions["numa"]);
        Assert.Equal("0", vm.QmOptions["balloon"]);
        var w = Assert.Single(cfg.LoadFindings);
        Assert.Equal(ConfigRules.DuplicateSpelling, w.Rule);
        Assert.Equal(ConfigSeverity.Warning, w.Level);
    }

    [Fact]
    public void Display_and_context_never_show_the_password_hash()
    {
        var vm = PhoenixConfigLoader.Parse(ConfigSamples.Base).Vms[1];
        Assert.Equal(ConfigSamples.Sha512Hash, vm.UserConfig!.PasswordHash!.Reveal());
        Assert.Equal("********", vm.UserConfig.PasswordHash.ToString());
        Assert.Equal("phoenix (1 SSH key, password hash ********)", vm.UserConfig.ToString());
        Assert.Equal("VM 101 web-01 (clone of 9000; 2 cores, 2048 MB; 10.0.0.11/24; user phoenix (1 SSH key, password hash ********))", vm.ToString());
        var ctx = vm.ToContextJson();
        Assert.DoesNotContain(ConfigSamples.Sha512Hash, ctx);
        Assert.DoesNotContain("password_hash", ctx);
        Assert.Contains("\"username\": \"phoenix\"", ctx);
        Assert.Contains(ConfigSamples.Ed25519Key, ctx);
        Assert.DoesNotContain(ConfigSamples.Sha512Hash, Newtonsoft.Json.JsonConvert.SerializeObject(vm.UserConfig.PasswordHash));
    }

    [Fact]
    public void Secret_masker_redacts_text_and_json()
    {
        Assert.Equal("ran with ******** ok", SecretMasker.Redact("ran with s3cr3t ok", new[] { "s3cr3t" }));
        var masked = SecretMasker.MaskJson(JObject.Parse("{\"db\":{\"db_password\":\"x\",\"host\":\"h\"},\"api_token\":\"t\"}"));
        Assert.Equal("""{"db":{"db_password":"********","host":"h"},"api_token":"********"}""", masked.ToString(Newtonsoft.Json.Formatting.None));
    }
}

public class ConfigLoaderEdgeTests
{
    [Theory]
    [InlineData("99999999999999999999999")]
    [InlineData("3000000000")]
    public void Huge_numbers_are_type_errors_not_crashes(string number)
    {
        var cfg = PhoenixConfigLoader.Parse(ConfigSamples.Base.Replace("\"vmid\": 101", "\"vmid\": " + number), "t.json");
        var f = Assert.Single(new ConfigValidator().Validate(cfg));
        Assert.Equal(ConfigRules.TypeMismatch, f.Rule);
        Assert.Equal("vms[1].vmid", f.JsonPath);
    }

    [Fact]
    public void Decimal_where_a_whole_number_is_needed()
    {
        var f = Assert.Single(new ConfigValidator().Validate(PhoenixConfigLoader.Parse(ConfigSamples.Base.Replace("\"cores\": 2", "\"cores\": 2.5"))));
        Assert.EndsWith("vm_defaults.cores (line 3): must be a whole number, found a decimal number.", f.Message);
    }
}
