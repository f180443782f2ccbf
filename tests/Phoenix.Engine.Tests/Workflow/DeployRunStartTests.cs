using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.Simulator.Faults;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>
/// What a deploy run reads at its start, beside its listing and clones, instead of in the way of its VMs: the cloud-init step's
/// snippet storages and folder (begun when the run begins), and a template's config (read beside the clone, for the prediction
/// of the clone's config). The same commands as when each is read where it is used; a failed early read fails the VM that
/// needs it with the same error; a plan reads and shows what it did.
/// </summary>
public sealed class DeployRunStartTests : IDisposable
{
    private static readonly IReadOnlyList<VmSpec> TwoVms = SimulatedNode.Specs($$"""
        { "vms": [ { "vmid": 201, "name": "one", "cores": 4, {{DeployerTests.User}} }, { "vmid": 202, "name": "two", {{DeployerTests.User}} } ] }
        """);

    private readonly SimulatedNode _node = new();

    public void Dispose() => _node.Dispose();

    // The cloud-init step as Deploy-PhoenixVm wires it, with (or without) its reads begun at the run's start.
    private static Deployer NewDeployer(ProxmoxHost host, bool begin, int throttle = 4)
    {
        var options = new DeployOptions
        {
            ThrottleLimit = throttle,
            AgentTimeout = TimeSpan.FromSeconds(20),
            AgentPollInterval = TimeSpan.FromMilliseconds(10),
            CloudInitInRun = CloudInitApplier.AsDeployRunStep(),
        };
        if (begin) options.CloudInitRunStart = CloudInitApplier.AsDeployRunStart();
        return new Deployer(host, options);
    }

    [Fact]
    public async Task The_clones_do_not_wait_for_the_template_config_and_the_snippet_reads_are_sent_before_any_clone_has_answered()
    {
        // Each held answer comes only once the command that must not wait for it has been sent (or after a long while, so
        // that a run that does wait still ends, and fails the assertions below).
        var held = new Holds(_node.Connection, ("qm config 9000", "qm clone 9000 "), ("qm clone 9000 ", "pvesm path "));

        var results = await NewDeployer(_node.Host, begin: true).DeployAsync(TwoVms, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        var log = held.Log;
        int At(string line) => log.FindIndex(l => l.StartsWith(line, StringComparison.Ordinal));
        Assert.True(At("sent qm clone 9000 ") < At("answered qm config 9000"), string.Join("\n", log));
        Assert.True(At("sent pvesm status --content snippets") < At("sent pvesh get /cluster/resources"), string.Join("\n", log));
        Assert.True(At("sent pvesm path local:snippets/user-data-201.yml") < At("answered qm clone 9000 "), string.Join("\n", log));
        // Still one template read, one storage list and one folder per run; the prediction still spared each clone its qm config.
        Assert.Single(_node.Commands, c => c == "qm config 9000");
        Assert.Single(_node.Commands, c => c == "pvesm status --content snippets");
        Assert.Single(_node.Commands, c => c.StartsWith("pvesm path ", StringComparison.Ordinal));
        Assert.DoesNotContain("qm config 201", _node.Commands);
        Assert.Contains("qm set 201 --cores 4 --cicustom 'user=local:snippets/user-data-201.yml,network=local:snippets/network-config-201.yml'",
            _node.Commands);
    }

    [Fact]
    public async Task Reads_begun_at_the_start_issue_the_same_commands_as_reads_made_where_they_are_used()
    {
        using var other = new SimulatedNode();

        var early = await NewDeployer(_node.Host, begin: true, throttle: 1).DeployAsync(TwoVms, CancellationToken.None);
        var late = await NewDeployer(other.Host, begin: false, throttle: 1).DeployAsync(TwoVms, CancellationToken.None);

        Assert.All(early.Concat(late), r => Assert.True(r.State == DeployStatus.Succeeded, string.Join("; ", r.Errors)));
        Assert.Equal(other.Commands.OrderBy(c => c, StringComparer.Ordinal), _node.Commands.OrderBy(c => c, StringComparer.Ordinal));
        Assert.Equal(early.Select(r => r.Changes), late.Select(r => r.Changes));
    }

    [Fact]
    public async Task A_failed_snippet_storage_read_begun_at_the_start_fails_the_VM_that_needs_it_with_the_same_error_and_the_next_VM_asks_again()
    {
        using var other = new SimulatedNode();
        foreach (var node in new[] { _node, other })
            node.Simulator.Faults = new FaultPlan
            {
                Failures = { new FailureFault { Kind = "pvesm-status", Count = 1, Stderr = "ipcc_send_rec[1] failed: Connection refused" } },
            };

        var early = await NewDeployer(_node.Host, begin: true, throttle: 1).DeployAsync(TwoVms, CancellationToken.None);
        var late = await NewDeployer(other.Host, begin: false, throttle: 1).DeployAsync(TwoVms, CancellationToken.None);

        Assert.Equal(new[] { DeployStatus.Failed, DeployStatus.Succeeded }, early.Select(r => r.State));
        Assert.Equal(late.Select(r => r.State), early.Select(r => r.State));
        // The failed VM's clone and configure steps went through; its cloud-init step has the read's error, word for word.
        Assert.Equal(new[] { Deployer.StepClone, Deployer.StepConfigure }, early[0].Steps.Select(s => s.Step));
        Assert.Contains("ipcc_send_rec[1] failed: Connection refused", early[0].Errors.Single(), StringComparison.Ordinal);
        Assert.Equal(late[0].Errors, early[0].Errors);
        Assert.Equal(late[0].Exception!.GetType(), early[0].Exception!.GetType());
        Assert.Equal(2, _node.Commands.Count(c => c == "pvesm status --content snippets"));
        Assert.Equal(other.Commands.Count, _node.Commands.Count);
    }

    [Fact]
    public async Task A_plan_reads_and_shows_the_same_whether_or_not_the_run_begins_its_reads_early()
    {
        using var other = new SimulatedNode();
        using var recorder = new PlanRecorder(_node.Connection);
        using var otherRecorder = new PlanRecorder(other.Connection);

        var early = await NewDeployer(new ProxmoxHost(recorder, RetryPolicy.NoRetry), begin: true).DeployAsync(TwoVms, CancellationToken.None);
        var late = await NewDeployer(new ProxmoxHost(otherRecorder, RetryPolicy.NoRetry), begin: false).DeployAsync(TwoVms, CancellationToken.None);

        Assert.All(early, r => Assert.Equal(DeployStatus.Planned, r.State));
        Assert.Equal(late.Select(r => r.Plan), early.Select(r => r.Plan));
        Assert.Equal(other.Connection.Log, _node.Connection.Log);
        // The plan reads the template before it plans the clone, and the snippet storages only in the cloud-init step.
        Assert.Equal("qm config 9000", _node.Commands[1]);
        Assert.Equal("qm clone 9000 201 --name one", early[0].Plan[0]);
        Assert.Empty(_node.Changes);
    }

    /// <summary>
    /// Logs when each command of a recording connection was sent and answered; the answer of a command that begins with a held
    /// prefix comes only once a command that begins with its release prefix has been sent (or after 10 s).
    /// </summary>
    private sealed class Holds
    {
        private readonly (string Held, string Until, TaskCompletionSource Sent)[] _holds;
        private readonly List<string> _log = new();

        public Holds(CloudInit.RecordingConnection connection, params (string Held, string Until)[] holds)
        {
            _holds = holds.Select(h => (h.Held, h.Until, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))).ToArray();
            connection.Sent = line =>
            {
                lock (_log) _log.Add("sent " + line);
                foreach (var h in _holds.Where(h => line.StartsWith(h.Until, StringComparison.Ordinal))) h.Sent.TrySetResult();
            };
            connection.Answering = async line =>
            {
                foreach (var h in _holds.Where(h => line.StartsWith(h.Held, StringComparison.Ordinal)))
                    await Task.WhenAny(h.Sent.Task, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
                lock (_log) _log.Add("answered " + line);
            };
        }

        public List<string> Log { get { lock (_log) return _log.ToList(); } }
    }
}
