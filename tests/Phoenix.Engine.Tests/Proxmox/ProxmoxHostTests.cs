using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;
using Xunit;
using static Phoenix.Engine.Tests.Proxmox.ScriptedHostConnection;

namespace Phoenix.Engine.Tests.Proxmox;

public class ProxmoxHostTests
{
    private const string LockTimeoutText = "trying to acquire lock...\ncan't lock file '/var/lock/qemu-server/lock-1001.conf' - got timeout\n";

    private const string CloneLog =
        "creating a clone of VM 9000 with ID 1001\n" +
        "create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)\n" +
        "create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)\n";

    /// <summary>A policy without real sleeping and without jitter; the waits it was asked for are recorded.</summary>
    private static RetryPolicy FakePolicy(List<TimeSpan> waits, double limitSeconds = 120) => new()
    {
        Jitter = 0,
        TotalLimit = TimeSpan.FromSeconds(limitSeconds),
        Delay = (d, ct) =>
        {
            ct.ThrowIfCancellationRequested();
            lock (waits) waits.Add(d);
            return Task.CompletedTask;
        },
    };

    [Fact]
    public async Task Lock_timeouts_are_waited_out_and_reported_as_waits()
    {
        var fake = new ScriptedHostConnection()
            .On("qm clone 9000 1001 --name web01", Fail(LockTimeoutText), Fail(LockTimeoutText), Ok(CloneLog));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits));
        var events = new List<ProxmoxWaitEventArgs>();
        host.Waiting += (_, e) => events.Add(e);

        var result = await host.CloneAsync(9000, 1001, new CloneOptions { Name = "web01" });

        Assert.Equal(new[] { "scsi0" }, result.LinkedDrives);
        Assert.Equal(new[] { "ide2" }, result.FullDrives);
        Assert.Equal(3, fake.Calls.Count);
        Assert.Equal(new[] { TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1) }, waits);
        Assert.Equal(2, events.Count);
        Assert.Equal(new[] { 1, 2 }, events.Select(e => e.Retry));
        Assert.All(events, e => Assert.Equal(ProxmoxErrorReason.LockTimeout, e.Error.ProxmoxReason));
        Assert.All(events, e => Assert.Equal(1001, e.VmId));
        Assert.Equal("qm clone 9000 1001 --name web01", events[0].Command);
        Assert.Equal("VM 1001: its configuration file is locked by another command; waiting 0.5 s before trying again (0 s of 2 min waited)",
            events[0].Message);
    }

    [Fact]
    public async Task A_lock_that_outlasts_the_limit_is_a_vm_locked_error_with_the_unlock_advice()
    {
        var fake = new ScriptedHostConnection().On("qm start 1001", Fail("VM is locked (clone)\n"));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits, limitSeconds: 10));
        var events = new List<ProxmoxWaitEventArgs>();
        host.Waiting += (_, e) => events.Add(e);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.StartAsync(1001));

        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.Equal("VmLocked", e.Reason);
        Assert.Equal(1001, e.Target);
        Assert.Equal("clone", e.LockName);
        Assert.False(e.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(10), e.Waited);
        Assert.StartsWith("VM 1001 is still locked (clone) after Phoenix waited 10 s:", e.Message);
        Assert.Contains("only then run `qm unlock 1001` on the host", e.Message);
        Assert.Contains("qm unlock 1001", e.RecommendedAction);
        // Backoff doubles from 0.5 s; the last wait is cut to what the limit leaves.
        Assert.Equal(new[] { 0.5, 1, 2, 4, 2.5 }, waits.Select(w => w.TotalSeconds));
        Assert.Equal(5, events.Count);
        Assert.Equal(6, fake.Calls.Count);
        // Phoenix never unlocks on its own.
        Assert.DoesNotContain(fake.CallLines, l => l.StartsWith("qm unlock", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_config_file_lock_that_outlasts_the_limit_is_a_lock_timeout_error()
    {
        var fake = new ScriptedHostConnection().On("qm set 1001 --cores 2", Fail(LockTimeoutText));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits, limitSeconds: 2));

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.SetAsync(1001, new[] { new KeyValuePair<string, string>("cores", "2") }));

        Assert.Equal(ProxmoxErrorReason.LockTimeout, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.OperationTimeout, e.Kind);
        Assert.False(e.IsTransient);
        Assert.StartsWith("VM 1001: its configuration file stayed locked by another command for 2 s.", e.Message);
        Assert.Equal(new[] { 0.5, 1, 0.5 }, waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public async Task Without_retries_the_first_lock_error_is_reported()
    {
        var fake = new ScriptedHostConnection().On("qm start 1001", Fail("VM is locked (backup)\n"));
        var host = new ProxmoxHost(fake, RetryPolicy.NoRetry);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.StartAsync(1001));

        Assert.Equal(ProxmoxErrorReason.VmLocked, e.ProxmoxReason);
        Assert.Equal("backup", e.LockName);
        Assert.Single(fake.Calls);
    }

    [Fact]
    public async Task Permanent_errors_are_not_retried()
    {
        var fake = new ScriptedHostConnection().On("qm start 1001", Fail("Configuration file 'nodes/pve/qemu-server/1001.conf' does not exist\n", 2));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits));

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.StartAsync(1001));

        Assert.Equal(ProxmoxErrorReason.VmNotFound, e.ProxmoxReason);
        Assert.Single(fake.Calls);
        Assert.Empty(waits);
    }

    [Fact]
    public async Task A_cancelled_wait_stops_the_retries()
    {
        var fake = new ScriptedHostConnection().On("qm start 1001", Fail("VM is locked (clone)\n"));
        using var cts = new CancellationTokenSource();
        var policy = new RetryPolicy { Delay = (d, ct) => { cts.Cancel(); return Task.Delay(d, ct); } };
        var host = new ProxmoxHost(fake, policy);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.StartAsync(1001, cts.Token));
        Assert.Single(fake.Calls);
    }

    [Fact]
    public void Backoff_grows_from_half_a_second_to_eight_and_jitter_stays_within_those_bounds()
    {
        var plain = new RetryPolicy { Jitter = 0 };
        Assert.Equal(new[] { 0.5, 1, 2, 4, 8, 8, 8 }, Enumerable.Range(1, 7).Select(r => plain.GetDelay(r).TotalSeconds));

        var jittered = new RetryPolicy().WithSeed(42);
        var delays = Enumerable.Range(1, 200).Select(r => jittered.GetDelay(r % 8 + 1).TotalSeconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 0.5, 8.0));
        Assert.Contains(delays, d => d != 0.5 && d != 1 && d != 2 && d != 4 && d != 8);
        Assert.Equal(TimeSpan.FromSeconds(120), new RetryPolicy().TotalLimit);
    }

    [Fact]
    public async Task A_connection_timeout_becomes_a_command_timeout_naming_the_vm()
    {
        var host = new ProxmoxHost(new ThrowingConnection(new TimeoutException("took too long")));
        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.StartAsync(1001));
        Assert.Equal(ProxmoxErrorReason.CommandTimeout, e.ProxmoxReason);
        Assert.Equal(PhoenixErrorKind.OperationTimeout, e.Kind);
        Assert.Equal(1001, e.Target);
        Assert.StartsWith("`qm start 1001` for VM 1001 did not finish.", e.Message);
    }

    // ---- reads

    [Fact]
    public async Task Get_vms_reads_configs_only_when_asked_and_skips_vms_that_vanished()
    {
        var fake = new ScriptedHostConnection()
            .On("qm list", Ok(
                "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n" +
                "      1001 web01                running    4096              32.00 12345     \n" +
                "      1002 db01                 stopped    2048              10.00 0         \n"))
            .On("qm config 1001", Ok("cores: 4\nlock: snapshot\nname: web01\n"))
            .On("qm config 1002", Fail("Configuration file 'nodes/pve/qemu-server/1002.conf' does not exist\n", 2));
        var host = new ProxmoxHost(fake);

        var plain = await host.GetVmsAsync();
        Assert.Equal(new[] { 1001, 1002 }, plain.Select(v => v.VmId));
        Assert.All(plain, v => Assert.Null(v.Config));
        Assert.Equal(new[] { "qm list" }, fake.CallLines);

        var withConfig = await host.GetVmsAsync(includeConfig: true);
        var vm = Assert.Single(withConfig);
        Assert.Equal(1001, vm.VmId);
        Assert.Equal("snapshot", vm.Config!.Lock);
        Assert.Equal(4, vm.Config.Cores);
    }

    [Fact]
    public async Task Status_existence_snapshots_and_config_are_read()
    {
        var fake = new ScriptedHostConnection()
            .On("qm status 1001", Ok("status: running\n"))
            .On("qm status 1003", Fail("Configuration file 'nodes/pve/qemu-server/1003.conf' does not exist\n", 2))
            .On("qm listsnapshot 1001",
                Ok("`-> s1                          2024-05-01 10:00:00     first snap\n `-> current                                            " +
                "You are here!\n"))
            .On("qm config 1001 --snapshot s1", Ok("cores: 2\nsnaptime: 1714557600\n"));
        var host = new ProxmoxHost(fake);

        Assert.Equal("running", await host.GetStatusAsync(1001));
        Assert.True(await host.VmExistsAsync(1001));
        Assert.False(await host.VmExistsAsync(1003));
        var snapshots = await host.ListSnapshotsAsync(1001);
        Assert.Equal(new[] { "s1", "current" }, snapshots.Select(s => s.Name));
        Assert.Equal("s1", snapshots[1].Parent);
        Assert.Equal(2, (await host.GetVmConfigAsync(1001, "s1")).Cores);
    }

    [Fact]
    public async Task Storage_cluster_and_nextid_are_read()
    {
        var fake = new ScriptedHostConnection()
            .On("pvesm status", Ok(
                "Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
                "local             dir     active        98497780        12345678        81085716   12.53%\n"))
            .On("pvesm path local:snippets/user-data-1001.yml", Ok("/var/lib/vz/snippets/user-data-1001.yml\n"))
            .On("pvesh get /cluster/nextid", Ok("100\n"))
            .On("pvesh get /cluster/nextid --vmid 1001",
                Fail("400 Parameter verification failed.\nvmid: VM 1001 already exists\n\npvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n"))
            .On("pvesh get /cluster/resources --type vm --output-format json",
                Ok("[{\"id\":\"lxc/102\",\"name\":\"dns\",\"node\":\"pve\",\"status\":\"stopped\",\"type\":\"lxc\",\"vmid\":102}]\n"));
        var host = new ProxmoxHost(fake);

        Assert.Equal("local", Assert.Single(await host.StorageStatusAsync()).Name);
        Assert.Equal("/var/lib/vz/snippets/user-data-1001.yml", await host.StoragePathAsync("local:snippets/user-data-1001.yml"));
        Assert.Equal(100, await host.NextIdAsync());
        var taken = await Assert.ThrowsAsync<ProxmoxException>(() => host.NextIdAsync(1001));
        Assert.Equal(ProxmoxErrorReason.AlreadyExists, taken.ProxmoxReason);
        var container = Assert.Single(await host.GetClusterResourcesAsync());
        Assert.Equal(new ClusterResource("lxc/102", "lxc", 102, "dns", "pve", "stopped", false), container);
    }

    [Fact]
    public async Task Unexpected_output_names_the_vm_and_the_command()
    {
        var fake = new ScriptedHostConnection().On("qm status 1001", Ok("what is this\n"));
        var host = new ProxmoxHost(fake);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.GetStatusAsync(1001));

        Assert.Equal(ProxmoxErrorReason.UnexpectedOutput, e.ProxmoxReason);
        Assert.Equal(1001, e.Target);
        Assert.Equal("qm status 1001", e.Command);
        Assert.StartsWith("VM 1001: cannot read the VM status from `qm status 1001`:", e.Message);
    }

    [Fact]
    public async Task Cloud_init_dump_drops_the_extra_new_line_qm_adds()
    {
        var fake = new ScriptedHostConnection().On("qm cloudinit dump 1001 meta", Ok("instance-id: 3f786850e387550fdab836ed7e6dc881de23001b\n\n"));
        var host = new ProxmoxHost(fake);
        Assert.Equal("instance-id: 3f786850e387550fdab836ed7e6dc881de23001b\n", await host.CloudInitDumpAsync(1001, CloudInitDumpType.Meta));
    }

    // ---- changes

    [Fact]
    public async Task Template_fails_on_a_task_error_although_qm_exits_0()
    {
        var fake = new ScriptedHostConnection()
            .On("qm template 9000", Ok("", "lvrename 'pve/vm-9000-disk-0' => 'pve/base-9000-disk-0' error: failed\n"))
            .On("qm template 9001", Ok("", "WARN: something harmless\n"));
        var host = new ProxmoxHost(fake);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.TemplateAsync(9000));
        Assert.Equal(ProxmoxErrorReason.RemoteCommandFailed, e.ProxmoxReason);
        Assert.Equal(0, e.ExitCode);
        Assert.Equal("`qm template 9000` failed for VM 9000 (exit code 0). See Proxmox's message below for the cause. Proxmox said: lvrename " +
            "'pve/vm-9000-disk-0' => 'pve/base-9000-disk-0' error: failed", e.Message);

        await host.TemplateAsync(9001);
        Assert.Equal(new[] { "qm template 9000", "qm template 9001" }, fake.CallLines);
    }

    [Fact]
    public async Task Changes_run_the_exact_commands()
    {
        var fake = new ScriptedHostConnection().On(_ => true, Ok());
        var host = new ProxmoxHost(fake);

        await host.SetAsync(1001, new[] { new KeyValuePair<string, string>("cores", "4"), new KeyValuePair<string, string>("onboot", "1") });
        await host.StartAsync(1001);
        await host.ShutdownAsync(1001, 60, forceStop: true);
        await host.StopAsync(1001);
        await host.SnapshotAsync(1001, "pre-features", "before features");
        await host.RollbackAsync(1001, "pre-features");
        await host.DeleteSnapshotAsync(1001, "pre-features");
        await host.CloudInitUpdateAsync(1001);
        await host.DestroyAsync(1001, purge: true);

        Assert.Equal(new[]
        {
            "qm set 1001 --cores 4 --onboot 1",
            "qm start 1001",
            "qm shutdown 1001 --timeout 60 --forceStop 1",
            "qm stop 1001",
            "qm snapshot 1001 pre-features --description 'before features'",
            "qm rollback 1001 pre-features",
            "qm delsnapshot 1001 pre-features",
            "qm cloudinit update 1001",
            "qm destroy 1001 --purge 1",
        }, fake.CallLines);
    }

    [Fact]
    public async Task A_bad_snapshot_name_is_refused_before_anything_runs()
    {
        var fake = new ScriptedHostConnection();
        var host = new ProxmoxHost(fake);

        var e = await Assert.ThrowsAsync<PhoenixException>(() => host.SnapshotAsync(1001, "current"));

        Assert.Equal("InvalidSnapshotName", e.Reason);
        Assert.Empty(fake.Calls);
    }

    // ---- guest agent

    [Fact]
    public async Task Guest_exec_returns_the_parsed_result()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 -- /bin/bash -c 'echo hello'", Ok("{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"hello\\n\"\n}\n"));
        var host = new ProxmoxHost(fake);

        var result = await host.GuestExecAsync(1001, new[] { "/bin/bash", "-c", "echo hello" });

        Assert.True(result.Succeeded);
        Assert.Equal("hello\n", result.OutData);
    }

    [Fact]
    public async Task Guest_exec_follows_a_pid_answer_with_exec_status()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 --timeout 5 -- /bin/bash /tmp/feature.sh", Ok("{\"pid\": 4242}\n", "timeout reached, returning pid\n"))
            .On("qm guest exec-status 1001 4242",
                Ok("{\n   \"exited\" : 0\n}\n"),
                Ok("{\n   \"exitcode\" : 2,\n   \"exited\" : 1,\n   \"err-data\" : \"docker: not found\\n\"\n}\n"));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits));

        var result = await host.GuestExecAsync(1001, new[] { "/bin/bash", "/tmp/feature.sh" }, new GuestExecOptions { TimeoutSeconds = 5 });

        Assert.True(result.Exited);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("docker: not found\n", result.ErrData);
        Assert.Equal(4242L, result.Pid);
        Assert.Equal(new[] { "qm guest exec 1001 --timeout 5 -- /bin/bash /tmp/feature.sh", "qm guest exec-status 1001 4242",
            "qm guest exec-status 1001 4242" }, fake.CallLines);
        Assert.Equal(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }, waits);
    }

    [Theory]
    // After qm's own wait: asked every second.
    [InlineData(true, "qm guest exec 1001 -- sleep 600", 3, new[] { 1.0, 1.0, 1.0 })]
    // Started with --synchronous 0: asked at once and after 0.2, 0.4 and 0.8 s; 1.4 s had passed when it gave up.
    [InlineData(false, "qm guest exec 1001 --synchronous 0 -- sleep 600", 1, new[] { 0.2, 0.4, 0.8 })]
    public async Task Guest_exec_gives_up_following_after_its_limit(bool synchronous, string start, double limitSeconds, double[] waitSeconds)
    {
        var fake = new ScriptedHostConnection()
            .On(start, Ok("{\"pid\": 7}\n"))
            .On("qm guest exec-status 1001 7", Ok("{\n   \"exited\" : 0\n}\n"));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits));

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => host.GuestExecAsync(1001, new[] { "sleep", "600" },
            new GuestExecOptions { Synchronous = synchronous, FollowStarted = true, FollowLimit = TimeSpan.FromSeconds(limitSeconds) }));

        Assert.Equal(ProxmoxErrorReason.CommandTimeout, e.ProxmoxReason);
        Assert.Equal(1001, e.Target);
        Assert.Contains("the guest program 'sleep' (pid 7) was still running after ", e.Message);
        Assert.Contains("`qm guest exec-status 1001 7`", e.Message);
        Assert.Equal(waitSeconds.Select(TimeSpan.FromSeconds), waits);
        Assert.Equal(start, fake.CallLines[0]);
        Assert.Equal(waitSeconds.Length + (synchronous ? 0 : 1), fake.CallLines.Count(l => l == "qm guest exec-status 1001 7"));
    }

    [Fact]
    public async Task Guest_exec_without_follow_returns_the_pid()
    {
        var fake = new ScriptedHostConnection().On("qm guest exec 1001 --synchronous 0 -- sleep 600", Ok("{\"pid\": 7}\n"));
        var host = new ProxmoxHost(fake);

        var result = await host.GuestExecAsync(1001, new[] { "sleep", "600" }, new GuestExecOptions { Synchronous = false });

        Assert.False(result.Exited);
        Assert.Equal(7L, result.Pid);
        Assert.Single(fake.Calls);
    }

    [Fact]
    public async Task Guest_exec_started_without_waiting_asks_for_its_end_at_once_and_then_after_waits_that_grow_to_the_poll_interval()
    {
        var notYet = Ok("{\n   \"exited\" : 0\n}\n");
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 --synchronous 0 -- cat /var/lib/phoenix/features.state", Ok("{\n   \"pid\" : 7\n}\n"))
            .On("qm guest exec-status 1001 7", notYet, notYet, notYet, notYet, notYet,
                Ok("{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"docker 0123\\n\"\n}\n"));
        var waits = new List<TimeSpan>();
        var host = new ProxmoxHost(fake, FakePolicy(waits));

        var result = await host.GuestExecAsync(1001, new[] { "cat", "/var/lib/phoenix/features.state" },
            new GuestExecOptions { ReadOnly = true, Synchronous = false, FollowStarted = true, FollowLimit = TimeSpan.FromMinutes(1) });

        Assert.True(result.Succeeded);
        Assert.Equal("docker 0123\n", result.OutData);
        Assert.Equal(7L, result.Pid);
        Assert.Equal(new[] { "qm guest exec 1001 --synchronous 0 -- cat /var/lib/phoenix/features.state" }
            .Concat(Enumerable.Repeat("qm guest exec-status 1001 7", 6)), fake.CallLines);
        // The first exec-status at once (its own start is the program's time), then 0.2 s, doubling, at most the poll interval.
        Assert.Equal(new[] { 0.2, 0.4, 0.8, 1, 1 }.Select(TimeSpan.FromSeconds), waits);
        Assert.All(fake.Calls, c => Assert.True(CommandIntent.IsReadOnly(c), c.ToShellString()));
    }

    [Fact]
    public async Task A_read_started_without_waiting_whose_pid_the_agent_forgot_is_started_once_more()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 --synchronous 0 -- cat /var/lib/phoenix/features.state", Ok("{\n   \"pid\" : 7\n}\n"), Ok("{\n   \"pid\" : 8\n}\n"))
            .On("qm guest exec-status 1001 7", Fail("Agent error: Invalid parameter 'pid'\n"))
            .On("qm guest exec-status 1001 8", Ok("{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"docker 0123\\n\"\n}\n"));
        var host = new ProxmoxHost(fake, RetryPolicy.NoRetry);
        var read = new GuestExecOptions { ReadOnly = true, Synchronous = false, FollowStarted = true, FollowLimit = TimeSpan.FromMinutes(1) };

        var result = await host.GuestExecAsync(1001, new[] { "cat", "/var/lib/phoenix/features.state" }, read);

        Assert.Equal("docker 0123\n", result.OutData);
        Assert.Equal(new[] { "qm guest exec 1001 --synchronous 0 -- cat /var/lib/phoenix/features.state", "qm guest exec-status 1001 7",
            "qm guest exec 1001 --synchronous 0 -- cat /var/lib/phoenix/features.state", "qm guest exec-status 1001 8" }, fake.CallLines);

        // Once only, and never for a program that changes something: that is the agent's error.
        var twice = new ScriptedHostConnection()
            .On("qm guest exec 1001 --synchronous 0 -- touch /x", Ok("{\"pid\": 9}\n"))
            .On("qm guest exec-status 1001 9", Fail("Agent error: Invalid parameter 'pid'\n"));
        var e = await Assert.ThrowsAsync<ProxmoxException>(() => new ProxmoxHost(twice, RetryPolicy.NoRetry).GuestExecAsync(1001, new[] { "touch", "/x" },
            new GuestExecOptions { Synchronous = false, FollowStarted = true }));
        Assert.Equal(ProxmoxErrorReason.GuestAgentError, e.ProxmoxReason);
        Assert.Equal(2, twice.CallLines.Count);
    }

    [Fact]
    public async Task A_poll_interval_of_zero_is_no_busy_loop()
    {
        var notYet = Ok("{\n   \"exited\" : 0\n}\n");
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 -- sleep 1", Ok("{\"pid\": 7}\n"))
            .On("qm guest exec-status 1001 7", notYet, Ok("{\n   \"exitcode\" : 0,\n   \"exited\" : 1\n}\n"));
        var waits = new List<TimeSpan>();
        var result = await new ProxmoxHost(fake, FakePolicy(waits)).GuestExecAsync(1001, new[] { "sleep", "1" },
            new GuestExecOptions { PollInterval = TimeSpan.Zero });
        Assert.True(result.Succeeded);
        Assert.Equal(new[] { ProxmoxHost.FirstStartedWait, ProxmoxHost.FirstStartedWait }, waits);
    }

    [Fact]
    public async Task A_program_started_without_waiting_is_asked_once_even_when_its_limit_is_zero()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 --synchronous 0 -- true", Ok("{\"pid\": 7}\n"))
            .On("qm guest exec-status 1001 7", Ok("{\n   \"exitcode\" : 0,\n   \"exited\" : 1\n}\n"));
        var result = await new ProxmoxHost(fake).GuestExecAsync(1001, new[] { "true" },
            new GuestExecOptions { Synchronous = false, FollowStarted = true, FollowLimit = TimeSpan.Zero });
        Assert.True(result.Succeeded);
        Assert.Equal(2, fake.CallLines.Count);
    }

    [Fact]
    public async Task Guest_exec_started_without_waiting_on_a_guest_whose_agent_does_not_run_is_the_error_of_a_synchronous_one()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 --synchronous 0 -- true", Fail("QEMU guest agent is not running\n"));
        var host = new ProxmoxHost(fake, RetryPolicy.NoRetry);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() =>
            host.GuestExecAsync(1001, new[] { "true" }, new GuestExecOptions { Synchronous = false, FollowStarted = true }));

        Assert.Equal(ProxmoxErrorReason.AgentNotRunning, e.ProxmoxReason);
        Assert.Single(fake.Calls);
    }

    [Fact]
    public async Task Agent_ping_is_true_false_or_an_error_that_waiting_cannot_fix()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest cmd 1001 ping", Ok())
            .On("qm guest cmd 1002 ping", Fail("QEMU guest agent is not running\n"))
            .On("qm guest cmd 1003 ping", Fail("No QEMU guest agent configured\n"))
            .On("qm guest cmd 1004 ping", Fail("VM 1004 is not running\n"));
        var host = new ProxmoxHost(fake);

        Assert.True(await host.AgentPingAsync(1001));
        Assert.False(await host.AgentPingAsync(1002));
        Assert.Equal(ProxmoxErrorReason.AgentNotConfigured, (await Assert.ThrowsAsync<ProxmoxException>(() => host.AgentPingAsync(1003))).ProxmoxReason);
        Assert.Equal(ProxmoxErrorReason.NotRunning, (await Assert.ThrowsAsync<ProxmoxException>(() => host.AgentPingAsync(1004))).ProxmoxReason);
    }

    [Fact]
    public async Task Guest_addresses_leave_out_loopback()
    {
        var fake = new ScriptedHostConnection().On("qm guest cmd 1001 network-get-interfaces", Ok(
            "[\n   {\n      \"hardware-address\" : \"00:00:00:00:00:00\",\n      \"ip-addresses\" : [\n         {\n            \"ip-address\" : " +
                "\"127.0.0.1\",\n            \"ip-address-type\" : \"ipv4\",\n            \"prefix\" : 8\n         }\n      ],\n      \"name\" : " +
                "\"lo\"\n   },\n" +
            "   {\n      \"hardware-address\" : \"bc:24:11:aa:bb:cc\",\n      \"ip-addresses\" : [\n         {\n            \"ip-address\" : " +
                "\"10.0.0.101\",\n            \"ip-address-type\" : \"ipv4\",\n            \"prefix\" : 24\n         }\n      ],\n      \"name\" : " +
                "\"eth0\"\n   }\n]\n"));
        var host = new ProxmoxHost(fake);

        var address = Assert.Single(await host.GetGuestAddressesAsync(1001));

        Assert.Equal(new GuestIpAddress("eth0", "10.0.0.101", "ipv4", 24), address);
    }

    private sealed class ThrowingConnection : IHostConnection
    {
        private readonly Exception _error;
        public ThrowingConnection(Exception error) => _error = error;
        public string HostName => "pve.test";
        public int Port => 22;
        public string UserName => "root";
        public string? HostKeyFingerprint => null;
        public bool IsConnected => true;
        public HostCapabilities Capabilities => HostCapabilities.Full;
        public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default) => Task.FromException<CommandResult>(_error);
        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default) => Task.FromException(_error);
        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default) => Task.FromException<byte[]>(_error);
        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default) => Task.FromException<bool>(_error);
        public void Dispose() { }
    }
}
