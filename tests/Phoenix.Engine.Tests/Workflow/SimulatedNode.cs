using System.Text;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Tests.CloudInit;
using Phoenix.Engine.Transport;
using Phoenix.Simulator;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>
/// An in-process simulated node (template 9000, storages local and local-lvm, agents up at once) behind a
/// connection that records every command, upload and download, so a workflow test can assert what was
/// issued and in which order. <see cref="Sim"/> plays the admin at the host's shell, behind Phoenix's back.
/// </summary>
internal sealed class SimulatedNode : IDisposable
{
    public SimulatedNode(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions
        {
            RandomSeed = 11,
            AgentStartupDelay = TimeSpan.Zero,
            GuestExecPollInterval = TimeSpan.FromMilliseconds(5),
            ConfigLockTimeout = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        Simulator = new ProxmoxSimulator(options);
        Connection = new RecordingConnection(new SimulatorConnection(Simulator));
        Host = new ProxmoxHost(Connection, RetryPolicy.NoRetry);
    }

    public ProxmoxSimulator Simulator { get; }

    public RecordingConnection Connection { get; }

    public ProxmoxHost Host { get; }

    /// <summary>The commands Phoenix ran, as logs show them, in order.</summary>
    public IReadOnlyList<string> Commands => Connection.Commands.Where(c => !c.StartsWith("delete ", StringComparison.Ordinal)).ToList();

    /// <summary>The commands that changed something: what a converged re-run must not issue.</summary>
    public IReadOnlyList<string> Changes => Commands.Where(c => !IsRead(c)).ToList();

    /// <summary>Runs a command on the node directly (not through Phoenix, not recorded); throws when it fails.</summary>
    public CommandResult Sim(params string[] argv)
    {
        var r = Simulator.Execute(argv, (byte[]?)null, CancellationToken.None);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{string.Join(" ", argv)} failed: {r.StdErr}");
        return r;
    }

    /// <summary>The VM's configuration as the node has it now.</summary>
    public VmConfig Config(int vmId) => ProxmoxParsers.ParseQmConfig(Sim("qm", "config", vmId.ToString()).StdOut);

    /// <summary>The VM's status as the node has it now.</summary>
    public string Status(int vmId) => ProxmoxParsers.ParseQmStatus(Sim("qm", "status", vmId.ToString()).StdOut);

    /// <summary>True when the node has the VM.</summary>
    public bool Exists(int vmId) => Simulator.Execute(new[] { "qm", "status", vmId.ToString() }, (byte[]?)null, CancellationToken.None).ExitCode == 0;

    /// <summary>The VM's snapshots (without <c>current</c>).</summary>
    public IReadOnlyList<string> Snapshots(int vmId) =>
        ProxmoxParsers.ParseListSnapshot(Sim("qm", "listsnapshot", vmId.ToString()).StdOut).Where(s => !s.IsCurrent).Select(s => s.Name).ToList();

    /// <summary>Puts a file on the node (an image in the iso folder, a snippet of the admin's own).</summary>
    public void WriteFile(string path, string content) => Simulator.Store.WriteFile(path, Encoding.UTF8.GetBytes(content));

    public bool FileExists(string path) => Simulator.Store.FileExists(path);

    /// <summary>The specs of a config file's text, as Import-PhoenixConfig reads them.</summary>
    public static IReadOnlyList<VmSpec> Specs(string json)
    {
        var config = PhoenixConfigLoader.Parse(json);
        var errors = config.LoadFindings.Where(f => f.Level == ConfigSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("\n", errors));
        return config.Vms;
    }

    // qm/pvesm/pvesh reads, as Phoenix marks them (CommandIntent), told apart by their verb.
    private static bool IsRead(string command)
    {
        var words = command.Split(' ');
        if (words[0] == "pvesm") return words[1] == "status" || words[1] == "path";
        if (words[0] == "pvesh") return words[1] == "get";
        if (words[0] != "qm") return false;
        if (words[1] == "guest") return words[2] == "cmd" || (words[2] == "exec" && words.Contains("phoenix-poll"));
        return new[] { "config", "status", "list", "listsnapshot", "pending", "cloudinit" }.Contains(words[1]) &&
               !(words[1] == "cloudinit" && words[2] == "update");
    }

    public void Dispose() => Connection.Dispose();
}
