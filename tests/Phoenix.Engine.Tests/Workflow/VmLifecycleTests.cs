using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>VmLifecycle's idempotent operations on the in-process simulator: the commands, their order, and what a re-run sends.</summary>
public sealed class VmLifecycleTests : IDisposable
{
    private readonly SimulatedNode _node = new();

    public VmLifecycleTests()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
    }

    public void Dispose() => _node.Dispose();

    private Task<T> Run<T>(Func<ProxmoxHost, CancellationToken, Task<T>> work) => work(_node.Host, CancellationToken.None);

    [Fact]
    public async Task Start_starts_a_stopped_VM_once_and_a_running_one_is_only_read()
    {
        Assert.True(await Run((h, ct) => VmLifecycle.EnsureStartedAsync(h, 101, ct)));
        Assert.Equal(new[] { "qm status 101", "qm start 101" }, _node.Commands);
        Assert.Equal("running", _node.Status(101));

        _node.Connection.Clear();
        Assert.False(await Run((h, ct) => VmLifecycle.EnsureStartedAsync(h, 101, ct)));
        Assert.Equal(new[] { "qm status 101" }, _node.Commands);
    }

    [Fact]
    public async Task Stop_shuts_down_with_the_timeout_and_forceStop_and_a_stopped_VM_is_only_read()
    {
        _node.Sim("qm", "start", "101");

        Assert.True(await Run((h, ct) => VmLifecycle.EnsureStoppedAsync(h, 101, 45, force: true, ct)));
        Assert.Equal(new[] { "qm status 101", "qm shutdown 101 --timeout 45 --forceStop 1" }, _node.Commands);
        Assert.Equal("stopped", _node.Status(101));

        _node.Connection.Clear();
        Assert.False(await Run((h, ct) => VmLifecycle.EnsureStoppedAsync(h, 101, 45, force: false, ct)));
        Assert.Equal(new[] { "qm status 101" }, _node.Commands);
    }

    [Fact]
    public async Task A_snapshot_is_taken_once_and_a_bad_name_is_refused_before_any_command()
    {
        Assert.True(await Run((h, ct) => VmLifecycle.EnsureSnapshotAsync(h, 101, "golden", "first one", ct)));
        Assert.False(await Run((h, ct) => VmLifecycle.EnsureSnapshotAsync(h, 101, "golden", "again", ct)));

        Assert.Equal(new[] { "qm listsnapshot 101", "qm snapshot 101 golden --description 'first one'", "qm listsnapshot 101" }, _node.Commands);
        Assert.Equal(new[] { "golden" }, _node.Snapshots(101));

        _node.Connection.Clear();
        var e = await Assert.ThrowsAsync<PhoenixException>(() => Run((h, ct) => VmLifecycle.EnsureSnapshotAsync(h, 101, "current", null, ct)));
        Assert.Equal(ErrorIds.InvalidSnapshotName, e.Reason);
        Assert.Equal(101, e.Target);
        Assert.Empty(_node.Commands);
    }

    [Fact]
    public async Task Get_reads_config_status_and_snapshots_together()
    {
        _node.Sim("qm", "snapshot", "101", "base");

        var state = await Run((h, ct) => VmLifecycle.GetAsync(h, 101, includeSnapshots: true, ct));

        Assert.Equal("web-01", state.Name);
        Assert.Equal("stopped", state.Status);
        Assert.False(state.IsRunning);
        Assert.Equal(new[] { "base", "current" }, state.Snapshots.Select(s => s.Name));
        Assert.Equal(new[] { "qm config 101", "qm listsnapshot 101", "qm status 101" }, _node.Commands.OrderBy(c => c, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Waiting_for_the_agent_returns_the_guest_addresses_of_a_running_VM()
    {
        _node.Sim("qm", "start", "101");

        var ready = await Run((h, ct) => VmLifecycle.WaitForAgentAsync(h, 101, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(10), null, ct));

        Assert.NotEmpty(ready.Addresses);
        Assert.DoesNotContain(ready.Addresses, a => a.Address == "127.0.0.1");
        Assert.Equal(new[] { "qm guest cmd 101 ping", "qm guest cmd 101 network-get-interfaces" }, _node.Commands);
    }

    [Fact]
    public async Task Waiting_for_the_agent_of_a_stopped_VM_times_out_saying_it_is_stopped_and_how_to_start_it()
    {
        var waits = new List<TimeSpan>();

        var e = await Assert.ThrowsAsync<PhoenixException>(() =>
            Run((h, ct) => VmLifecycle.WaitForAgentAsync(h, 101, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10), waits.Add, ct)));

        Assert.Equal(ErrorIds.AgentTimeout, e.Reason);
        Assert.Equal(PhoenixErrorKind.OperationTimeout, e.Kind);
        Assert.StartsWith("VM 101 (web-01) is stopped, so its guest agent cannot answer", e.Message);
        Assert.Equal("Start it with Start-PhoenixVm -VmId 101.", e.RecommendedAction);
        Assert.NotEmpty(waits);
        // One ping finds it stopped; after that only its status is polled.
        Assert.Equal(new[] { "qm guest cmd 101 ping" }, _node.Commands.Where(c => c.StartsWith("qm guest", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_VM_without_the_agent_configured_is_refused_at_once()
    {
        _node.Sim("qm", "set", "101", "--agent", "0");

        var e = await Assert.ThrowsAsync<PhoenixException>(() =>
            Run((h, ct) => VmLifecycle.WaitForAgentAsync(h, 101, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10), null, ct)));

        Assert.Equal(ErrorIds.AgentNotConfigured, e.Reason);
        Assert.Equal(new[] { "qm guest cmd 101 ping", "qm config 101" }, _node.Commands);
    }

    [Fact]
    public async Task Remove_destroys_the_VM_and_deletes_only_the_snippets_Phoenix_wrote_for_it()
    {
        _node.WriteFile("/var/lib/vz/snippets/user-data-101.yml", "#cloud-config\n");
        _node.WriteFile("/var/lib/vz/snippets/network-config-101.yml", "version: 1\n");
        _node.WriteFile("/var/lib/vz/snippets/.phoenix-cloudinit-101", "marker\n");
        _node.WriteFile("/var/lib/vz/snippets/admin-vendor.yml", "#cloud-config\n");
        _node.Sim("qm", "set", "101", "--cicustom",
            "user=local:snippets/user-data-101.yml,network=local:snippets/network-config-101.yml,vendor=local:snippets/admin-vendor.yml");

        var removed = await Run((h, ct) => VmLifecycle.RemoveAsync(h, 101, force: false, purge: true, keepSnippets: false, ct));

        Assert.Equal(new[]
        {
            "/var/lib/vz/snippets/user-data-101.yml", "/var/lib/vz/snippets/network-config-101.yml", "/var/lib/vz/snippets/.phoenix-cloudinit-101",
        }, removed);
        Assert.Equal(new[]
        {
            "qm config 101",
            "pvesm path local:snippets/user-data-101.yml",
            "pvesm path local:snippets/network-config-101.yml",
            "qm destroy 101 --purge 1",
        }, _node.Commands);
        Assert.False(_node.Exists(101));
        Assert.False(_node.FileExists("/var/lib/vz/snippets/user-data-101.yml"));
        Assert.True(_node.FileExists("/var/lib/vz/snippets/admin-vendor.yml"));
    }

    [Fact]
    public async Task Remove_refuses_a_running_VM_unless_forced_and_can_keep_the_snippets()
    {
        _node.WriteFile("/var/lib/vz/snippets/user-data-101.yml", "#cloud-config\n");
        _node.Sim("qm", "set", "101", "--cicustom", "user=local:snippets/user-data-101.yml");
        _node.Sim("qm", "start", "101");

        var e = await Assert.ThrowsAsync<ProxmoxException>(() =>
            Run((h, ct) => VmLifecycle.RemoveAsync(h, 101, force: false, purge: true, keepSnippets: true, ct)));
        Assert.Contains("VM 101 is running - destroy failed", e.Message);
        Assert.True(_node.Exists(101));

        _node.Connection.Clear();
        var removed = await Run((h, ct) => VmLifecycle.RemoveAsync(h, 101, force: true, purge: false, keepSnippets: true, ct));

        Assert.Empty(removed);
        Assert.Equal(new[] { "qm status 101", "qm stop 101", "qm destroy 101" }, _node.Commands);
        Assert.False(_node.Exists(101));
        Assert.True(_node.FileExists("/var/lib/vz/snippets/user-data-101.yml"));
    }

    [Fact]
    public async Task Under_a_plan_recorder_the_changes_are_recorded_and_the_VM_is_left_as_it_was()
    {
        using var recorder = new PlanRecorder(_node.Connection);
        var plan = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        Assert.True(await VmLifecycle.EnsureStartedAsync(plan, 101, CancellationToken.None));
        Assert.True(await VmLifecycle.EnsureSnapshotAsync(plan, 101, "golden", null, CancellationToken.None));
        await VmLifecycle.RemoveAsync(plan, 101, force: true, purge: true, keepSnippets: false, CancellationToken.None);

        Assert.Equal(new[] { "qm start 101", "qm snapshot 101 golden", "qm destroy 101 --purge 1" }, recorder.Commands);
        Assert.Equal("stopped", _node.Status(101));
        Assert.Empty(_node.Snapshots(101));
    }
}
