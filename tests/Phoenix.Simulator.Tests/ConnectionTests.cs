using System.Text;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;

namespace Phoenix.Simulator.Tests;

/// <summary>SimulatorConnection, the in-process door.</summary>
public class ConnectionTests
{
    [Fact]
    public void IdentifiesAsTheSimulator()
    {
        using var c = new SimulatorConnection();
        Assert.Equal(("simulator", 0, "root", (string?)null, true), (c.HostName, c.Port, c.UserName, c.HostKeyFingerprint, c.IsConnected));
    }

    [Fact]
    public async Task RunsArgumentsWithoutAShell()
    {
        using var c = new SimulatorConnection(new SimulatorOptions { RandomSeed = 1 });
        var cmd = new RemoteCommand("qm", "clone", "9000", "101", "--name", "web01");
        var r = await c.RunAsync(cmd);
        Assert.Equal(0, r.ExitCode);
        var set = await c.RunAsync(new RemoteCommand("qm", "set", "101", "--description", "a 'quoted' $HOME; rm -rf /"));
        Assert.Equal("update VM 101: -description a 'quoted' $HOME; rm -rf /\n", set.StdOut);
    }

    [Fact]
    public async Task PassesStandardInput()
    {
        using var c = new SimulatorConnection(new SimulatorOptions { AgentStartupDelay = TimeSpan.Zero });
        await c.RunAsync(new RemoteCommand("qm", "clone", "9000", "101"));
        await c.RunAsync(new RemoteCommand("qm", "start", "101"));
        var cmd = new RemoteCommand("qm", "guest", "exec", "101", "--pass-stdin", "1", "--", "cat") { StandardInput = Encoding.UTF8.GetBytes("piped") };
        var r = await c.RunAsync(cmd);
        Assert.Equal("{\n   \"exitcode\" : 0,\n   \"exited\" : 1,\n   \"out-data\" : \"piped\"\n}\n", r.StdOut);
    }

    [Fact]
    public async Task UploadAndDownloadUseTheNodesFiles()
    {
        using var c = new SimulatorConnection();
        await c.UploadAsync("/var/lib/vz/snippets/user-data-101.yml", Encoding.UTF8.GetBytes("#cloud-config\n"), 0x1A4);
        Assert.Equal("#cloud-config\n", Encoding.UTF8.GetString(await c.DownloadAsync("/var/lib/vz/snippets/user-data-101.yml")));
        Assert.Equal(0x1A4, c.Simulator.Store.GetMode("/var/lib/vz/snippets/user-data-101.yml"));
        var conf = Encoding.UTF8.GetString(await c.DownloadAsync("/etc/pve/qemu-server/9000.conf"));
        Assert.Contains("name: ubuntu-2404-cloud-template\n", conf);
        await Assert.ThrowsAsync<FileNotFoundException>(() => c.DownloadAsync("/var/lib/vz/snippets/none.yml"));
    }

    [Fact]
    public async Task UploadedSnippetIsUsedAtStart()
    {
        using var c = new SimulatorConnection();
        await c.RunAsync(new RemoteCommand("qm", "clone", "9000", "101"));
        await c.RunAsync(new RemoteCommand("qm", "set", "101", "--cicustom", "user=local:snippets/u.yml"));
        Assert.Equal("can't find file 'local:snippets/u.yml'\n", (await c.RunAsync(new RemoteCommand("qm", "start", "101"))).StdErr);
        await c.UploadAsync("/var/lib/vz/snippets/u.yml", Encoding.UTF8.GetBytes("#cloud-config\n"), 0x180);
        Assert.Equal(0, (await c.RunAsync(new RemoteCommand("qm", "start", "101"))).ExitCode);
    }

    [Fact]
    public async Task ClosedConnectionRefuses()
    {
        var c = new SimulatorConnection();
        c.Dispose();
        Assert.False(c.IsConnected);
        var e = await Assert.ThrowsAsync<PhoenixException>(() => c.RunAsync(new RemoteCommand("qm", "list")));
        Assert.Equal(PhoenixErrorKind.ConnectionError, e.Kind);
    }

    [Fact]
    public async Task TimeoutThrows()
    {
        using var c = new SimulatorConnection(new SimulatorOptions { Faults = new Faults.FaultPlan { Latency = { ["list"] = 2 } } });
        await Assert.ThrowsAsync<TimeoutException>(() => c.RunAsync(new RemoteCommand("qm", "list"), TimeSpan.FromMilliseconds(100)));
    }
}
