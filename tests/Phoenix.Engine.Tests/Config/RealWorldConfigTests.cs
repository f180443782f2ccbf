using Xunit;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Config;

namespace Phoenix.Engine.Tests.Config;

/// <summary>The config in the real-world file's shape (tests/fixtures/realworld-shape) imports as it is.</summary>
public class RealWorldConfigTests
{
    private static PhoenixConfig Load() => PhoenixConfigLoader.Load(TestPaths.RealWorldConfig);

    [Fact]
    public void Imports_three_vms_with_defaults_merged()
    {
        var cfg = Load();
        Assert.Empty(cfg.LoadFindings);
        Assert.Equal(new[] { 9000, 1001, 1002 }, cfg.Vms.Select(v => v.VmId));
        var registry = cfg.Vms[1];
        Assert.Equal("Registry", registry.Name);
        Assert.Equal(4, registry.Cores);
        Assert.Equal(8192, registry.MemoryMb);
        Assert.Equal(32, registry.DiskSizeGb);
        Assert.Equal("labPool-vm-disks", registry.StoragePool);
        Assert.Equal("vmbr0", registry.NetworkBridge);
        Assert.Equal("ubuntu-noble-standard", registry.Template);
        Assert.Equal(9000, registry.CloneFromVmId);
        Assert.True(registry.StartAtBoot);
        Assert.Equal(4, registry.BootOrder);
        Assert.Equal(2, registry.BootDelay);
        Assert.Equal(new[] { "base_setup", "trusted_ca", "step_cli", "docker" }, registry.Features);
        Assert.Equal(new[] { "102" }, registry.Dependencies);
        Assert.Equal("10.20.0.71/24", registry.NetworkConfig!.Ip);
        Assert.False(registry.NetworkConfig.Dhcp);
        Assert.Equal("10.20.0.1", registry.NetworkConfig.Gateway);
        Assert.Equal(new[] { "10.20.0.53" }, registry.NetworkConfig.Nameservers);
        Assert.Equal("ops_admin", registry.UserConfig!.Username);
        Assert.Null(registry.UserConfig.PasswordHash);

        var template = cfg.Vms[0];
        Assert.True(template.IsTemplate);
        Assert.Equal("noble-server-cloudimg-amd64.img", template.TemplateImage);
        Assert.Equal("pristine_base_state", template.TemplateSnapshotName);
        Assert.True(template.NetworkConfig!.Dhcp);
        Assert.Equal(2, template.Cores);
        Assert.Equal(4096, template.MemoryMb);
        Assert.Equal(50, template.DiskSizeGb);

        Assert.Equal(4096, cfg.Vms[2].MemoryMb);
        Assert.Equal(64, cfg.Vms[2].DiskSizeGb);
    }

    [Fact]
    public void Keeps_unknown_fields_in_order_including_nested_firewall_rules()
    {
        var registry = Load().Vms[1];
        Assert.Equal(new[] { "registry_role", "traefik_service", "volumes", "docker_stacks", "firewall" },
            registry.Extra.Properties().Select(p => p.Name));
        Assert.Equal("primary", (string?)registry.Extra["registry_role"]);
        var rules = (JArray)registry.Extra["firewall"]!["rules"]!;
        Assert.Equal(2, rules.Count);
        Assert.Equal("Scrape the build agent exporter", (string?)rules[1]["comment"]);
        Assert.Equal("9100", (string?)rules[1]["port"]);

        var dr = Load().Vms[2];
        Assert.Equal(new[] { "registry_role", "registry_environment_name", "registry_agent_hostname", "trigger_sync_on_completion", "traefik_service", "volumes", "docker_stacks", "dns_records", "firewall" },
            dr.Extra.Properties().Select(p => p.Name));
        Assert.Equal(6, ((JArray)dr.Extra["firewall"]!["rules"]!).Count);
        Assert.Empty((JArray)dr.Extra["dns_records"]!);
    }

    [Fact]
    public void Validates_with_the_dependency_on_container_102_as_the_only_finding_besides_the_template_snapshot()
    {
        var findings = new ConfigValidator().Validate(Load());
        Assert.DoesNotContain(findings, f => f.Level == ConfigSeverity.Error);
        var dep = Assert.Single(findings, f => f.Rule == ConfigRules.DependencyOutsideFile);
        Assert.Equal(ConfigSeverity.Warning, dep.Level);
        Assert.Equal("vms[1].dependencies[0]", dep.JsonPath);
        Assert.Equal(1001, dep.VmId);
        Assert.Equal(TestPaths.RealWorldConfig, dep.File);
        Assert.Equal(LineOf("\"102\""), dep.Line);
        Assert.StartsWith("vms[1].dependencies[0] (line " + dep.Line + "): dependency 102 is not a VM of this file", dep.Message);
        // The real file's template carries template_snapshot_name, which Proxmox cannot honour on a template.
        var snap = Assert.Single(findings, f => f.Rule == ConfigRules.TemplateSnapshotOnTemplate);
        Assert.Equal(ConfigSeverity.Warning, snap.Level);
        Assert.Equal("vms[0].template_snapshot_name", snap.JsonPath);
        Assert.Equal(2, findings.Count);
    }

    [Fact]
    public void Positions_of_defaulted_values_point_into_vm_defaults()
    {
        var registry = Load().Vms[1];
        var pos = registry.GetPosition("storage_pool")!;
        Assert.Equal("vm_defaults.storage_pool", pos.JsonPath);
        Assert.Equal(LineOf("\"storage_pool\": \"labPool-vm-disks\""), pos.Line);
        Assert.Equal(25, pos.Column); // the value's opening quote
        var own = registry.GetPosition("cores")!;
        Assert.Equal("vms[1].cores", own.JsonPath);
    }

    [Fact]
    public void Context_json_holds_known_and_unknown_fields()
    {
        var ctx = Load().Vms[1].ToContextObject();
        Assert.Equal(1001, (int)ctx["vmid"]!);
        Assert.Equal("labPool-vm-disks", (string?)ctx["storage_pool"]);
        Assert.Equal("ops_admin", (string?)ctx["user_config"]!["username"]);
        Assert.Equal("10.20.0.53", (string?)ctx["network_config"]!["nameservers"]![0]);
        Assert.Equal("Reach the reverse proxy", (string?)ctx["firewall"]!["rules"]![0]!["comment"]);
        Assert.Equal("registry_stack", (string?)ctx["docker_stacks"]![0]);
    }

    private static int LineOf(string needle)
    {
        var lines = File.ReadAllLines(TestPaths.RealWorldConfig);
        return Array.FindIndex(lines, l => l.Contains(needle)) + 1;
    }
}

/// <summary>The original real-world file, when it sits beside the clone: imports and validates as it is.</summary>
public class SharedRealWorldConfigTests
{
    [SharedRealWorldFact]
    public void The_original_file_imports_with_defaults_merged_and_unknown_fields_kept()
    {
        var cfg = PhoenixConfigLoader.Load(TestPaths.SharedRealWorldConfig);
        Assert.Empty(cfg.LoadFindings);
        Assert.Equal(new[] { 9000, 1001, 1002 }, cfg.Vms.Select(v => v.VmId));
        Assert.True(cfg.Vms[0].IsTemplate);
        Assert.All(cfg.Vms.Skip(1), v => Assert.Equal(9000, v.CloneFromVmId));
        Assert.All(cfg.Vms, v => Assert.NotNull(v.StoragePool));
        Assert.Contains("firewall", cfg.Vms[1].Extra.Properties().Select(p => p.Name));
    }

    [SharedRealWorldFact]
    public void The_original_file_validates_with_the_same_two_warnings_as_the_fixture()
    {
        var findings = new ConfigValidator().Validate(PhoenixConfigLoader.Load(TestPaths.SharedRealWorldConfig));
        Assert.DoesNotContain(findings, f => f.Level == ConfigSeverity.Error);
        Assert.Equal(new[] { ConfigRules.TemplateSnapshotOnTemplate, ConfigRules.DependencyOutsideFile }.OrderBy(r => r),
            findings.Select(f => f.Rule).OrderBy(r => r));
        Assert.Equal("vms[1].dependencies[0]", findings.Single(f => f.Rule == ConfigRules.DependencyOutsideFile).JsonPath);
    }
}
