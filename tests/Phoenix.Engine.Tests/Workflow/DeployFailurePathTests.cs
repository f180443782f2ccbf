using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Tests.Features;
using Phoenix.Engine.Workflow;
using Phoenix.Simulator;
using Phoenix.Simulator.Faults;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>
/// Failure paths of a deploy run whose reads begin early (the snippet storages with the run, the template's config beside the
/// clone) and whose feature start asks the guest agent itself: each fails as a deploy without them would, and no more.
/// </summary>
public sealed class DeployFailurePathTests : IDisposable
{
    private static readonly IReadOnlyList<VmSpec> OneVm = SimulatedNode.Specs($$"""
        { "vms": [ { "vmid": 201, "name": "one", "cores": 4, {{DeployerTests.User}} } ] }
        """);

    private readonly TempFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    private static Deployer CloudInitDeployer(ProxmoxHost host) => new(host, new DeployOptions
    {
        ThrottleLimit = 1,
        AgentTimeout = TimeSpan.FromSeconds(20),
        AgentPollInterval = TimeSpan.FromMilliseconds(10),
        CloudInitInRun = CloudInitApplier.AsDeployRunStep(),
        CloudInitRunStart = CloudInitApplier.AsDeployRunStart(),
    });

    [Fact]
    public async Task A_template_read_that_fails_beside_a_clone_that_worked_does_not_fail_the_VM()
    {
        using var node = new SimulatedNode();
        node.Simulator.Faults = new FaultPlan
        {
            Failures = { new FailureFault { Kind = "config", VmId = 9000, Count = 1, Stderr = "ipcc_send_rec[1] failed: Connection refused" } },
        };

        var r = Assert.Single(await CloudInitDeployer(node.Host).DeployAsync(OneVm, CancellationToken.None));

        // The clone's own config is read instead of predicted from the template's.
        Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors));
        Assert.Contains(node.Commands, c => c.StartsWith("qm clone 9000 201 ", StringComparison.Ordinal));
        Assert.Contains("qm config 201", node.Commands);
    }

    [Fact]
    public async Task A_cycle_among_the_VMs_sends_nothing_even_with_the_reads_that_begin_with_the_run()
    {
        using var node = new SimulatedNode();
        var specs = new[] { new VmSpec { VmId = 201, Name = "a", CloneFromVmId = 202 }, new VmSpec { VmId = 202, Name = "b", CloneFromVmId = 201 } };

        await Assert.ThrowsAsync<DependencyCycleException>(() => CloudInitDeployer(node.Host).DeployAsync(specs, CancellationToken.None));

        Assert.Empty(node.Commands);
    }

    [Fact]
    public async Task A_cycle_through_a_template_name_of_the_file_sends_nothing()
    {
        // The name resolves to the file's template 200 only once names are resolved; taken as the default template before, the
        // edges would show no cycle.
        using var node = new SimulatedNode();
        var specs = new[]
        {
            new VmSpec { VmId = 200, Name = "base", IsTemplate = true, Dependencies = new[] { "201" } },
            new VmSpec { VmId = 201, Name = "a", Template = "base" },
        };

        await Assert.ThrowsAsync<DependencyCycleException>(() => CloudInitDeployer(node.Host).DeployAsync(specs, CancellationToken.None));

        Assert.Empty(node.Commands);
    }

    [Fact]
    public async Task A_snippet_storage_answer_Phoenix_cannot_read_fails_the_VM_and_leaves_no_unobserved_task_exception()
    {
        using var node = new SimulatedNode();
        node.Simulator.Faults = new FaultPlan
        {
            Failures = { new FailureFault { Kind = "pvesm-status", Count = 1, ExitCode = 0, Stdout = "something Phoenix cannot read\n" } },
        };
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) => { lock (unobserved) unobserved.Add(e.Exception); };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            await Run();
            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }
        Assert.Empty(unobserved.OfType<AggregateException>().SelectMany(e => e.InnerExceptions).Where(e => e.Message.Contains("storage status"))
            .Select(e => e.Message));

        async Task Run()
        {
            var r = Assert.Single(await CloudInitDeployer(node.Host).DeployAsync(OneVm, CancellationToken.None));
            Assert.Equal(DeployStatus.Failed, r.State);
            Assert.Contains("storage status", string.Join("; ", r.Errors));
        }
    }

    [Fact]
    public async Task A_started_clone_whose_agent_never_answers_is_waited_for_with_pings_and_fails_with_the_agent_timeout()
    {
        var guest = new FeatureGuest();
        var folder = _folders.Folder("features");
        File.WriteAllText(Path.Combine(folder, "feature_install_app.sh"), "#!/bin/bash\necho app\n");
        var catalog = new FeatureCatalog(null, new[] { folder });
        var simulator = new ProxmoxSimulator(new SimulatorOptions { AgentStartupDelay = TimeSpan.FromHours(1), GuestRunner = guest, RandomSeed = 3 });
        var connection = new Features.RecordingConnection(new SimulatorConnection(simulator));
        var options = FeatureTestBed.Options();
        options.AgentTimeout = TimeSpan.FromMilliseconds(300);
        var deployer = new Deployer(new ProxmoxHost(connection), new DeployOptions
        {
            ThrottleLimit = 1,
            AgentTimeout = TimeSpan.FromMilliseconds(300),
            AgentPollInterval = TimeSpan.FromMilliseconds(20),
            FeaturesInRun = (h, spec, run, log, ct) => FeatureRunner.RunForVmAsync(h, spec, catalog, options, log, ct, run.ClonedThisRun, run.LookAhead),
        });
        var specs = PhoenixConfigLoader.Parse("""{ "vms": [ { "vmid": 201, "name": "app1", "clone_from_vmid": 9000, "features": ["app"] } ] }""").Vms;

        var r = Assert.Single(await deployer.DeployAsync(specs, CancellationToken.None));

        Assert.Equal(DeployStatus.Failed, r.State);
        Assert.Equal(ErrorIds.AgentTimeout, Assert.IsAssignableFrom<PhoenixException>(r.Exception).Reason);
        Assert.Contains("qm guest cmd 201 ping", connection.Lines);
        // Pings while it waits: the config once (is `agent` set?), the state only to explain the timeout.
        var after = connection.Lines.SkipWhile(l => l != "qm start 201").Skip(1).ToList();
        Assert.Single(after, l => l == "qm config 201");
        Assert.True(after.Count(l => l == "qm status 201") <= 1, string.Join("\n", after));
        Assert.DoesNotContain(guest.LaunchedIn, l => l.VmId == 201);
    }
}
