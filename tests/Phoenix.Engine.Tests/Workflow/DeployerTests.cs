using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Tests.Config;
using Phoenix.Engine.Workflow;
using Phoenix.Simulator.Guest;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>
/// The Deployer on the in-process simulator with the real cloud-init step: the seed's workflow per VM, in
/// dependency order, what a failure does to the VMs after it, what a plan shows, and a converged re-run.
/// </summary>
public sealed class DeployerTests : IDisposable
{
    internal static readonly string User = $$"""
        "user_config": { "username": "phoenix", "password_hash": "{{ConfigSamples.Sha512Hash}}", "ssh_public_keys": ["{{ConfigSamples.Ed25519Key}}"] }
        """;

    private readonly SimulatedNode _node = new();
    private readonly List<DeployProgress> _progress = new();
    private readonly List<string> _warnings = new();

    public void Dispose() => _node.Dispose();

    private Deployer NewDeployer(ProxmoxHost? host = null, Action<DeployOptions>? configure = null)
    {
        var options = new DeployOptions
        {
            AgentTimeout = TimeSpan.FromSeconds(20),
            AgentPollInterval = TimeSpan.FromMilliseconds(10),
            CloudInitInRun = CloudInitApplier.AsDeployRunStep(),
        };
        configure?.Invoke(options);
        var deployer = new Deployer(host ?? _node.Host, options);
        deployer.Progress += p => { lock (_progress) _progress.Add(p); };
        deployer.Warning += (_, w) => { lock (_warnings) _warnings.Add(w); };
        return deployer;
    }

    private static IReadOnlyList<VmSpec> Specs(string vms) => SimulatedNode.Specs("{ \"vms\": [ " + vms + " ] }");

    private int Index(string command) => _node.Commands.ToList().IndexOf(command);

    [Fact]
    public async Task A_golden_VM_and_its_clone_are_deployed_in_order_and_a_second_run_only_reads()
    {
        var specs = Specs($$"""
            { "vmid": 201, "name": "golden", "cores": 4, "template_snapshot_name": "ready", "snapshots": { "post-features": true }, {{User}} },
            { "vmid": 202, "name": "copy", "clone_from_vmid": 201, {{User}} }
            """);

        var first = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.All(first, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.Equal(new[]
        {
            Deployer.StepClone, Deployer.StepConfigure, Deployer.StepCloudInit, Deployer.StepStart, Deployer.StepWaitAgent,
            Deployer.StepPreSnapshot, Deployer.StepFeatures, Deployer.StepPostSnapshot,
        }, first[0].Steps.Select(s => s.Step));
        Assert.Equal(new[] { "cloned from VM 9000 (linked clone)" }, first[0].Steps[0].Changes);
        Assert.Equal(new[] { "set cores 4" }, first[0].Steps[1].Changes);
        Assert.True(first[0].Steps[2].Changed);
        Assert.Equal(new[] { "started" }, first[0].Steps[3].Changes);
        Assert.True(first[0].Steps[5].Skipped);
        Assert.Equal("no features", first[0].Steps[6].Detail);
        Assert.Equal(new[] { "snapshot 'post-features'", "snapshot 'ready'" }, first[0].Steps[7].Changes);
        Assert.Equal(new[] { "cloned from VM 201 snapshot 'ready' (full clone)" }, first[1].Steps[0].Changes);

        // The copy is cloned from the golden VM's snapshot only after that snapshot exists; each VM's steps in order.
        Assert.True(Index("qm snapshot 201 ready --description 'Phoenix: after features'") < Index("qm clone 201 202 --name copy --snapname ready"));
        // One qm set carries the clone's options and cicustom (after the snippets are written); the start regenerates the
        // cloud-init drive, so no qm cloudinit update comes before it.
        var set = Assert.Single(_node.Commands, c => c.StartsWith("qm set 201 ", StringComparison.Ordinal));
        Assert.Contains("--cores 4", set);
        Assert.Contains("--cicustom ", set);
        Assert.True(Index("qm clone 9000 201 --name golden") < Index(set));
        Assert.True(Index(set) < Index("qm start 201"));
        Assert.DoesNotContain("qm cloudinit update 201", _node.Commands);
        Assert.Equal("running", _node.Status(202));
        Assert.Equal(new[] { "post-features", "ready" }, _node.Snapshots(201));
        Assert.True(_node.FileExists("/var/lib/vz/snippets/user-data-202.yml"));

        _node.Connection.Clear();
        var second = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.All(second, r => Assert.Equal(DeployStatus.Succeeded, r.State));
        Assert.All(second, r => Assert.False(r.Changed, string.Join("; ", r.Changes)));
        Assert.Empty(_node.Changes);
        Assert.Empty(_node.Connection.Uploads);
    }

    [Fact]
    public async Task A_failed_VM_skips_what_depends_on_it_and_the_other_VMs_go_on()
    {
        _node.Sim("qm", "clone", "9000", "201", "--name", "someone-else");
        var specs = Specs($$"""
            { "vmid": 201, "name": "base", {{User}} },
            { "vmid": 202, "name": "child", "clone_from_vmid": 201, {{User}} },
            { "vmid": 203, "name": "other", {{User}} }
            """);

        var results = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.Equal(new[] { DeployStatus.Failed, DeployStatus.Skipped, DeployStatus.Succeeded }, results.Select(r => r.State));
        Assert.Equal(ErrorIds.VmIdTaken, Assert.IsType<PhoenixException>(results[0].Exception).Reason);
        Assert.Equal(new[] { "VM 202 was not deployed because VM 201 it depends on did not deploy." }, results[1].Errors);
        Assert.Empty(results[1].Steps);
        Assert.DoesNotContain(_node.Commands, c => c.Contains(" 202", StringComparison.Ordinal));
        Assert.Equal("someone-else", _node.Config(201).Name);
        Assert.Equal("running", _node.Status(203));
        Assert.Contains(_progress, p => p.VmId == 201 && p.Completed);
        Assert.DoesNotContain(_progress, p => p.VmId == 202);
    }

    [Fact]
    public async Task A_dependency_outside_the_file_that_is_absent_is_a_warning_or_with_RequireExternalDependencies_a_failure()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "app", "dependencies": ["150"], {{User}} }""");

        var warned = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.Equal(DeployStatus.Succeeded, warned[0].State);
        Assert.Equal(new[] { "VM 201 (app) depends on 150, which does not exist on the cluster. Deploying it anyway." }, warned[0].Warnings);
        Assert.Equal(warned[0].Warnings, _warnings);
        Assert.Contains("pvesh get /cluster/resources --type vm --output-format json", _node.Commands);

        var strict = await NewDeployer(configure: o => o.RequireExternalDependencies = true).DeployAsync(
            Specs($$"""{ "vmid": 204, "name": "strict", "dependencies": ["150"], {{User}} }"""), CancellationToken.None);

        Assert.Equal(DeployStatus.Failed, strict[0].State);
        Assert.Equal(ErrorIds.DependencyNotReady, Assert.IsType<PhoenixException>(strict[0].Exception).Reason);
        Assert.False(_node.Exists(204));
    }

    [Fact]
    public async Task A_plan_lists_each_VMs_commands_and_creates_nothing()
    {
        var specs = Specs($$"""
            { "vmid": 201, "name": "golden", "template_snapshot_name": "ready", {{User}} },
            { "vmid": 202, "name": "copy", "clone_from_vmid": 201, {{User}} }
            """);
        using var recorder = new PlanRecorder(_node.Connection);

        var plan = await NewDeployer(new ProxmoxHost(recorder, RetryPolicy.NoRetry)).DeployAsync(specs, CancellationToken.None);

        Assert.All(plan, r => Assert.Equal(DeployStatus.Planned, r.State));
        Assert.Equal("qm clone 9000 201 --name golden", plan[0].Plan[0]);
        Assert.Contains("qm start 201", plan[0].Plan);
        Assert.Contains("qm snapshot 201 ready --description 'Phoenix: after features'", plan[0].Plan);
        Assert.Equal("qm clone 201 202 --name copy --snapname ready", plan[1].Plan[0]);
        Assert.Contains(plan[0].Plan, c => c.StartsWith("write ", StringComparison.Ordinal) && c.Contains("/var/lib/vz/snippets/user-data-201.yml"));
        Assert.StartsWith("would wait up to 20 s for the guest agent", plan[0].Steps.Single(s => s.Step == Deployer.StepWaitAgent).Detail);
        Assert.Equal(plan.SelectMany(r => r.Plan), recorder.Shown);
        Assert.False(_node.Exists(201));
        Assert.False(_node.Exists(202));
        Assert.Empty(_node.Changes);
    }

    [Fact]
    public async Task A_template_of_the_file_is_built_before_the_VMs_cloned_from_it()
    {
        _node.WriteFile("/var/lib/vz/template/iso/noble.img", "image");
        var specs = Specs($$"""
            { "vmid": 202, "name": "web", "template_vmid": 9100, {{User}} },
            { "vmid": 9100, "name": "noble-tpl", "is_template": true, "template_image": "noble.img" }
            """);

        var results = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.Equal(new[] { Deployer.StepTemplate }, results[1].Steps.Select(s => s.Step));
        Assert.Contains("converted to template", results[1].Changes);
        Assert.Equal(new[] { "cloned from VM 9100 (linked clone)" }, results[0].Steps[0].Changes);
        Assert.True(Index("qm template 9100") < Index("qm clone 9100 202 --name web"));
        Assert.True(_node.Config(9100).IsTemplate);
    }

    [Fact]
    public async Task Features_without_a_feature_runner_are_a_warning_and_a_skipped_step()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "app", "features": ["docker"], {{User}} }""");

        var results = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.Equal(DeployStatus.Succeeded, results[0].State);
        var step = results[0].Steps.Single(s => s.Step == Deployer.StepFeatures);
        Assert.True(step.Skipped);
        Assert.Equal("no feature runner", step.Detail);
        Assert.Equal(new[] { "VM 201: features (docker) were not run: this deployment has no feature runner." }, results[0].Warnings);
    }

    [Fact]
    public async Task Every_VM_reports_its_steps_in_order_and_then_that_it_is_done()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "a", {{User}} }, { "vmid": 202, "name": "b", {{User}} }""");

        await NewDeployer().DeployAsync(specs, CancellationToken.None);

        foreach (var id in new[] { 201, 202 })
        {
            var mine = _progress.Where(p => p.VmId == id).ToList();
            Assert.Equal(new[] { Deployer.StepClone, Deployer.StepConfigure, Deployer.StepCloudInit, Deployer.StepStart, Deployer.StepWaitAgent },
                mine.Where(p => !p.Completed).Select(p => p.Step).Take(5));
            var indexes = mine.Where(p => !p.Completed).Select(p => p.StepIndex).ToList();
            Assert.Equal(indexes.OrderBy(i => i), indexes);
            Assert.Equal(indexes.Count, indexes.Distinct().Count());
            Assert.True(mine.Last().Completed);
            Assert.Equal(8, mine.Last().StepCount);
            Assert.Single(mine, p => p.Completed);
        }
    }

    [Fact]
    public async Task A_cycle_among_the_VMs_starts_nothing()
    {
        var specs = new[]
        {
            new VmSpec { VmId = 201, Name = "a", CloneFromVmId = 202 },
            new VmSpec { VmId = 202, Name = "b", CloneFromVmId = 201 },
        };

        await Assert.ThrowsAsync<DependencyCycleException>(() => NewDeployer().DeployAsync(specs, CancellationToken.None));

        Assert.Empty(_node.Commands);
    }

    [Fact]
    public async Task RefreshSnapshot_retakes_a_final_snapshot_only_when_features_ran_after_it()
    {
        var guest = new RecordingGuestRunner();
        using var node = new SimulatedNode(o => o.GuestRunner = guest);
        var specs = Specs($$"""{ "vmid": 201, "name": "golden", "template_snapshot_name": "ready", "features": ["base"], {{User}} }""");
        var ran = true;
        Task<IReadOnlyList<DeployResult>> Deploy(bool refresh, ProxmoxHost? host = null) => NewDeployer(host ?? node.Host, o =>
        {
            o.RefreshSnapshot = refresh;
            o.FeaturesInRun = (_, _, _, _, _) => Task.FromResult(ran ? StepOutcome.Of("feature base: changed") : StepOutcome.Unchanged("feature base: unchanged"));
        }).DeployAsync(specs, CancellationToken.None);
        long SnapTime() => long.Parse(ProxmoxParsers.ParseQmConfig(node.Sim("qm", "config", "201", "--snapshot", "ready").StdOut)["snaptime"]!);
        IReadOnlyList<string> SnapshotChanges() => node.Changes.Where(c => c.Contains("snapshot")).ToList();
        string[] retaken = { "qm delsnapshot 201 ready", "qm snapshot 201 ready --description 'Phoenix: after features'" };

        var first = await Deploy(refresh: false);
        Assert.True(first[0].State == DeployStatus.Succeeded, string.Join("; ", first[0].Errors));
        // The guest's feature record was written before the snapshot was taken: the VM has converged.
        var record = new CannedGuestResult { Pattern = @"^stat -c %Y /var/lib/phoenix/features\.state$", Stdout = SnapTime() + "\n" };
        guest.Responses.Add(record);
        ran = false;

        node.Connection.Clear();
        var converged = await Deploy(refresh: true);
        Assert.False(converged[0].Changed, string.Join("; ", converged[0].Changes));
        Assert.Empty(SnapshotChanges());
        using (var recorder = new PlanRecorder(node.Connection))
        {
            var plan = await Deploy(refresh: true, new ProxmoxHost(recorder, RetryPolicy.NoRetry));
            Assert.DoesNotContain(plan[0].Plan, c => c.Contains("snapshot 201"));
        }

        // Features ran in this run: the snapshot is stale and is taken again.
        ran = true;
        node.Connection.Clear();
        var thisRun = await Deploy(refresh: true);
        Assert.Contains("snapshot 'ready' taken again (-RefreshSnapshot)", thisRun[0].Changes);
        Assert.Equal(retaken, SnapshotChanges());

        // An earlier run (which warned) ran features after the snapshot: the guest's record is younger than it.
        ran = false;
        record.Stdout = SnapTime() + 60 + "\n";
        node.Connection.Clear();
        var earlier = await Deploy(refresh: true);
        Assert.Contains("snapshot 'ready' taken again (-RefreshSnapshot)", earlier[0].Changes);
        Assert.Equal(retaken, SnapshotChanges());
    }

    [Fact]
    public async Task RefreshSnapshot_retakes_a_snapshot_a_linked_clone_was_made_from_on_LVM_thin_where_Proxmox_lets_it_go()
    {
        var specs = Specs($$"""
            { "vmid": 201, "name": "golden", "template_snapshot_name": "ready", "features": ["base"], {{User}} },
            { "vmid": 203, "name": "copy", "clone_from_vmid": 201, {{User}} }
            """);
        var first = await NewDeployer(configure: o =>
        {
            o.Provision.FullClone = false;
            o.FeaturesInRun = (_, _, _, _, _) => Task.FromResult(StepOutcome.Of("feature base: changed"));
        }).DeployAsync(specs, CancellationToken.None);
        Assert.All(first, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.Contains("cloned from VM 201 snapshot 'ready' (linked clone)", first[1].Changes);
        _node.Connection.Clear();

        // Features ran after the snapshot (in this run): it is stale, so -RefreshSnapshot retakes it.
        var again = await NewDeployer(configure: o =>
        {
            o.Provision.FullClone = false;
            o.RefreshSnapshot = true;
            o.FeaturesInRun = (_, _, _, _, _) => Task.FromResult(StepOutcome.Of("feature base: changed"));
        }).DeployAsync(specs, CancellationToken.None);

        Assert.All(again, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.DoesNotContain(again.SelectMany(r => r.Warnings).Concat(_warnings), w => w.Contains("does not retake"));
        Assert.Contains("snapshot 'ready' taken again (-RefreshSnapshot)", again[0].Changes);
        Assert.Equal(new[] { "qm delsnapshot 201 ready", "qm snapshot 201 ready --description 'Phoenix: after features'" },
            _node.Changes.Where(c => c.Contains("snapshot")).ToList());
        Assert.Contains("scsi0: local-lvm:vm-203-disk-0", _node.Sim("qm", "config", "203").StdOut);
    }

    // VM 201 with template_snapshot_name 'ready', deployed with its qm snapshot killed part-way: the snapshot is left half-made
    // (snapstate prepare, lock snapshot). Returns the specs; the recorded commands are cleared.
    private async Task<IReadOnlyList<VmSpec>> DeployCutOffInSnapshotAsync()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "golden", "template_snapshot_name": "ready", {{User}} }""");
        _node.Simulator.Faults = new Phoenix.Simulator.Faults.FaultPlan
        {
            Drops = { new Phoenix.Simulator.Faults.DropFault { Kind = "snapshot", Phase = Phoenix.Simulator.Faults.DropPhase.During } },
        };
        Assert.Equal(DeployStatus.Failed, (await NewDeployer().DeployAsync(specs, CancellationToken.None))[0].State);
        _node.Simulator.Faults = null;
        Assert.Equal("snapshot", _node.Config(201).Lock);
        Assert.Contains("snapstate: prepare", _node.Sim("qm", "config", "201", "--snapshot", "ready").StdOut);
        _node.Connection.Clear();
        return specs;
    }

    [Fact]
    public async Task A_snapshot_cut_off_half_made_does_not_count_and_the_next_run_clears_and_takes_it_once()
    {
        var specs = await DeployCutOffInSnapshotAsync();

        var again = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.True(again[0].State == DeployStatus.Succeeded, string.Join("; ", again[0].Errors));
        Assert.Contains(again[0].Changes, c => c.StartsWith("removed snapshot 'ready', left half-made (snapstate prepare, lock snapshot)", StringComparison.Ordinal));
        var fixes = _node.Changes.Where(c => c.Contains("unlock") || c.Contains("snapshot")).ToList();
        Assert.Equal(new[] { "qm unlock 201", "qm delsnapshot 201 ready --force 1", "qm snapshot 201 ready --description 'Phoenix: after features'" }, fixes);
        Assert.Null(_node.Config(201).Lock);
        Assert.DoesNotContain("snapstate", _node.Sim("qm", "config", "201", "--snapshot", "ready").StdOut);
        Assert.Equal(new[] { "ready" }, _node.Snapshots(201));
    }

    [Fact]
    public async Task A_young_half_made_snapshot_whose_qm_snapshot_still_runs_is_waited_for_and_neither_removed_nor_taken_again()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "golden", "template_snapshot_name": "ready", {{User}} }""");
        await NewDeployer().DeployAsync(Specs($$"""{ "vmid": 201, "name": "golden", {{User}} }"""), CancellationToken.None);
        // Another process takes the snapshot, slowly: it is half-made (snapstate prepare, lock snapshot) while the deploy looks.
        _node.Simulator.Faults = new Phoenix.Simulator.Faults.FaultPlan { Latency = { ["snapshot"] = 1.5 } };
        var other = Task.Run(() => _node.Sim("qm", "snapshot", "201", "ready", "--description", "Phoenix: after features"));
        while (_node.Config(201).Lock != "snapshot")
        {
            Assert.False(other.IsCompleted, "the other process's snapshot ended before it was seen half-made");
            await Task.Delay(5);
        }
        Assert.Contains("snapstate: prepare", _node.Sim("qm", "config", "201", "--snapshot", "ready").StdOut);
        _node.Connection.Clear();
        var host = new ProxmoxHost(_node.Connection, new RetryPolicy
        {
            TotalLimit = TimeSpan.FromSeconds(60), InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200),
        });

        var r = await NewDeployer(host).DeployAsync(specs, CancellationToken.None);
        await other;
        _node.Simulator.Faults = null;

        Assert.True(r[0].State == DeployStatus.Succeeded, string.Join("; ", r[0].Errors));
        Assert.True(_node.Commands.Count(c => c == "qm config 201") >= 2, "the lock is waited out by reading the config again");
        Assert.DoesNotContain(_node.Changes, c => c.Contains("unlock") || c.Contains("snapshot"));
        Assert.Null(_node.Config(201).Lock);
        Assert.DoesNotContain("snapstate", _node.Sim("qm", "config", "201", "--snapshot", "ready").StdOut);
        Assert.Equal(new[] { "ready" }, _node.Snapshots(201));
    }

    [Fact]
    public async Task A_young_half_made_snapshot_whose_lock_outlasts_the_lock_wait_is_then_cleared_and_taken_once()
    {
        var specs = await DeployCutOffInSnapshotAsync();
        // The lock wait passes without real time: each backoff is counted, not slept.
        var slept = new List<TimeSpan>();
        var host = new ProxmoxHost(_node.Connection, new RetryPolicy
        {
            TotalLimit = TimeSpan.FromSeconds(60), Delay = (d, _) => { slept.Add(d); return Task.CompletedTask; },
        });

        var r = await NewDeployer(host).DeployAsync(specs, CancellationToken.None);

        Assert.True(r[0].State == DeployStatus.Succeeded, string.Join("; ", r[0].Errors));
        // Waited (up to what was left of the 60 s since the snapshot began) before treating the snapshot as abandoned.
        Assert.NotEmpty(slept);
        Assert.InRange(slept.Aggregate(TimeSpan.Zero, (a, b) => a + b), TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        var fixes = _node.Changes.Where(c => c.Contains("unlock") || c.Contains("snapshot")).ToList();
        Assert.Equal(new[] { "qm unlock 201", "qm delsnapshot 201 ready --force 1", "qm snapshot 201 ready --description 'Phoenix: after features'" }, fixes);
        Assert.Equal(new[] { "ready" }, _node.Snapshots(201));
    }

    [Fact]
    public async Task A_snapshot_lock_that_is_not_a_half_made_snapshot_of_Phoenix_is_an_error_saying_what_unlock_and_delsnapshot_would_do()
    {
        var specs = Specs($$"""{ "vmid": 201, "name": "golden", "template_snapshot_name": "ready", {{User}} }""");
        await NewDeployer().DeployAsync(specs, CancellationToken.None);
        _node.Simulator.Faults = new Phoenix.Simulator.Faults.FaultPlan
        {
            Drops = { new Phoenix.Simulator.Faults.DropFault { Kind = "snapshot", Phase = Phoenix.Simulator.Faults.DropPhase.During } },
        };
        Assert.ThrowsAny<Exception>(() => _node.Sim("qm", "snapshot", "201", "admins"));
        _node.Simulator.Faults = null;
        _node.Connection.Clear();

        var r = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.Equal(DeployStatus.Failed, r[0].State);
        var e = Assert.IsType<PhoenixException>(r[0].Exception);
        Assert.Equal(ErrorIds.SnapshotLocked, e.Reason);
        Assert.Contains("VM 201 (golden) is locked (snapshot)", e.Message);
        Assert.Contains("qm unlock 201", e.RecommendedAction);
        Assert.Contains("qm delsnapshot 201 <name> --force", e.RecommendedAction);
        Assert.Empty(_node.Changes);
    }

    [Fact]
    public void Every_clone_edge_is_a_scheduling_edge_the_default_template_and_a_template_name_too()
    {
        var specs = Specs("""
            { "vmid": 9000, "name": "base", "is_template": true, "template_image": "noble.img" },
            { "vmid": 9100, "name": "other", "is_template": true, "template_image": "noble.img" },
            { "vmid": 101, "name": "a" },
            { "vmid": 102, "name": "b", "template": "other" },
            { "vmid": 103, "name": "c", "template_vmid": 9100 },
            { "vmid": 104, "name": "d", "clone_from_vmid": 101, "template": "other" }
            """);
        var options = new ProvisionOptions();
        options.TemplateByName["other"] = 9100;

        var graph = Deployer.DependencyGraph(specs, options);

        Assert.Empty(graph[9000]);
        Assert.Equal(new[] { 9000 }, graph[101]);
        Assert.Equal(new[] { 9100 }, graph[102]);
        Assert.Equal(new[] { 9100 }, graph[103]);
        Assert.Equal(new[] { 101 }, graph[104]);
    }

    [Fact]
    public async Task A_template_name_clones_the_one_template_of_that_name_on_the_host()
    {
        var specs = Specs($$"""{ "vmid": 101, "name": "a", "template": "ubuntu-2404-cloud-template", {{User}} }""");
        _node.Sim("qm", "clone", "9000", "9100", "--name", "other-tpl");
        _node.Sim("qm", "template", "9100");

        var r = await NewDeployer(configure: o => o.Provision.DefaultTemplateVmId = 9100).DeployAsync(specs, CancellationToken.None);

        Assert.True(r[0].State == DeployStatus.Succeeded, string.Join("; ", r[0].Errors));
        Assert.Contains("qm clone 9000 101 --name a", _node.Commands);
        // The name and the run's VM listing are answered by the same one read.
        Assert.Single(_node.Commands, c => c.StartsWith("pvesh get /cluster/resources", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nope", "names no template in the config or on the cluster; the templates there are 'ubuntu-2404-cloud-template' (9000)")]
    [InlineData("twin", "names 2 templates on the cluster: 9100, 9101, so Phoenix cannot tell which to clone")]
    public async Task A_template_name_that_resolves_to_none_or_several_fails_the_VM_naming_the_candidates(string name, string says)
    {
        foreach (var id in new[] { "9100", "9101" })
        {
            _node.Sim("qm", "clone", "9000", id, "--name", "twin");
            _node.Sim("qm", "template", id);
        }
        if (name == "nope")
            foreach (var id in new[] { "9100", "9101" }) _node.Sim("qm", "destroy", id);
        _node.Connection.Clear();
        var specs = Specs($$"""{ "vmid": 101, "name": "a", "template": "{{name}}", {{User}} }, { "vmid": 102, "name": "b", "dependencies": ["101"], {{User}} }""");

        var r = await NewDeployer().DeployAsync(specs, CancellationToken.None);

        Assert.Equal(DeployStatus.Failed, r[0].State);
        var e = Assert.IsType<PhoenixException>(r[0].Exception);
        Assert.Equal(ErrorIds.TemplateNameUnresolved, e.Reason);
        Assert.Contains($"VM 101 (a): template '{name}' " + says, e.Message);
        Assert.Equal(DeployStatus.Skipped, r[1].State);
        Assert.Empty(_node.Changes);
    }
}
