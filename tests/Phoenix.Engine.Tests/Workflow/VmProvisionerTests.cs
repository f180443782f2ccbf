using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>VmProvisioner on the in-process simulator: where a clone comes from, what it sends, and that a re-run only reads.</summary>
public sealed class VmProvisionerTests : IDisposable
{
    private readonly SimulatedNode _node = new();

    public void Dispose() => _node.Dispose();

    private static Dictionary<int, VmSpec> ById(IEnumerable<VmSpec> specs) => specs.ToDictionary(s => s.VmId);

    private Task<StepOutcome> Clone(VmSpec spec, IReadOnlyDictionary<int, VmSpec>? fileVms = null, ProvisionOptions? options = null,
        ISet<int>? planned = null) =>
        VmProvisioner.EnsureCloneAsync(_node.Host, spec, fileVms ?? new Dictionary<int, VmSpec>(), options ?? new ProvisionOptions(),
            planned ?? new HashSet<int>(), CancellationToken.None);

    [Fact]
    public async Task A_new_VM_is_a_linked_clone_of_the_base_template_and_is_counted_as_made()
    {
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];
        var planned = new HashSet<int>();

        var outcome = await Clone(spec, planned: planned);

        Assert.Equal(new[] { "cloned from VM 9000 (linked clone)" }, outcome.Changes);
        Assert.Equal(new[] { "qm config 101", "qm config 9000", "qm clone 9000 101 --name web-01" }, _node.Commands);
        Assert.Contains(101, planned);
        Assert.Equal("web-01", _node.Config(101).Name);
    }

    [Fact]
    public async Task An_existing_VM_of_that_name_is_left_alone_with_one_read()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];

        var outcome = await Clone(spec);

        Assert.False(outcome.Changed);
        Assert.Equal(new[] { "VM 101 (web-01) exists; not cloned again." }, outcome.Notes);
        Assert.Equal(new[] { "qm config 101" }, _node.Commands);
    }

    [Fact]
    public async Task Another_VM_on_the_VMID_is_never_taken_over()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "db-01");
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Clone(spec));

        Assert.Equal(ErrorIds.VmIdTaken, e.Reason);
        Assert.Equal(PhoenixErrorKind.AlreadyExists, e.Kind);
        Assert.StartsWith("VM 101 already exists on the host as 'db-01', but the config (vms[0]) wants it to be 'web-01'.", e.Message);
        Assert.Equal(new[] { "qm config 101" }, _node.Commands);
        Assert.Equal("db-01", _node.Config(101).Name);
    }

    // A re-run that meets the clone of a deploy that was cut off while `qm clone` went on: Proxmox keeps `lock: clone` in the
    // target's config for the whole clone. The test's policy "waits" by running what the host does meanwhile.
    private void WhileWaiting(Action onWait, List<ProxmoxWaitEventArgs> waits)
    {
        _node.Host.RetryPolicy = new RetryPolicy { TotalLimit = TimeSpan.FromSeconds(30), Delay = (d, ct) => { onWait(); return Task.CompletedTask; } };
        _node.Host.Waiting += (_, e) => waits.Add(e);
    }

    [Fact]
    public async Task A_clone_still_running_is_waited_out_and_its_VM_is_not_cloned_again()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        _node.Sim("qm", "set", "101", "--lock", "clone");
        var waits = new List<ProxmoxWaitEventArgs>();
        var turns = 0;
        WhileWaiting(() => { if (++turns == 2) _node.Sim("qm", "unlock", "101"); }, waits);
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];

        var outcome = await Clone(spec);

        Assert.False(outcome.Changed);
        Assert.Equal(new[] { "qm config 101", "qm config 101", "qm config 101" }, _node.Commands);
        Assert.Equal(2, waits.Count);
        Assert.All(waits, w => Assert.Equal("VM 101 is locked (clone)", w.Message.Substring(0, w.Message.IndexOf(';'))));
    }

    [Fact]
    public async Task A_clone_that_failed_while_waited_for_is_cloned_again()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        _node.Sim("qm", "set", "101", "--lock", "clone");
        WhileWaiting(() => { _node.Sim("qm", "unlock", "101"); _node.Sim("qm", "destroy", "101"); }, new List<ProxmoxWaitEventArgs>());
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];

        var outcome = await Clone(spec);

        Assert.Equal(new[] { "cloned from VM 9000 (linked clone)" }, outcome.Changes);
        Assert.Equal(new[] { "qm config 101", "qm config 101", "qm config 9000", "qm clone 9000 101 --name web-01" }, _node.Commands);
    }

    [Fact]
    public async Task A_clone_lock_that_outlasts_the_wait_is_an_error_that_says_what_to_do()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        _node.Sim("qm", "set", "101", "--lock", "clone");
        var waits = new List<ProxmoxWaitEventArgs>();
        WhileWaiting(() => { }, waits);
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01" } ] }""")[0];

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Clone(spec));

        Assert.Equal(ErrorIds.IncompleteClone, e.Reason);
        Assert.StartsWith("VM 101 (web-01) is still locked by a clone after Phoenix waited ", e.Message);
        Assert.Contains("qm unlock 101 && qm destroy 101", e.RecommendedAction);
        Assert.NotEmpty(waits);
        Assert.DoesNotContain(_node.Commands, c => !c.StartsWith("qm config 101", StringComparison.Ordinal));
        Assert.Equal("clone", _node.Config(101).Lock);
    }

    [Fact]
    public async Task A_missing_source_is_named_and_nothing_is_cloned()
    {
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01", "template_vmid": 9100 } ] }""")[0];

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Clone(spec));

        Assert.Equal(ErrorIds.CloneSourceNotFound, e.Reason);
        Assert.Equal("VM 101 (web-01) is to be cloned from VM 9100, which does not exist on the host.", e.Message);
        Assert.DoesNotContain(_node.Commands, c => c.StartsWith("qm clone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_clone_of_a_golden_VM_comes_from_its_snapshot_in_full_onto_the_spec_storage()
    {
        var specs = SimulatedNode.Specs("""
            { "vms": [
              { "vmid": 201, "name": "golden", "template_snapshot_name": "ready" },
              { "vmid": 202, "name": "copy", "clone_from_vmid": 201, "storage_pool": "local-lvm" }
            ] }
            """);
        _node.Sim("qm", "clone", "9000", "201", "--name", "golden", "--full", "1");
        _node.Sim("qm", "snapshot", "201", "ready");

        var outcome = await Clone(specs[1], ById(specs));

        Assert.Equal(new[] { "cloned from VM 201 snapshot 'ready' (full clone)" }, outcome.Changes);
        Assert.Equal("qm clone 201 202 --name copy --snapname ready --storage local-lvm", _node.Commands.Last());
        Assert.Equal("copy", _node.Config(202).Name);
    }

    [Fact]
    public async Task A_source_planned_earlier_in_the_run_is_not_read()
    {
        var specs = SimulatedNode.Specs("""
            { "vms": [ { "vmid": 201, "name": "base-a", "is_template": true }, { "vmid": 202, "name": "b", "template_vmid": 201 } ] }
            """);
        using var recorder = new PlanRecorder(_node.Connection);
        var plan = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        var outcome = await VmProvisioner.EnsureCloneAsync(plan, specs[1], ById(specs), new ProvisionOptions(), new HashSet<int> { 201 },
            CancellationToken.None);

        Assert.Equal(new[] { "cloned from VM 201 (linked clone)" }, outcome.Changes);
        Assert.Equal(new[] { "qm config 202" }, _node.Commands);
        Assert.Equal(new[] { "qm clone 201 202 --name b" }, recorder.Commands);
        Assert.False(_node.Exists(202));
    }

    [Fact]
    public async Task Configure_sets_what_differs_in_one_qm_set_grows_the_disk_and_a_rerun_only_reads()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        var spec = SimulatedNode.Specs("""
            { "vms": [ { "vmid": 101, "name": "web-01", "cores": 4, "memory_mb": 4096, "disk_size_gb": 40, "start_at_boot": true,
                         "boot_order": 2, "boot_delay": 5, "network_bridge": "vmbr1", "qm_options": { "cpu": "host" } } ] }
            """)[0];
        var mac = _node.Config(101).NetworkDevices.Single().MacAddress;

        var first = await VmProvisioner.ConfigureAsync(_node.Host, spec, CancellationToken.None);

        Assert.Equal(new[]
        {
            "qm config 101",
            $"qm set 101 --cores 4 --memory 4096 --onboot 1 --startup 'order=2,up=5' --net0 'virtio={mac},bridge=vmbr1' --cpu host",
            "qm resize 101 scsi0 40G",
        }, _node.Commands);
        Assert.Equal(new[]
        {
            "set cores 4", "set memory 4096", "set onboot 1", "set startup order=2,up=5", $"set net0 virtio={mac},bridge=vmbr1", "set cpu host",
            "resized scsi0 to 40G",
        }, first.Changes);
        var config = _node.Config(101);
        Assert.Equal(4, config.Cores);
        Assert.Equal(mac, config.NetworkDevices.Single().MacAddress);
        Assert.Equal("vmbr1", config.NetworkDevices.Single().Bridge);
        Assert.Equal(40L * 1024 * 1024 * 1024, config.GetDisk("scsi0")!.SizeBytes);

        _node.Connection.Clear();
        var second = await VmProvisioner.ConfigureAsync(_node.Host, spec, CancellationToken.None);

        Assert.False(second.Changed);
        Assert.Equal(new[] { "qm config 101" }, _node.Commands);
    }

    [Fact]
    public async Task A_smaller_disk_size_is_a_warning_and_the_disk_is_left_as_it_is()
    {
        _node.Sim("qm", "clone", "9000", "101", "--name", "web-01");
        var spec = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01", "disk_size_gb": 8 } ] }""")[0];

        var outcome = await VmProvisioner.ConfigureAsync(_node.Host, spec, CancellationToken.None);

        Assert.False(outcome.Changed);
        Assert.Equal(new[] { "VM 101: disk_size_gb is left as it is: scsi0 is 32G, bigger than disk_size_gb 8; Proxmox cannot shrink a disk." }, outcome.Warnings);
        Assert.Equal(new[] { "qm config 101" }, _node.Commands);
    }

    [Fact]
    public async Task A_planned_clone_is_configured_against_its_source_so_the_plan_shows_what_would_be_set()
    {
        var specs = SimulatedNode.Specs("""{ "vms": [ { "vmid": 101, "name": "web-01", "cores": 2, "memory_mb": 4096 } ] }""");
        using var recorder = new PlanRecorder(_node.Connection);
        var plan = new ProxmoxHost(recorder, RetryPolicy.NoRetry);

        var outcome = await VmProvisioner.ConfigureAsync(plan, specs[0], CancellationToken.None, ById(specs), new ProvisionOptions());

        // 9000 has 2 cores already: only the memory differs from what the clone would copy.
        Assert.Equal(new[] { "set memory 4096" }, outcome.Changes);
        Assert.Equal(new[] { "qm set 101 --memory 4096" }, recorder.Commands);
        Assert.Equal(new[] { "qm config 101", "qm config 9000" }, _node.Commands);
    }

    [Theory]
    [InlineData("""{ "vmid": 101, "name": "a" }""", 9000, null)]
    [InlineData("""{ "vmid": 101, "name": "a", "template_vmid": 9100 }""", 9100, null)]
    [InlineData("""{ "vmid": 101, "name": "a", "clone_from_vmid": 300, "template_vmid": 9100 }""", 300, "gold")]
    [InlineData("""{ "vmid": 101, "name": "a", "clone_from_vmid": 301 }""", 301, null)]
    public void The_source_is_clone_from_vmid_then_template_vmid_then_the_default_template(string vm, int source, string? snapshot)
    {
        var specs = SimulatedNode.Specs("{ \"vms\": [ " + vm + """
            , { "vmid": 300, "name": "g", "template_snapshot_name": "gold" }, { "vmid": 301, "name": "t", "is_template": true,
                "template_snapshot_name": "x" } ] }
            """);

        var s = VmProvisioner.ResolveSource(specs[0], ById(specs), new ProvisionOptions());

        Assert.Equal(source, s.VmId);
        Assert.Equal(snapshot, s.Snapshot);
    }
}
