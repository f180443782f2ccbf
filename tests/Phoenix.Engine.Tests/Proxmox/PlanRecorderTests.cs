using System.Text;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;
using Xunit;
using static Phoenix.Engine.Tests.Proxmox.ScriptedHostConnection;

namespace Phoenix.Engine.Tests.Proxmox;

public class PlanRecorderTests
{
    private static KeyValuePair<string, string> P(string k, string v) => new(k, v);

    [Fact]
    public async Task Changes_are_recorded_not_run_and_reads_run_for_real()
    {
        var fake = new ScriptedHostConnection()
            .On("qm status 1001", Fail("Configuration file 'nodes/pve/qemu-server/1001.conf' does not exist\n", 2))
            .On("qm config 9000", Ok("name: ubuntu-2404-template\nscsi0: local-lvm:base-9000-disk-0,size=32G\ntemplate: 1\n"));
        var recorder = new PlanRecorder(fake);
        var host = new ProxmoxHost(recorder);
        var planned = new List<PlannedAction>();
        recorder.Planned += (_, a) => planned.Add(a);

        Assert.True(host.IsDryRun);
        Assert.False(await host.VmExistsAsync(1001));
        var template = await host.GetVmConfigAsync(9000);
        Assert.True(template.IsTemplate);
        var clone = await host.CloneAsync(9000, 1001, new CloneOptions { Name = "web01" });
        await host.SetAsync(1001, new[] { P("cores", "4"), P("cipassword", "$6$salt$hash"), P("ipconfig0", "ip=10.0.0.101/24,gw=10.0.0.1") });
        await host.CloudInitUpdateAsync(1001);
        await host.StartAsync(1001);
        var exec = await host.GuestExecAsync(1001, new[] { "/bin/bash", "-c", "systemctl is-active docker" });
        await host.SnapshotAsync(1001, "pre-features");

        // Only the reads reached the host.
        Assert.Equal(new[] { "qm status 1001", "qm config 9000" }, fake.CallLines);

        var expected = new[]
        {
            "qm clone 9000 1001 --name web01",
            "qm set 1001 --cores 4 --cipassword '<redacted>' --ipconfig0 'ip=10.0.0.101/24,gw=10.0.0.1'",
            "qm cloudinit update 1001",
            "qm start 1001",
            "qm guest exec 1001 -- /bin/bash -c 'systemctl is-active docker'",
            "qm snapshot 1001 pre-features",
        };
        Assert.Equal(expected, recorder.Commands);
        Assert.Equal(expected, planned.Select(a => a.Text));
        Assert.All(recorder.Actions, a => Assert.Equal(PlannedActionKind.Command, a.Kind));
        Assert.DoesNotContain(recorder.Commands, c => c.Contains("$6$salt$hash"));

        Assert.True(clone.IsPlanned);
        Assert.Empty(clone.LinkedDrives);
        Assert.True(exec.IsPlanned);
        Assert.True(exec.Succeeded);
    }

    [Fact]
    public async Task A_read_only_guest_program_runs_for_real_and_a_change_keeps_its_exact_command_and_its_description()
    {
        var fake = new ScriptedHostConnection()
            .On("qm guest exec 1001 -- cat /etc/hostname", Ok("{\"exitcode\":0,\"exited\":1,\"out-data\":\"web01\\n\"}\n"));
        var recorder = new PlanRecorder(fake);
        var host = new ProxmoxHost(recorder);

        var read = await host.GuestExecAsync(1001, new[] { "cat", "/etc/hostname" }, new GuestExecOptions { ReadOnly = true });
        var write = await host.GuestExecAsync(1001, new[] { "/bin/sh", "-c", "cat > \"$1\"", "w", "/tmp/x" },
            new GuestExecOptions { StandardInput = Encoding.UTF8.GetBytes("hello"), Description = "write /tmp/x (5 bytes)" });

        Assert.False(read.IsPlanned);
        Assert.Equal("web01\n", read.OutData);
        Assert.True(write.IsPlanned);
        Assert.Equal(new[] { "qm guest exec 1001 -- cat /etc/hostname" }, fake.CallLines);
        var planned = Assert.Single(recorder.Actions);
        Assert.Equal("qm guest exec 1001 --pass-stdin 1 -- /bin/sh -c 'cat > \"$1\"' w /tmp/x <<< (5 bytes on stdin)", planned.Text);
        Assert.Equal("in the guest: write /tmp/x (5 bytes)", planned.Description);
        Assert.Equal("in the guest: write /tmp/x (5 bytes)", planned.Summary);
        Assert.Equal(new[] { "in the guest: write /tmp/x (5 bytes)" }, recorder.Shown);
        Assert.Equal(planned.Text, new PlannedAction(PlannedActionKind.Command, planned.Text).Summary);
    }

    [Fact]
    public async Task Uploads_are_recorded_by_path_and_size_and_downloads_are_real()
    {
        var fake = new ScriptedHostConnection().WithFile("/var/lib/vz/snippets/user-data-1001.yml", Encoding.UTF8.GetBytes("#cloud-config\n"));
        var recorder = new PlanRecorder(fake);

        await recorder.UploadAsync("/var/lib/vz/snippets/user-data-1001.yml", Encoding.UTF8.GetBytes("#cloud-config\npassword: x\n"),
            Convert.ToInt32("640", 8));
        var current = await recorder.DownloadAsync("/var/lib/vz/snippets/user-data-1001.yml");

        Assert.Empty(fake.Uploads);
        Assert.Equal("#cloud-config\n", Encoding.UTF8.GetString(current));
        var action = Assert.Single(recorder.Actions);
        Assert.Equal(PlannedActionKind.Upload, action.Kind);
        Assert.Equal("write 26 bytes to /var/lib/vz/snippets/user-data-1001.yml (mode 0640)", action.Text);
        Assert.Equal("/var/lib/vz/snippets/user-data-1001.yml", action.RemotePath);
        Assert.DoesNotContain("password", action.Text);
    }

    [Fact]
    public async Task Unmarked_commands_count_as_changes_unless_the_caller_says_otherwise()
    {
        var fake = new ScriptedHostConnection().On("sha256sum /var/lib/vz/template/noble.img", Ok("abc  /var/lib/vz/template/noble.img\n"));
        var strict = new PlanRecorder(fake);
        var handBuilt = new RemoteCommand("sha256sum", "/var/lib/vz/template/noble.img");

        var answer = await strict.RunAsync(handBuilt);
        Assert.Equal(0, answer.ExitCode);
        Assert.Equal("", answer.StdOut);
        Assert.Equal(new[] { "sha256sum /var/lib/vz/template/noble.img" }, strict.Commands);
        Assert.Empty(fake.Calls);

        var lenient = new PlanRecorder(fake, c => c.Arguments[0] == "sha256sum");
        var real = await lenient.RunAsync(handBuilt);
        Assert.Equal("abc  /var/lib/vz/template/noble.img\n", real.StdOut);
        Assert.Empty(lenient.Commands);
        Assert.Single(fake.Calls);

        var marked = CommandIntent.MarkReadOnly(new RemoteCommand("sha256sum", "/var/lib/vz/template/noble.img"));
        await strict.RunAsync(marked);
        Assert.Equal(2, fake.Calls.Count);
    }

    [Fact]
    public void The_recorder_forwards_identity_and_does_not_dispose_the_real_connection()
    {
        var inner = new DisposeCounting();
        var recorder = new PlanRecorder(inner);
        recorder.Dispose();
        Assert.Equal(0, inner.Disposed);
        Assert.Equal("pve.test", recorder.HostName);
        Assert.Same(inner, recorder.Inner);
        Assert.True(recorder.IsConnected);
    }

    private sealed class DisposeCounting : IHostConnection
    {
        public int Disposed;
        public string HostName => "pve.test";
        public int Port => 22;
        public string UserName => "root";
        public string? HostKeyFingerprint => null;
        public bool IsConnected => true;
        public HostCapabilities Capabilities => HostCapabilities.Full;
        public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default) => Task.FromResult(new CommandResult(0, "", ""));
        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default) => Task.FromResult(Array.Empty<byte>());
        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default) => Task.FromResult(false);
        public void Dispose() => Disposed++;
    }
}
