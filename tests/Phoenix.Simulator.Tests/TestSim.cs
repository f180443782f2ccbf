using System.Text;
using Phoenix.Engine.Transport;
using Phoenix.Simulator;

namespace Phoenix.Simulator.Tests;

/// <summary>A simulated node on a fake clock, with a tiny shell-like splitter for readable tests.</summary>
internal sealed class TestSim : IDisposable
{
    public static readonly DateTimeOffset Start = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly string? _folder;

    private TestSim(ProxmoxSimulator sim, ManualSimulatorClock clock, string? folder)
    {
        P = sim;
        Clock = clock;
        _folder = folder;
    }

    public ProxmoxSimulator P { get; }
    public ManualSimulatorClock Clock { get; }
    public SimNode Node => P.Node;

    public static TestSim Create(Action<SimulatorOptions>? configure = null, bool folder = false)
    {
        var clock = new ManualSimulatorClock(Start);
        var options = new SimulatorOptions
        {
            Clock = clock,
            RandomSeed = 42,
            ConfigLockTimeout = TimeSpan.FromMilliseconds(300),
            CloneLockTimeout = TimeSpan.FromMilliseconds(300),
        };
        string? dir = null;
        if (folder)
        {
            dir = Path.Combine(Path.GetTempPath(), "phoenix-sim-test-" + Guid.NewGuid().ToString("N"));
            options.StateDirectory = dir;
        }
        configure?.Invoke(options);
        return new TestSim(new ProxmoxSimulator(options), clock, dir);
    }

    /// <summary>A cluster of the given nodes (pve1..pve3 by default), seen from its first node.</summary>
    public static TestSim Cluster(Action<SimulatorOptions>? configure = null, bool folder = false, params string[] nodes) =>
        Create(o =>
        {
            foreach (var n in nodes.Length > 0 ? nodes : new[] { "pve1", "pve2", "pve3" }) o.ClusterNodes.Add(n);
            configure?.Invoke(o);
        }, folder);

    /// <summary>The same cluster seen from another node (same state, clock and faults).</summary>
    public TestSim On(string node) => new(P.ForNode(node), Clock, null);

    public CommandResult Run(string commandLine, string? stdin = null) =>
        P.Execute(Split(commandLine), stdin == null ? null : Encoding.UTF8.GetBytes(stdin), CancellationToken.None);

    /// <summary>Exit code, stdout and stderr as one value, for exact asserts.</summary>
    public static (int ExitCode, string StdOut, string StdErr) Result(CommandResult r) => (r.ExitCode, r.StdOut, r.StdErr);

    public CommandResult Argv(params string[] argv) => P.Execute(argv, null, CancellationToken.None);

    /// <summary>Runs and insists on success, so a test's setup cannot fail silently.</summary>
    public CommandResult Ok(string commandLine, string? stdin = null)
    {
        var r = Run(commandLine, stdin);
        Assert.True(r.ExitCode == 0, $"'{commandLine}' failed ({r.ExitCode}): {r.StdErr}");
        return r;
    }

    public string Config(int vmid) => Node.ReadConfigText(vmid) ?? throw new InvalidOperationException($"no config {vmid}");

    public void WriteFile(string path, string content) => P.Store.WriteFile(path, Encoding.UTF8.GetBytes(content));

    /// <summary>Splits like sh for the simple cases the tests use: spaces, '...' and "...".</summary>
    public static List<string> Split(string line)
    {
        var res = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\'' || c == '"')
            {
                var end = line.IndexOf(c, i + 1);
                sb.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) res.Add(sb.ToString());
                sb.Clear();
                inWord = false;
            }
            else
            {
                sb.Append(c);
                inWord = true;
            }
        }
        if (inWord) res.Add(sb.ToString());
        return res;
    }

    public void Dispose()
    {
        if (_folder != null && Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
