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
            { "vmid": 201, "name": "app1", "clone_from_vmid": 9000, "cores": 2, "features": ["base", "app"],
              "user_config": { "username": "phoenix_user" } },
            { "vmid": 202, "name": "app2", "clone_from_vmid": 9000, "features": ["app"] }
          ]
        }
        """;

    private readonly TempFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    // The simulator with a guest that plays features base and app (each prints its line, if any, then PHOENIX_CHANGED=1),
    // their scripts in a catalog, and a connection that records the commands in the order sent.
    private (FeatureGuest Guest, FeatureCatalog Catalog, ProxmoxSimulator Simulator, RecordingConnection Connection, ProxmoxHost Host) Bed(
        string? baseLine = null, string? appLine = null, TimeSpan agentStartupDelay = default)
    {
        var guest = new FeatureGuest();
        guest.Scripts[FeatureRunner.ScriptPath("base")] = new ScriptedRun { Lines = new[] { baseLine, "PHOENIX_CHANGED=1" }.OfType<string>().ToList() };
        guest.Scripts[FeatureRunner.ScriptPath("app")] = new ScriptedRun { Lines = new[] { appLine, "PHOENIX_CHANGED=1" }.OfType<string>().ToList() };
        var folder = _folders.Folder("features");
        File.WriteAllText(Path.Combine(folder, "feature_install_base.sh"), "#!/bin/bash\necho base\n");
        File.WriteAllText(Path.Combine(folder, "feature_install_app.sh"), "#!/bin/bash\necho app\n");
        var simulator = new ProxmoxSimulator(new SimulatorOptions { AgentStartupDelay = agentStartupDelay, GuestRunner = guest, RandomSeed = 3 });
        var connection = new RecordingConnection(new SimulatorConnection(simulator));
        return (guest, new FeatureCatalog(null, new[] { folder }), simulator, connection, new ProxmoxHost(connection));
    }

    [Fact]
    public async Task A_deploy_runs_each_VMs_features_in_order_and_a_second_deploy_runs_none()
    {
        var (guest, catalog, _, connection, host) = Bed("base done", "app done");
        var specs = PhoenixConfigLoader.Parse(Config).Vms;
        var logs = new List<string>();
        var deployer = new Deployer(host, new DeployOptions
        {
            AgentTimeout = TimeSpan.FromSeconds(10),
            AgentPollInterval = TimeSpan.FromMilliseconds(20),
            FeaturesInRun = (h, spec, _, log, ct) => FeatureRunner.RunForVmAsync(h, spec, catalog, FeatureTestBed.Options(), log, ct),
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
        // Each VM's look answers at once: started with --synchronous 0, its answer taken with exec-status.
        Assert.All(guestCommands, c => Assert.Equal(new[] { "--synchronous", "0", "--" }, c.Arguments.Skip(4).Take(3)));
        Assert.Equal(new[] { "201", "202" }, connection.Commands.Where(c => c.Arguments.Count > 3 && c.Arguments[2] == "exec-status")
            .Select(c => c.Arguments[3]).OrderBy(v => v));
        Assert.All(connection.Commands, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToDisplayString()));
    }

    // A deploy as Deploy-PhoenixVm wires it (DeployHooks), one VM at a time so that the commands are in the order sent.
    private static Deployer WiredDeployer(ProxmoxHost host, FeatureCatalog catalog) => new(host, new DeployOptions
    {
        ThrottleLimit = 1,
        AgentTimeout = TimeSpan.FromSeconds(10),
        AgentPollInterval = TimeSpan.FromMilliseconds(20),
        FeaturesInRun = (h, spec, run, log, ct) =>
            FeatureRunner.RunForVmAsync(h, spec, catalog, FeatureTestBed.Options(), log, ct, run.ClonedThisRun, run.LookAhead),
        FeatureLookAhead = (h, spec, ct) => FeatureRunner.LookAheadAsync(h, spec, catalog, FeatureTestBed.Options(), ct),
    });

    [Fact]
    public async Task A_plan_names_the_agent_wait_the_run_makes()
    {
        // A running VM with features and a pre-features snapshot: the run sends no ping (the feature step talks to its agent), and
        // its plan says so; a VM the plan would clone and start says the feature step's guest exec asks the agent.
        var (_, catalog, _, connection, host) = Bed();
        var specs = PhoenixConfigLoader.Parse("""
            { "vms": [ { "vmid": 201, "name": "app1", "clone_from_vmid": 9000, "features": ["app"], "snapshots": { "pre_features": true } } ] }
            """).Vms;
        string PlanLine(IReadOnlyList<VmSpec> vms)
        {
            using var recorder = new PlanRecorder(connection);
            var plan = WiredDeployer(new ProxmoxHost(recorder, RetryPolicy.NoRetry), catalog).DeployAsync(vms, CancellationToken.None).GetAwaiter().GetResult();
            return Assert.Single(plan).Steps.Single(s => s.Step == Deployer.StepWaitAgent).Detail!;
        }
        Assert.Contains("(qm agent 201 ping)", PlanLine(specs));
        Assert.Contains("(the feature step's first guest exec asks it)", PlanLine(PhoenixConfigLoader.Parse(Config).Vms.Take(1).ToList()));
        Assert.Equal(DeployStatus.Succeeded, Assert.Single(await WiredDeployer(host, catalog).DeployAsync(specs, CancellationToken.None)).State);

        Assert.Equal("would not wait: the VM runs, and the feature step's guest exec talks to its guest agent", PlanLine(specs));
        connection.Clear();
        Assert.Equal(DeployStatus.Succeeded, Assert.Single(await WiredDeployer(host, catalog).DeployAsync(specs, CancellationToken.None)).State);
        Assert.DoesNotContain("qm guest cmd 201 ping", connection.Lines);
    }

    [Fact]
    public async Task A_clone_started_by_the_deploy_gets_its_features_started_without_an_agent_ping_first()
    {
        var (guest, catalog, _, connection, host) = Bed();
        var deployer = WiredDeployer(host, catalog);
        var logs = new List<string>();
        deployer.Log += (_, line) => { lock (logs) logs.Add(line); };
        var results = await deployer.DeployAsync(PhoenixConfigLoader.Parse(Config).Vms, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        // qm guest exec asks the agent itself before it runs anything: the start's one guest exec follows the VM's start.
        Assert.DoesNotContain(connection.Lines, l => l.StartsWith("qm guest cmd ", StringComparison.Ordinal));
        foreach (var id in new[] { 201, 202 })
        {
            var lines = connection.Lines.ToList();
            var started = lines.IndexOf($"qm start {id}");
            Assert.True(started >= 0 && lines[started + 1].StartsWith($"qm guest exec {id} --pass-stdin 1 ", StringComparison.Ordinal), string.Join("\n", lines));
        }
        Assert.Equal(3, guest.LaunchedIn.Count);
        Assert.Contains("VM 201: the feature step's first guest exec talks to the guest agent, and waits for it if it does not answer", logs);
    }

    [Fact]
    public async Task A_clone_whose_agent_answers_late_is_waited_for_and_its_features_run_once()
    {
        // The agent answers well after the deploy's first guest exec (sent one 20 ms poll interval after the start): qm refuses it
        // with "QEMU guest agent is not running" before running anything, the feature step waits for the agent, then starts.
        var (guest, catalog, _, connection, host) = Bed(agentStartupDelay: TimeSpan.FromMilliseconds(400));
        var results = await WiredDeployer(host, catalog).DeployAsync(PhoenixConfigLoader.Parse(Config).Vms.Take(1).ToList(), CancellationToken.None);

        Assert.True(results[0].State == DeployStatus.Succeeded, string.Join("; ", results[0].Errors));
        // The refused start, the agent's wait (pings until it answers), the start again.
        var mine = connection.Lines.Where(l => l.StartsWith("qm guest ", StringComparison.Ordinal)).ToList();
        var starts = mine.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("qm guest exec 201 --pass-stdin 1 ", StringComparison.Ordinal)).Select(x => x.i).ToList();
        Assert.Equal(2, starts.Count);
        Assert.Equal(0, starts[0]);
        Assert.All(mine.Skip(1).Take(starts[1] - 1), l => Assert.Equal("qm guest cmd 201 ping", l));
        Assert.True(starts[1] >= 2, string.Join("\n", mine));
        // Both features of VM 201 ran once each.
        Assert.Equal(new[] { "base", "app" }, guest.LaunchedIn.Select(l => Path.GetFileName(l.Command[^1])["feature_install_".Length..^3]));
    }

    [Fact]
    public async Task A_re_run_looks_at_a_running_VMs_features_when_its_turn_begins_and_looks_again_only_after_a_step_changed_it()
    {
        var (guest, catalog, simulator, connection, host) = Bed();
        var specs = PhoenixConfigLoader.Parse(Config).Vms;
        var deployer = WiredDeployer(host, catalog);
        Assert.All(await deployer.DeployAsync(specs, CancellationToken.None), r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));

        // A converged re-run: each VM's one look is sent as its turn begins, before its qm config, and the feature step uses it.
        connection.Clear();
        var second = await deployer.DeployAsync(specs, CancellationToken.None);
        Assert.All(second, r => Assert.False(r.Changed, string.Join("; ", r.Changes)));
        foreach (var id in new[] { 201, 202 })
        {
            var mine = connection.Lines.Where(l => l.StartsWith($"qm guest exec {id} ") || l.StartsWith($"qm config {id}")).ToList();
            Assert.Equal(2, mine.Count);
            Assert.Contains(" phoenix-poll ", mine[0]);
            Assert.Equal($"qm config {id}", mine[1]);
        }
        Assert.Equal(3, guest.LaunchedIn.Count);

        // VM 201's cores drifted: its configure step sets them back, so the look taken before is not trusted and the feature step
        // looks again; VM 202 keeps its one look.
        Assert.Equal(0, simulator.Execute(new[] { "qm", "set", "201", "--cores", "1" }, null, CancellationToken.None).ExitCode);
        connection.Clear();
        var third = await deployer.DeployAsync(specs, CancellationToken.None);
        Assert.True(third[0].Changed);
        Assert.Empty(third[0].Steps.Single(s => s.Step == Deployer.StepFeatures).Changes);
        Assert.Equal(2, connection.Lines.Count(l => l.StartsWith("qm guest exec 201 ")));
        Assert.Equal(1, connection.Lines.Count(l => l.StartsWith("qm guest exec 202 ")));
        Assert.Equal(3, guest.LaunchedIn.Count);
    }
}
