using Xunit;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Config;

namespace Phoenix.Engine.Tests.Config;

public class RealWorldConfigTests
{
    private static PhoenixConfig Load() => PhoenixConfigLoader.Load(TestPaths.RealWorldConfig);

    [Fact]
    public void Imports_three_vms_with_defaults_merged()
    {
        var cfg = Load();
        Assert.Empty(cfg.LoadFindings);
        Assert.Equal(new[] { 9000, 1001, 1002 }, cfg.Vms.Select(v => v.VmId));
        var portainer = cfg.Vms[1];
        Assert.Equal("Portainer", portainer.Name);
        Assert.Equal(4, portainer.Cores);
        Assert.Equal(8192, portainer.MemoryMb);
        Assert.Equal(32, portainer.DiskSizeGb);
        Assert.Equal("quickOS-vm-disks", portainer.StoragePool);
        Assert.Equal("vmbr0", portainer.NetworkBridge);
        Assert.Equal("ubuntu-24.04-standard", portainer.Template);
        Assert.Equal(9000, portainer.CloneFromVmId);
        Assert.True(portainer.StartAtBoot);
        Assert.Equal(4, portainer.BootOrder);
        Assert.Equal(2, portainer.BootDelay);
        Assert.Equal(new[] { "base_setup", "trusted_ca", "step_cli", "docker" }, portainer.Features);
        Assert.Equal(new[] { "102" }, portainer.Dependencies);
        Assert.Equal("10.0.0.111/24", portainer.NetworkConfig!.Ip);
        Assert.False(portainer.NetworkConfig.Dhcp);
        Assert.Equal("10.0.0.1", portainer.NetworkConfig.Gateway);
        Assert.Equal(new[] { "10.0.0.13" }, portainer.NetworkConfig.Nameservers);
        Assert.Equal("phoenix_user", portainer.UserConfig!.Username);
        Assert.Null(portainer.UserConfig.PasswordHash);

        var template = cfg.Vms[0];
        Assert.True(template.IsTemplate);
        Assert.Equal("noble-server-cloudimg-amd64.img", template.TemplateImage);
        Assert.Equal("initial_clean_state", template.TemplateSnapshotName);
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
        var portainer = Load().Vms[1];
        Assert.Equal(new[] { "portainer_role", "traefik_service", "volumes", "docker_stacks", "firewall" },
            portainer.Extra.Properties().Select(p => p.Name));
        Assert.Equal("primary", (string?)portainer.Extra["portainer_role"]);
        var rules = (JArray)portainer.Extra["firewall"]!["rules"]!;
        Assert.Equal(2, rules.Count);
        Assert.Equal("Allow Portainer server to access agent", (string?)rules[1]["comment"]);
        Assert.Equal("9001", (string?)rules[1]["port"]);

        var dr = Load().Vms[2];
        Assert.Equal(new[] { "portainer_role", "portainer_environment_name", "portainer_agent_hostname", "trigger_sync_on_completion", "traefik_service", "volumes", "docker_stacks", "dns_records", "firewall" },
            dr.Extra.Properties().Select(p => p.Name));
        Assert.Equal(6, ((JArray)dr.Extra["firewall"]!["rules"]!).Count);
        Assert.Empty((JArray)dr.Extra["dns_records"]!);
    }

    [Fact]
    public void Validates_with_the_dependency_on_container_102_as_the_only_finding_besides_the_template_snapshot()
    {
        var findings = new ConfigValidator().Validate(Load());
        Assert.DoesNotContain(findings, f => f.Severity == ConfigSeverity.Error);
        var dep = Assert.Single(findings, f => f.Rule == ConfigRules.DependencyOutsideFile);
        Assert.Equal(ConfigSeverity.Warning, dep.Severity);
        Assert.Equal("vms[1].dependencies[0]", dep.JsonPath);
        Assert.Equal(1001, dep.VmId);
        Assert.Equal(TestPaths.RealWorldConfig, dep.File);
        Assert.Equal(LineOf("\"102\""), dep.Line);
        Assert.StartsWith("vms[1].dependencies[0] (line " + dep.Line + "): dependency 102 is not a VM of this file", dep.Message);
        // The real file's template carries template_snapshot_name, which Proxmox cannot honour on a template.
        var snap = Assert.Single(findings, f => f.Rule == ConfigRules.TemplateSnapshotOnTemplate);
        Assert.Equal(ConfigSeverity.Warning, snap.Severity);
        Assert.Equal("vms[0].template_snapshot_name", snap.JsonPath);
        Assert.Equal(2, findings.Count);
    }

    [Fact]
    public void Positions_of_defaulted_values_point_into_vm_defaults()
    {
        var portainer = Load().Vms[1];
        var pos = portainer.GetPosition("storage_pool")!;
        Assert.Equal("vm_defaults.storage_pool", pos.JsonPath);
        Assert.Equal(LineOf("\"storage_pool\": \"quickOS-vm-disks\""), pos.Line);
        Assert.Equal(25, pos.Column); // the value's opening quote
        var own = portainer.GetPosition("cores")!;
        Assert.Equal("vms[1].cores", own.JsonPath);
    }

    [Fact]
    public void Context_json_holds_known_and_unknown_fields()
    {
        var ctx = Load().Vms[1].ToContextObject();
        Assert.Equal(1001, (int)ctx["vmid"]!);
        Assert.Equal("quickOS-vm-disks", (string?)ctx["storage_pool"]);
        Assert.Equal("phoenix_user", (string?)ctx["user_config"]!["username"]);
        Assert.Equal("10.0.0.13", (string?)ctx["network_config"]!["nameservers"]![0]);
        Assert.Equal("Allow VM to access the Nginx gateway", (string?)ctx["firewall"]!["rules"]![0]!["comment"]);
        Assert.Equal("portainer_service", (string?)ctx["docker_stacks"]![0]);
    }

    private static int LineOf(string needle)
    {
        var lines = File.ReadAllLines(TestPaths.RealWorldConfig);
        return Array.FindIndex(lines, l => l.Contains(needle)) + 1;
    }
}
