using System.Text;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Config;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Secrets;
using Phoenix.Engine.Transport;
using Phoenix.Simulator;
using Phoenix.Simulator.Guest;

namespace Phoenix.Engine.Tests.Features;

/// <summary>
/// An in-process simulated node with VM 101 ("t1", cloned from 9000 and started, agent up at
/// once), a folder of test features, and a connection that records every command line.
/// </summary>
internal sealed class FeatureTestBed : IDisposable
{
    public const int VmId = 101;
    public const string PasswordHash = "$6$rounds=4096$saltsalt$notarealhashnotarealhashnotarealhashnotarealhash";

    private readonly TempFolders _folders = new();

    public FeatureTestBed(IGuestRunner? runner = null, bool start = true)
    {
        Simulator = new ProxmoxSimulator(new SimulatorOptions
        {
            AgentStartupDelay = TimeSpan.Zero,
            GuestRunner = runner,
            RandomSeed = 7,
            GuestExecPollInterval = TimeSpan.FromMilliseconds(5),
        });
        Sim("qm", "clone", "9000", VmId.ToString(), "--name", "t1");
        if (start) Sim("qm", "start", VmId.ToString());
        Connection = new RecordingConnection(new SimulatorConnection(Simulator));
        Host = new ProxmoxHost(Connection);
        FeatureFolder = _folders.Folder("features");
    }

    public ProxmoxSimulator Simulator { get; }
    public RecordingConnection Connection { get; }
    public ProxmoxHost Host { get; }
    public string FeatureFolder { get; }

    public FeatureCatalog Catalog => new(null, new[] { FeatureFolder });

    public CommandResult Sim(params string[] argv)
    {
        var r = Simulator.Execute(argv, (byte[]?)null, CancellationToken.None);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{string.Join(" ", argv)} failed: {r.StdErr}");
        return r;
    }

    public FeatureInfo AddFeature(string name, string body)
    {
        File.WriteAllText(Path.Combine(FeatureFolder, FeatureCatalog.FileNameFor(name)), "#!/usr/bin/env bash\n# Description: test feature " + name +
            "\n" + body);
        return Catalog.Resolve(name);
    }

    public static VmSpec Spec(params string[] features) => SpecOf(VmId, "t1", "phoenix_user", features);

    public static VmSpec SpecOf(int vmId, string name, string user, params string[] features) => new()
    {
        VmId = vmId,
        Name = name,
        Features = features,
        UserConfig = new VmUserConfig
        {
            Username = user,
            PasswordHash = new Secret(PasswordHash),
            SshPublicKeys = new[] { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx test@example" },
        },
        Extra = new JObject { ["docker_stacks"] = new JArray("portainer_service") },
    };

    /// <summary>Test options: quick polls, short waits.</summary>
    public static FeatureRunOptions Options(TimeSpan? timeout = null, bool force = false) => new()
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(20),
        AgentTimeout = TimeSpan.FromSeconds(5),
        AgentPollInterval = TimeSpan.FromMilliseconds(20),
        FirstPollDelay = TimeSpan.FromMilliseconds(1),
        PollInterval = TimeSpan.FromMilliseconds(10),
        Force = force,
    };

    /// <summary>Writes a file in the recording guest the way a user would (emulated there).</summary>
    public void WriteGuestFile(string path, string content)
    {
        var r = Simulator.Execute(new[] { "qm", "guest", "exec", VmId.ToString(), "--pass-stdin", "1", "--", "sh", "-c", "cat > " + path },
            Encoding.UTF8.GetBytes(content), CancellationToken.None);
        if (r.ExitCode != 0 || !r.StdOut.Contains("\"exitcode\" : 0")) throw new InvalidOperationException("guest write failed: " + r.StdOut + r.StdErr);
    }

    public void Dispose() => _folders.Dispose();
}

/// <summary>Passes commands on and keeps their display lines, in order.</summary>
internal sealed class RecordingConnection : IHostConnection
{
    private readonly IHostConnection _inner;
    private readonly List<RemoteCommand> _commands = new();

    public RecordingConnection(IHostConnection inner) => _inner = inner;

    public IReadOnlyList<RemoteCommand> Commands { get { lock (_commands) return _commands.ToList(); } }

    public IReadOnlyList<string> Lines => Commands.Select(c => c.ToDisplayString()).ToList();

    public void Clear() { lock (_commands) _commands.Clear(); }

    public string HostName => _inner.HostName;
    public int Port => _inner.Port;
    public string UserName => _inner.UserName;
    public string? HostKeyFingerprint => _inner.HostKeyFingerprint;
    public bool IsConnected => _inner.IsConnected;
    /// <summary>What the connection claims the host can do, instead of what the inner one says (null: the inner's).</summary>
    public HostCapabilities? ClaimedCapabilities { get; set; }

    public HostCapabilities Capabilities => ClaimedCapabilities ?? _inner.Capabilities;

    public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        lock (_commands) _commands.Add(command);
        return _inner.RunAsync(command, timeout, cancellationToken);
    }

    public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Features must not upload files to the host: " + remotePath);

    public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Features must not download files from the host: " + remotePath);

    public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Features must not delete files on the host: " + remotePath);

    public void Dispose() => _inner.Dispose();
}

/// <summary>
/// A guest that understands Phoenix's guest programs by their $0 name and plays a feature's
/// run: files written with phoenix-write are kept, `cat` reads them, phoenix-launch starts a
/// scripted run, and each phoenix-poll reveals <see cref="ScriptedRun.LinesPerPoll"/> more log
/// lines (from the byte offset asked for) until the exit code. Everything it was asked is kept
/// in <see cref="Calls"/>.
/// </summary>
internal sealed class FeatureGuest : GuestRunnerBase
{
    private readonly object _gate = new();
    private readonly Dictionary<int, GuestExecStatus> _done = new();
    private readonly Dictionary<(int, string), ScriptedRun> _runs = new();
    private readonly Dictionary<(int, string), byte[]> _files = new();
    private int _pid = 4000;

    /// <summary>How each script (by its path in the guest) behaves when started; the same in every VM.</summary>
    public Dictionary<string, ScriptedRun> Scripts { get; } = new();

    /// <summary>Every command, with the VM it ran in.</summary>
    public List<(int VmId, IReadOnlyList<string> Argv)> Calls { get; } = new();

    /// <summary>The commands started by phoenix-launch (env ... /bin/bash script), with their VM.</summary>
    public List<(int VmId, IReadOnlyList<string> Command)> LaunchedIn { get; } = new();

    /// <summary>The launched commands of VM 101 (the test bed's VM).</summary>
    public List<IReadOnlyList<string>> Launched
    {
        get { lock (_gate) return LaunchedIn.Where(l => l.VmId == FeatureTestBed.VmId).Select(l => l.Command).ToList(); }
    }

    public string FileText(string path, int vmId = FeatureTestBed.VmId) { lock (_gate) return Encoding.UTF8.GetString(_files[(vmId, path)]); }

    public override int StartExec(GuestExecRequest request)
    {
        lock (_gate)
        {
            var argv = request.Command;
            var vm = request.Guest.VmId;
            Calls.Add((vm, argv));
            var status = Answer(vm, argv, request.InputData);
            var pid = ++_pid;
            _done[pid] = status;
            return pid;
        }
    }

    public override GuestExecStatus? GetExecStatus(GuestContext guest, int pid)
    {
        lock (_gate)
        {
            if (!_done.Remove(pid, out var s)) return null;
            return s;
        }
    }

    private GuestExecStatus Answer(int vm, IReadOnlyList<string> argv, byte[]? input)
    {
        if (argv.Count >= 5 && argv[0] == "/bin/sh" && argv[1] == "-c")
        {
            switch (argv[3])
            {
                case "phoenix-write":
                    _files[(vm, argv[4])] = input ?? Array.Empty<byte>();
                    return Exit(0);
                case "phoenix-launch":
                {
                    var log = argv[5];
                    var command = argv.Skip(7).ToList();
                    LaunchedIn.Add((vm, command));
                    var script = command[^1];
                    if (!_files.ContainsKey((vm, script))) return Exit(127, err: $"/bin/bash: {script}: No such file or directory\n");
                    var run = Scripts.TryGetValue(script, out var r) ? r : new ScriptedRun();
                    _runs[(vm, log)] = run.Fresh();
                    return Exit(0, "phoenix-started 999\n");
                }
                case "phoenix-poll":
                {
                    var log = argv[4];
                    var offset = long.Parse(argv[6]);
                    var max = int.Parse(argv[7]);
                    if (!_runs.TryGetValue((vm, log), out var run)) return Exit(0, "phoenix-status running\n");
                    run.Shown = Math.Min(run.Lines.Count, run.Shown + run.LinesPerPoll);
                    var text = string.Concat(run.Lines.Take(run.Shown).Select(l => l + "\n"));
                    var bytes = Encoding.UTF8.GetBytes(text);
                    var finished = run.Shown == run.Lines.Count && !run.NeverEnds;
                    var head = Encoding.ASCII.GetBytes("phoenix-status " + (finished ? run.ExitCode.ToString() : "running") + "\n");
                    var chunk = bytes.Skip((int)offset).Take(max).ToArray();
                    run.Polls++;
                    return new GuestExecStatus { Exited = true, ExitCode = 0, OutData = head.Concat(chunk).ToArray() };
                }
            }
        }
        if (argv.Count == 2 && argv[0] == "cat")
        {
            return _files.TryGetValue((vm, argv[1]), out var data)
                ? new GuestExecStatus { Exited = true, ExitCode = 0, OutData = data }
                : Exit(1, err: $"cat: {argv[1]}: No such file or directory\n");
        }
        return Exit(127, err: $"unexpected guest command: {string.Join(" ", argv)}\n");
    }

    public ScriptedRun RunOf(string feature, int vmId = FeatureTestBed.VmId) { lock (_gate) return _runs[(vmId, FeatureRunner.LogPath(feature))]; }

    private static GuestExecStatus Exit(int code, string @out = "", string err = "") => new()
    {
        Exited = true,
        ExitCode = code,
        OutData = Encoding.UTF8.GetBytes(@out),
        ErrData = Encoding.UTF8.GetBytes(err),
    };
}

/// <summary>How a scripted feature behaves in <see cref="FeatureGuest"/>.</summary>
internal sealed class ScriptedRun
{
    public List<string> Lines { get; init; } = new();
    public int ExitCode { get; init; }
    public int LinesPerPoll { get; init; } = 1;
    public bool NeverEnds { get; init; }
    public int Shown { get; set; }
    public int Polls { get; set; }

    public ScriptedRun Fresh() => new() { Lines = Lines, ExitCode = ExitCode, LinesPerPoll = LinesPerPoll, NeverEnds = NeverEnds };
}
