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
/// once unless <c>agentStartupDelay</c> says otherwise), a folder of test features, and a connection that records
/// every command line.
/// </summary>
internal sealed class FeatureTestBed : IDisposable
{
    public const int VmId = 101;
    public const string PasswordHash = "$6$rounds=4096$saltsalt$notarealhashnotarealhashnotarealhashnotarealhash";

    private readonly TempFolders _folders = new();

    public FeatureTestBed(IGuestRunner? runner = null, bool start = true, TimeSpan? agentStartupDelay = null)
    {
        Simulator = new ProxmoxSimulator(new SimulatorOptions
        {
            AgentStartupDelay = agentStartupDelay ?? TimeSpan.Zero,
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
/// A guest that understands Phoenix's guest programs by their $0 name and plays a run of features:
/// phoenix-start keeps the context file and the scripts from its standard input and starts a
/// scripted run of the features it names, one after the other, then answers as a follow poll of
/// them with logs from offset 0 (as the real program does after its wait); each follow poll (of
/// phoenix-poll, one with log offsets, or the start's) reveals <see cref="ScriptedRun.LinesPerPoll"/> more log lines of the
/// feature running (from the byte offset asked for) until its exit code, which records it in the
/// state on success and ends the run on failure; `cat` reads kept files. Everything it was asked is
/// kept in <see cref="Calls"/>.
/// </summary>
internal sealed class FeatureGuest : GuestRunnerBase
{
    private readonly object _gate = new();
    private readonly Dictionary<int, GuestExecStatus> _done = new();
    private readonly Dictionary<int, int> _notEndedAnswers = new();
    private readonly Dictionary<(int, string), ScriptedRun> _runs = new();
    private readonly Dictionary<(int, string), byte[]> _files = new();
    private readonly Dictionary<(int, string), string> _recorded = new();
    private readonly Dictionary<(int, string), string> _runHash = new();
    private readonly Dictionary<(int, string), int> _status = new();
    private readonly Dictionary<int, List<string>> _chains = new();
    private int _pid = 4000;
    private bool _paused;

    /// <summary>
    /// While true, the guest's features make no progress: a poll shows no new line and nothing ends. A run that follows
    /// them can then only time out, however fast the machine polls (a 1 ms timeout is otherwise a race with the script).
    /// </summary>
    public bool Paused
    {
        get { lock (_gate) return _paused; }
        set { lock (_gate) _paused = value; }
    }

    /// <summary>
    /// How many exec-status asks about each program answer that it has not exited yet before the answer with its end
    /// (0: it has ended by the first ask). A synchronous qm asks again itself; a program started with --synchronous 0 is asked by Phoenix.
    /// </summary>
    public int NotEndedAnswers { get; set; }

    /// <summary>The exec-status answers that said a program had not exited yet.</summary>
    public int NotEndedAnswered { get; private set; }

    /// <summary>How each script (by its path in the guest) behaves when started; the same in every VM.</summary>
    public Dictionary<string, ScriptedRun> Scripts { get; } = new();

    /// <summary>Every command, with the VM it ran in.</summary>
    public List<(int VmId, IReadOnlyList<string> Argv)> Calls { get; } = new();

    /// <summary>The feature commands phoenix-start started (env ... /bin/bash script), with their VM, one per feature.</summary>
    public List<(int VmId, IReadOnlyList<string> Command)> LaunchedIn { get; } = new();

    /// <summary>The launched commands of VM 101 (the test bed's VM).</summary>
    public List<IReadOnlyList<string>> Launched
    {
        get { lock (_gate) return LaunchedIn.Where(l => l.VmId == FeatureTestBed.VmId).Select(l => l.Command).ToList(); }
    }

    public string FileText(string path, int vmId = FeatureTestBed.VmId) { lock (_gate) return Encoding.UTF8.GetString(_files[(vmId, path)]); }

    /// <summary>The run hash the guest's state records for a feature, or null.</summary>
    public string? Recorded(string feature, int vmId = FeatureTestBed.VmId) { lock (_gate) return _recorded.TryGetValue((vmId, feature), out var h) ? h : null; }

    /// <summary>Records a feature as done in the guest's state, as an earlier run would have.</summary>
    public void Record(string feature, string runHash, int vmId = FeatureTestBed.VmId) { lock (_gate) _recorded[(vmId, feature)] = runHash; }

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
            if (!_done.ContainsKey(pid)) return null;
            _notEndedAnswers.TryGetValue(pid, out var answered);
            if (answered < NotEndedAnswers)
            {
                _notEndedAnswers[pid] = answered + 1;
                NotEndedAnswered++;
                return new GuestExecStatus { Exited = false };
            }
            _done.Remove(pid, out var s);
            return s;
        }
    }

    private bool Alive(int vm) => _chains.TryGetValue(vm, out var c) && c.Count > 0;

    private GuestExecStatus Answer(int vm, IReadOnlyList<string> argv, byte[]? input)
    {
        if (argv.Count >= 5 && argv[0] == "/bin/sh" && argv[1] == "-c")
        {
            switch (argv[3])
            {
                case "phoenix-start":
                {
                    if (Alive(vm)) return Exit(75, "phoenix-busy 999\n");
                    var folder = argv[5];
                    var context = argv[7];
                    var offset = int.Parse(argv[8]);
                    var data = input ?? Array.Empty<byte>();
                    _files[(vm, context)] = data.Take(offset).ToArray();
                    var max = int.Parse(argv[12]);
                    var command = argv.Skip(13).ToList();
                    var chain = new List<string>();
                    foreach (var line in argv[9].Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var w = line.Split(' ');
                        var script = folder + "/feature_install_" + w[0] + ".sh";
                        _files[(vm, script)] = data.Skip(offset).Take(int.Parse(w[2])).ToArray();
                        offset += int.Parse(w[2]);
                        LaunchedIn.Add((vm, command.Append("/bin/bash").Append(script).ToList()));
                        _runs[(vm, w[0])] = (Scripts.TryGetValue(script, out var r) ? r : new ScriptedRun()).Fresh();
                        _runHash[(vm, w[0])] = w[1];
                        _status.Remove((vm, w[0]));
                        chain.Add(w[0]);
                    }
                    _chains[vm] = chain;
                    var started = Encoding.ASCII.GetBytes("phoenix-started 999\n");
                    return new GuestExecStatus
                    {
                        Exited = true, ExitCode = 0,
                        OutData = started.Concat(Poll(vm, max, chain.Select(c => (c, 0L)).ToList())).ToArray(),
                    };
                }
                case "phoenix-poll":
                {
                    var max = int.Parse(argv[7]);
                    var asked = new List<(string Name, long Offset)>();
                    for (var i = 8; i + 1 < argv.Count; i += 2) asked.Add((argv[i], long.Parse(argv[i + 1])));
                    return new GuestExecStatus { Exited = true, ExitCode = 0, OutData = Poll(vm, max, asked) };
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

    // What phoenix-poll answers for the features asked (name, log offset; -1: no log): a follow (one with offsets)
    // advances the VM's run first.
    private byte[] Poll(int vm, int max, List<(string Name, long Offset)> asked)
    {
        if (!_paused && asked.Any(a => a.Offset >= 0) && Alive(vm)) Advance(vm);
        var text = new List<byte>(Encoding.ASCII.GetBytes($"phoenix-poll {(Alive(vm) ? 1 : 0)}\n"));
        foreach (var (name, _) in asked)
        {
            var state = _status.TryGetValue((vm, name), out var code) ? code.ToString()
                : _runHash.ContainsKey((vm, name)) ? (Alive(vm) ? "running" : "gone") : "none";
            var rec = _recorded.TryGetValue((vm, name), out var h) ? h : "-";
            var run = _runHash.TryGetValue((vm, name), out var rh) ? rh : "-";
            text.AddRange(Encoding.ASCII.GetBytes($"phoenix-state {name} {rec} {state} {run}\n"));
        }
        foreach (var (name, off) in asked)
        {
            if (off < 0 || !_runs.TryGetValue((vm, name), out var r)) continue;
            r.Polls++;
            var bytes = Encoding.UTF8.GetBytes(string.Concat(r.Lines.Take(r.Shown).Select(l => l + "\n")));
            var chunk = bytes.Skip((int)off).Take(max).ToArray();
            text.AddRange(Encoding.ASCII.GetBytes($"phoenix-log {name} {chunk.Length}\n"));
            text.AddRange(chunk);
        }
                    return text.ToArray();
    }

    // The running feature of the VM's run shows more lines; at its end it records itself (on success) and
    // the next one starts, or the run ends (on failure: the rest is dropped).
    private void Advance(int vm)
    {
        var chain = _chains[vm];
        var name = chain[0];
        var run = _runs[(vm, name)];
        run.Shown = Math.Min(run.Lines.Count, run.Shown + run.LinesPerPoll);
        if (run.Shown < run.Lines.Count || run.NeverEnds) return;
        _status[(vm, name)] = run.ExitCode;
        chain.RemoveAt(0);
        if (run.ExitCode == 0) _recorded[(vm, name)] = _runHash[(vm, name)];
        else
        {
            foreach (var later in chain) _runHash.Remove((vm, later));
            chain.Clear();
        }
    }

    public ScriptedRun RunOf(string feature, int vmId = FeatureTestBed.VmId) { lock (_gate) return _runs[(vmId, feature)]; }

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
