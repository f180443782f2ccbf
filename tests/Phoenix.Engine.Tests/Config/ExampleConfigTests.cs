using Phoenix.Engine.Config;
using Xunit;

namespace Phoenix.Engine.Tests.Config;

public class ExampleConfigTests
{
    private static readonly string ExamplePath = Path.Combine(TestPaths.RepoRoot, "examples", "phoenix.example.json");

    [Fact]
    public void The_example_is_clean_and_has_the_promised_shape()
    {
        var cfg = PhoenixConfigLoader.Load(ExamplePath);
        Assert.Empty(new ConfigValidator(new ConfigValidationOptions { KnownFeatures = new[] { "docker", "base_setup" } }).Validate(cfg));
        var byId = cfg.Vms.ToDictionary(v => v.VmId);
        Assert.True(byId[9000].IsTemplate);
        Assert.Equal(9000, byId[201].CloneFromVmId);
        Assert.False(byId[201].NetworkConfig!.Dhcp);
        Assert.True(byId[202].NetworkConfig!.Dhcp);
        Assert.Equal(201, byId[203].CloneFromVmId);
        Assert.Equal("docker-golden", byId[201].TemplateSnapshotName);
        Assert.True(byId[201].Snapshots.PreFeatures && byId[201].Snapshots.PostFeatures);
        Assert.Equal("after-docker", byId[203].Snapshots.PostFeaturesName);
        Assert.Equal(new[] { "base_setup", "docker" }, byId[201].Features);
        // user_config and nameservers come from vm_defaults for every VM.
        Assert.All(cfg.Vms, v => Assert.Equal("phoenix", v.UserConfig!.Username));
        Assert.All(cfg.Vms, v => Assert.Null(ConfigFormats.PasswordHashError(v.UserConfig!.PasswordHash!.Reveal())));
        Assert.All(cfg.Vms, v => Assert.True(SshPublicKey.TryParse(v.UserConfig!.SshPublicKeys.Single(), out _, out _)));
        Assert.Equal(new[] { "10.0.0.13", "1.1.1.1" }, byId[203].NetworkConfig!.Nameservers);
        Assert.Equal("vm_defaults.user_config.password_hash", byId[202].GetPosition("user_config.password_hash")!.JsonPath);
    }
}
