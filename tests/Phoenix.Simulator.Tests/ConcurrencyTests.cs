using System.Diagnostics;
using System.Text;
using Phoenix.Engine.Transport;

namespace Phoenix.Simulator.Tests;

/// <summary>Two clones racing for one target VMID, as parallel deployments do on a real node.</summary>
public class ConcurrencyTests : IDisposable
{
    private static readonly string[] ProxmoxErrors =
    {
        "unable to create VM 123: config file already exists\n",
        "can't lock file '/var/lock/qemu-server/lock-123.conf' - got timeout\n",
    };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "phoenix-race-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task TwoThreadsCloningIntoOneVmid()
    {
        ProxmoxSimulator Open() => new(new SimulatorOptions
        {
            StateDirectory = _dir,
            Faults = new Faults.FaultPlan { Latency = { ["clone"] = 0.3 } },
        });
        var a = Open();
        var b = Open();
        using var go = new ManualResetEventSlim();
        var ta = Task.Run(() => { go.Wait(); return a.Execute(new[] { "qm", "clone", "9000", "123", "--name", "alpha" }, null, CancellationToken.None); });
        var tb = Task.Run(() => { go.Wait(); return b.Execute(new[] { "qm", "clone", "9000", "123", "--name", "bravo" }, null, CancellationToken.None); });
        go.Set();
        var results = await Task.WhenAll(ta, tb);
        AssertOneWinner(results, new ProxmoxSimulator(new SimulatorOptions { StateDirectory = _dir }));
    }

    [Fact]
    public async Task TwoProcessesCloningIntoOneVmid()
    {
        var cli = CliPath();
        var init = await RunCli(cli, "init");
        Assert.Equal(0, init.ExitCode);
        File.WriteAllText(Path.Combine(_dir, "faults.json"), "{ \"latency\": { \"clone\": 0.4 } }");
        var results = await Task.WhenAll(
            RunCli(cli, "qm", "clone", "9000", "123", "--name", "alpha"),
            RunCli(cli, "qm", "clone", "9000", "123", "--name", "bravo"));
        AssertOneWinner(results, new ProxmoxSimulator(new SimulatorOptions { StateDirectory = _dir }));
    }

    [Fact]
    public async Task CliWritesOutputAndExitCodeExactly()
    {
        var cli = CliPath();
        var r = await RunCli(cli, "qm", "status", "555");
        Assert.Equal((255, "", "Configuration file 'nodes/pve/qemu-server/555.conf' does not exist\n"), (r.ExitCode, r.StdOut, r.StdErr));
        var ok = await RunCli(cli, "pvesh", "get", "/cluster/nextid");
        Assert.Equal((0, "100\n", ""), (ok.ExitCode, ok.StdOut, ok.StdErr));
    }

    [Fact]
    public async Task CliAuditLogKeepsEveryLineOfParallelCommands()
    {
        var cli = CliPath();
        Assert.Equal(0, (await RunCli(cli, "init")).ExitCode);
        var expected = Enumerable.Range(0, 24).Select(i => $"pvesm path local:snippets/user-data-{100 + i}.yml").ToList();
        var results = await Task.WhenAll(expected.Select(line => RunCli(cli, line.Split(' '))));
        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        var logged = File.ReadAllLines(Path.Combine(_dir, "commands.log"));
        Assert.Equal(expected.OrderBy(l => l, StringComparer.Ordinal), logged.OrderBy(l => l, StringComparer.Ordinal));
    }

    [Fact]
    public async Task CliRequiresTheStateFolder()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliPath());
        psi.ArgumentList.Add("qm");
        psi.ArgumentList.Add("list");
        psi.Environment.Remove("PHOENIX_SIM_STATE");
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("phoenix-sim: PHOENIX_SIM_STATE is not set (it names the simulated node's state folder)\n", err);
    }

    private static void AssertOneWinner(IReadOnlyList<CommandResult> results, ProxmoxSimulator after)
    {
        var winners = results.Where(r => r.ExitCode == 0).ToList();
        var losers = results.Where(r => r.ExitCode != 0).ToList();
        Assert.Single(winners);
        Assert.Single(losers);
        Assert.Equal(255, losers[0].ExitCode);
        Assert.Contains(losers[0].StdErr, ProxmoxErrors);
        var conf = after.Node.ReadConfigText(123)!;
        Assert.DoesNotContain("lock", conf);
        Assert.DoesNotContain("qmclone temporary file", conf);
        var name = winners[0] == results[0] ? "alpha" : "bravo";
        Assert.Contains($"name: {name}\n", conf);
        Assert.Contains("scsi0: local-lvm:vm-123-disk-0,size=32G\n", conf);
        var volumes = Encoding.UTF8.GetString(after.Store.ReadFile("/var/lib/phoenix-sim/volumes/local-lvm.json")!);
        Assert.Contains("\"vm-123-disk-0\"", volumes);
        Assert.DoesNotContain("vm-123-disk-1", volumes);
        Assert.Equal(0, after.Execute(new[] { "qm", "config", "123" }, null, CancellationToken.None).ExitCode);
    }

    [Fact]
    public async Task CliNodesOfOneClusterShareTheFolder()
    {
        var cli = CliPath();
        var local = Path.Combine(_dir, "node", "var", "lib", "phoenix-sim", "nodes", "{node}", "var", "lib", "vz");
        var init = await RunCli(cli, "init", "--cluster-node", "pve1", "--cluster-node", "pve2", "--local-path", local, "--node-address", "127.0.0.1");
        Assert.Equal((0, $"{{\"node\":\"pve1\",\"nodes\":[\"pve1\",\"pve2\"],\"stateDir\":\"{_dir}\"}}\n"), (init.ExitCode, init.StdOut));
        // Each node's `local` is a real folder of its own, so that a file written on that node lands where its qm reads.
        var path = await RunCliOn("pve2", cli, "pvesm", "path", "local:snippets/a.yml");
        Assert.Equal(local.Replace("{node}", "pve2") + "/snippets/a.yml\n", path.StdOut);
        Assert.True(Directory.Exists(Path.Combine(local.Replace("{node}", "pve2"), "snippets")));
        var status = await RunCliOn("pve2", cli, "pvesh", "get", "/cluster/status", "--output-format", "json");
        Assert.Contains("{\"id\":\"node/pve2\",\"ip\":\"127.0.0.1\",\"level\":\"\",\"local\":1,\"name\":\"pve2\",\"nodeid\":2,", status.StdOut);
        Assert.Equal("Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist\n", (await RunCliOn("pve2", cli, "qm", "config", "9000")).StdErr);
        Assert.Contains(" 9000 ubuntu-2404-cloud-template", (await RunCliOn("pve1", cli, "qm", "list")).StdOut);

        File.WriteAllText(Path.Combine(_dir, "faults.json"), "{ \"nodesDown\": [ \"pve2\" ] }");
        Assert.Equal((0, "pve2\n"), ((await RunCli(cli, "nodes-down")).ExitCode, (await RunCli(cli, "nodes-down")).StdOut));
        Assert.Equal((255, "", "phoenix-sim: connection dropped (injected fault)\n"), TestSim.Result(await RunCliOn("pve2", cli, "qm", "list")));
        Assert.Contains("\"online\":0", (await RunCliOn("pve1", cli, "pvesh", "get", "/cluster/status", "--output-format", "json")).StdOut);
    }

    private Task<CommandResult> RunCliOn(string node, string cli, params string[] args) => RunCli(cli, args, node);

    private Task<CommandResult> RunCli(string cli, params string[] args) => RunCli(cli, args, null);

    private async Task<CommandResult> RunCli(string cli, string[] args, string? node)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PHOENIX_SIM_STATE"] = _dir;
        if (node != null) psi.Environment["PHOENIX_SIM_NODE"] = node;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new CommandResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The phoenix-sim built next to this test assembly's configuration.</summary>
    private static string CliPath()
    {
        var testDir = AppContext.BaseDirectory;
        var configuration = testDir.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dir = new DirectoryInfo(testDir);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoenix.PowerShell.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var path = Path.Combine(dir!.FullName, "src", "Phoenix.Simulator.Cli", "bin", configuration, "net10.0", "phoenix-sim.dll");
        Assert.True(File.Exists(path), $"phoenix-sim is not built at {path}");
        return path;
    }
}
