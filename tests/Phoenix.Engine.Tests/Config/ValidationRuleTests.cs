using Phoenix.Engine.Config;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

/// <summary>One case per rule: one change to a clean config, and the finding must name the JSON path and the line.</summary>
public class ValidationRuleTests
{
    private const string File = "cfg/test.json";

    public static TheoryData<string, string, string, string, string, ConfigSeverity> Cases => new()
    {
        // rule, find, replace-with, expected JSON path, text on the expected line (last occurrence), severity
        { ConfigRules.TypeMismatch, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"cores\": \"4\",", "vms[1].cores", "\"cores\": \"4\"", ConfigSeverity.Error },
        { ConfigRules.DuplicateKey, "\"name\": \"web-01\",", "\"name\": \"web-01\",\n      \"name\": \"web-01\",", "vms[1].name", "\"name\": \"web-01\"", ConfigSeverity.Warning },
        { ConfigRules.DefaultsIdentityField, "\"cores\": 2,", "\"cores\": 2, \"vmid\": 5,", "vm_defaults.vmid", "\"vmid\": 5", ConfigSeverity.Warning },
        { ConfigRules.UnknownField, "\"nameservers\":", "\"namesrvers\":", "vms[1].network_config.namesrvers", "\"namesrvers\"", ConfigSeverity.Warning },
        { ConfigRules.DuplicateSpelling, "\"nameservers\": [\"10.0.0.13\"]", "\"nameserver\": \"1.1.1.1\",\n        \"nameservers\": [\"10.0.0.13\"]", "vms[1].network_config.nameservers", "\"nameservers\"", ConfigSeverity.Warning },
        { ConfigRules.VmIdMissing, "\"vmid\": 101,", "", "vms[1]", "\"name\": \"web-01\"|-2", ConfigSeverity.Error },
        { ConfigRules.VmIdRange, "\"vmid\": 101", "\"vmid\": 99", "vms[1].vmid", "\"vmid\": 99", ConfigSeverity.Error },
        { ConfigRules.VmIdDuplicate, "\"vmid\": 101", "\"vmid\": 9000", "vms[1].vmid", "\"vmid\": 9000", ConfigSeverity.Error },
        { ConfigRules.NameMissing, "\"name\": \"web-01\",", "", "vms[1]", "\"vmid\": 101|-1", ConfigSeverity.Error },
        { ConfigRules.NameDnsFormat, "\"web-01\"", "\"web_01\"", "vms[1].name", "\"web_01\"", ConfigSeverity.Error },
        { ConfigRules.NameDuplicate, "\"web-01\"", "\"TMPL\"", "vms[1].name", "\"TMPL\"", ConfigSeverity.Warning },
        { ConfigRules.NodeFormat, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"node\": \"pve_1\",", "vms[1].node", "\"pve_1\"", ConfigSeverity.Error },
        { ConfigRules.StoragePoolFormat, "\"local-lvm\"", "\"1local\"", "vm_defaults.storage_pool", "\"1local\"", ConfigSeverity.Error },
        { ConfigRules.NetworkBridgeFormat, "\"vmbr0\"", "\"vmbr0;reboot\"", "vm_defaults.network_bridge", "\"vmbr0;reboot\"", ConfigSeverity.Error },
        { ConfigRules.CoresRange, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"cores\": 0,", "vms[1].cores", "\"cores\": 0", ConfigSeverity.Error },
        { ConfigRules.MemoryRange, "\"memory_mb\": 2048", "\"memory_mb\": 8", "vm_defaults.memory_mb", "\"memory_mb\": 8", ConfigSeverity.Error },
        { ConfigRules.DiskSizeRange, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"disk_size_gb\": -1,", "vms[1].disk_size_gb", "\"disk_size_gb\"", ConfigSeverity.Error },
        { ConfigRules.BootOrderRange, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"boot_order\": -1,", "vms[1].boot_order", "\"boot_order\"", ConfigSeverity.Error },
        { ConfigRules.BootDelayRange, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"boot_delay\": -5,", "vms[1].boot_delay", "\"boot_delay\"", ConfigSeverity.Error },
        { ConfigRules.IpFormat, "\"10.0.0.11/24\"", "\"10.0.0.11\"", "vms[1].network_config.ip", "\"10.0.0.11\"", ConfigSeverity.Error },
        { ConfigRules.GatewayFormat, "\"10.0.0.1\"", "\"10.0.0.300\"", "vms[1].network_config.gw", "\"10.0.0.300\"", ConfigSeverity.Error },
        { ConfigRules.GatewayOutsideSubnet, "\"10.0.0.1\"", "\"10.0.1.1\"", "vms[1].network_config.gw", "\"10.0.1.1\"", ConfigSeverity.Error },
        { ConfigRules.GatewayWithDhcp, "\"10.0.0.11/24\"", "\"dhcp\"", "vms[1].network_config.gw", "\"gw\"", ConfigSeverity.Error },
        { ConfigRules.NameserverFormat, "[\"10.0.0.13\"]", "[\"10.0.0.13\",\n          \"dns.example\"]", "vms[1].network_config.nameservers[1]", "\"dns.example\"", ConfigSeverity.Error },
        { ConfigRules.SearchDomainFormat, "\"gw\": \"10.0.0.1\",", "\"gw\": \"10.0.0.1\", \"searchdomain\": \"bad_domain\",", "vms[1].network_config.searchdomain", "\"bad_domain\"", ConfigSeverity.Error },
        { ConfigRules.UsernameFormat, "\"username\": \"phoenix\",", "\"username\": \"Phoenix User\",", "vms[1].user_config.username", "\"Phoenix User\"", ConfigSeverity.Error },
        { ConfigRules.UsernameMissing, "{ \"username\": \"phoenix\" }", "{ }", "vms[0].user_config", "\"user_config\": { }", ConfigSeverity.Warning },
        { ConfigRules.PasswordHashFormat, ConfigSamples.Sha512Hash, "hunter2hunter2", "vms[1].user_config.password_hash", "\"password_hash\"", ConfigSeverity.Error },
        { ConfigRules.SshKeyFormat, ConfigSamples.Ed25519Key, ConfigSamples.Ed25519Key.Substring(0, 60), "vms[1].user_config.ssh_public_keys[0]", "\"ssh_public_keys\"", ConfigSeverity.Error },
        { ConfigRules.SnapshotNameFormat, "\"name\": \"web-01\",", "\"name\": \"web-01\", \"template_snapshot_name\": \"1st\",", "vms[1].template_snapshot_name", "\"1st\"", ConfigSeverity.Error },
        { ConfigRules.TemplateSnapshotOnTemplate, "\"is_template\": true,", "\"is_template\": true, \"template_snapshot_name\": \"clean\",", "vms[0].template_snapshot_name", "\"clean\"", ConfigSeverity.Warning },
        { ConfigRules.CloneSourceMissing, "\"clone_from_vmid\": 9000", "\"clone_from_vmid\": 8999", "vms[1].clone_from_vmid", "8999", ConfigSeverity.Warning },
        { ConfigRules.TemplateNameUnresolved, "\"clone_from_vmid\": 9000", "\"template\": \"noble\"", "vms[1].template", "\"noble\"", ConfigSeverity.Warning },
        { ConfigRules.DependencyFormat, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"dependencies\": [\"web\"],", "vms[1].dependencies[0]", "\"web\"", ConfigSeverity.Error },
        { ConfigRules.DependencyOutsideFile, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"dependencies\": [\"102\"],", "vms[1].dependencies[0]", "\"102\"", ConfigSeverity.Warning },
        { ConfigRules.Cycle, "\"is_template\": true,", "\"is_template\": true, \"dependencies\": [101],", "vms[1].clone_from_vmid", "\"clone_from_vmid\"", ConfigSeverity.Error },
        { ConfigRules.FeatureNameFormat, "[\"docker\"]", "[\"docker;rm -rf\"]", "vms[1].features[0]", "\"docker;rm -rf\"", ConfigSeverity.Error },
        { ConfigRules.FeatureNotFound, "[\"docker\"]", "[\"dokcer\"]", "vms[1].features[0]", "\"dokcer\"", ConfigSeverity.Error },
        { ConfigRules.QmOptionFormat, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"qm_options\": { \"cpu\": \"host\\nx\" },", "vms[1].qm_options.cpu", "\"qm_options\"", ConfigSeverity.Error },
        { ConfigRules.QmOptionManaged, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"qm_options\": { \"cicustom\": \"user=local:snippets/x.yml\" },", "vms[1].qm_options.cicustom", "\"qm_options\"", ConfigSeverity.Error },
        { ConfigRules.TemplateCopyVmId, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"template_copies\": { \"pve2\": 9000 },", "vms[1].template_copies.pve2", "\"template_copies\"", ConfigSeverity.Error },
        { ConfigRules.QmOptionOverlap, "\"features\": [\"docker\"],", "\"features\": [\"docker\"], \"qm_options\": { \"memory\": 1024 },", "vms[1].qm_options.memory", "\"qm_options\"", ConfigSeverity.Warning },
    };

    private static readonly ConfigValidationOptions Options = new() { KnownFeatures = new[] { "docker", "base_setup" } };

    [Fact]
    public void The_base_config_is_clean()
    {
        var findings = new ConfigValidator(Options).Validate(PhoenixConfigLoader.Parse(ConfigSamples.Base, File));
        Assert.Empty(findings);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_rule_names_path_and_line(string rule, string find, string replace, string path, string lineText, ConfigSeverity severity)
    {
        Assert.Contains(find, ConfigSamples.Base);
        var text = ConfigSamples.Base.Replace(find, replace);
        var findings = new ConfigValidator(Options).Validate(PhoenixConfigLoader.Parse(text, File));

        var f = Assert.Single(findings, x => x.Rule == rule);
        Assert.Equal(severity, f.Level);
        Assert.Equal(path, f.JsonPath);
        Assert.Equal(ExpectedLine(text, lineText), f.Line);
        Assert.True(f.Column > 0);
        Assert.Equal(File, f.File);
        Assert.StartsWith(path + " (line " + f.Line + "): ", f.Message);
        Assert.False(string.IsNullOrWhiteSpace(f.Suggestion) && severity == ConfigSeverity.Error, "errors carry a suggestion");
        // Only the rule under test fires (a type error in a field does not also trip the rules on its value).
        Assert.All(findings, x => Assert.Equal(rule, x.Rule));
    }

    // "needle" or "needle|offset": the line of the needle's last occurrence, plus the offset.
    private static int ExpectedLine(string text, string spec)
    {
        var parts = spec.Split('|');
        var lines = text.Split('\n');
        var line = Array.FindLastIndex(lines, l => l.Contains(parts[0])) + 1;
        Assert.True(line > 0, "needle not found: " + parts[0]);
        return line + (parts.Length > 1 ? int.Parse(parts[1]) : 0);
    }
}
