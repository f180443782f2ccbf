using Phoenix.Engine.Config;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.Simulator;
using Phoenix.Simulator.Guest;
using Xunit;

namespace Phoenix.Engine.Tests.Features;

/// <summary>
/// FeatureRunner.RunForVmAsync as the Deployer's feature step (the way Deploy-PhoenixVm wires it),
/// on the simulator with a guest that plays the feature runs.
/// </summary>
public sealed class DeployFeatureStepTests : IDisposable
{
    private const string Config = """
        {
          "vms": [
            { "vmid": 201, "name": "app1", "clone_from_vmid": 9000, "features": ["base", "app"],
              "user_config": { "username": "phoenix_user" } },
            { "vmid": 202, "name": "app2", "clone_from_vmid": 9000, "features": ["app"] }
          ]
        }
        """;

    private readonly TempFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Fact]
    public async Task A_deploy_runs_each_VMs_features_in_order_and_a_second_deploy_runs_none()
    {
        var guest = new FeatureGuest();
        guest.Scripts[FeatureRunner.ScriptPath("base")] = new ScriptedRun { Lines = { "base done", "PHOENIX_CHANGED=1" } };
        guest.Scripts[FeatureRunner.ScriptPath("app")] = new ScriptedRun { Lines = { "app done", "PHOENIX_CHANGED=1" } };
        var folder = _folders.Folder("features");
        File.WriteAllText(Path.Combine(folder, "feature_install_base.sh"), "#!/bin/bash\necho base\n");
        File.WriteAllText(Path.Combine(folder, "feature_install_app.sh"), "#!/bin/bash\necho app\n");
        var catalog = new FeatureCatalog(null, new[] { folder });
        var simulator = new ProxmoxSimulator(new SimulatorOptions { AgentStartupDelay = TimeSpan.Zero, GuestRunner = guest, RandomSeed = 3 });
        var connection = new RecordingConnection(new SimulatorConnection(simulator));
        var host = new ProxmoxHost(connection);
        var specs = PhoenixConfigLoader.Parse(Config).Vms;
        var logs = new List<string>();
        var deployer = new Deployer(host, new DeployOptions
        {
            AgentTimeout = TimeSpan.FromSeconds(10),
            AgentPollInterval = TimeSpan.FromMilliseconds(20),
            Features = (h, spec, log, ct) => FeatureRunner.RunForVmAsync(h, spec, catalog, FeatureTestBed.Options(), log, ct),
        });
        deployer.Log += (_, line) => { lock (logs) logs.Add(line); };

        var first = await deployer.DeployAsync(specs, CancellationToken.None);

        Assert.All(first, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.Equal(new[] { "base", "app" }, guest.LaunchedIn.Where(l => l.VmId == 201).Select(l => Path.GetFileName(l.Command[^1])["feature_install_".Length..^3]));
        Assert.Equal(new[] { "app" }, guest.LaunchedIn.Where(l => l.VmId == 202).Select(l => Path.GetFileName(l.Command[^1])["feature_install_".Length..^3]));
        Assert.Equal(new[] { "feature base: changed", "feature app: changed" }, first[0].Steps.Single(s => s.Step == Deployer.StepFeatures).Changes);
        Assert.Contains("VM 201: feature base: base done", logs);
        Assert.Contains("VM 202: feature app: app done", logs);

        connection.Clear();
        var second = await deployer.DeployAsync(specs, CancellationToken.None);

        Assert.All(second, r => Assert.Equal(DeployStatus.Succeeded, r.State));
        Assert.All(second, r => Assert.Empty(r.Steps.Single(s => s.Step == Deployer.StepFeatures).Changes));
        Assert.Equal(3, guest.LaunchedIn.Count);
        var guestCommands = connection.Commands.Where(c => c.Arguments.Count > 2 && c.Arguments[1] == "guest" && c.Arguments[2] == "exec").ToList();
        Assert.Equal(2, guestCommands.Count);
        Assert.All(guestCommands, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString()));
        Assert.All(connection.Commands, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString()));
    }
}
