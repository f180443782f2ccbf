using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Tests.Proxmox;

/// <summary>
/// A fake host: each rule matches a command line and answers from a queue of results (the last
/// one repeats). Every call is recorded. An unscripted command fails the test loudly.
/// </summary>
internal sealed class ScriptedHostConnection : IHostConnection
{
    private readonly object _gate = new();
    private readonly List<Rule> _rules = new();
    private readonly List<RemoteCommand> _calls = new();
    private readonly List<(string Path, byte[] Content, int Mode)> _uploads = new();
    private readonly Dictionary<string, byte[]> _files = new();

    public string HostName => "pve.test";
    public int Port => 22;
    public string UserName => "root";
    public string? HostKeyFingerprint => "SHA256:test";
    public bool IsConnected => true;
    public HostCapabilities Capabilities => HostCapabilities.Full;

    public IReadOnlyList<RemoteCommand> Calls { get { lock (_gate) return _calls.ToList(); } }

    /// <summary>The shell lines of the calls, in order.</summary>
    public IReadOnlyList<string> CallLines => Calls.Select(c => c.ToShellString()).ToList();

    public IReadOnlyList<(string Path, byte[] Content, int Mode)> Uploads { get { lock (_gate) return _uploads.ToList(); } }

    public static CommandResult Ok(string stdOut = "", string stdErr = "") => new(0, stdOut, stdErr);

    public static CommandResult Fail(string stdErr, int exitCode = 255, string stdOut = "") => new(exitCode, stdOut, stdErr);

    /// <summary>Answers the command whose shell line is exactly <paramref name="commandLine"/>.</summary>
    public ScriptedHostConnection On(string commandLine, params CommandResult[] results) =>
        On(c => c.ToShellString() == commandLine, results);

    public ScriptedHostConnection On(Func<RemoteCommand, bool> match, params CommandResult[] results)
    {
        if (results.Length == 0) throw new ArgumentException("A rule needs at least one result.");
        lock (_gate) _rules.Add(new Rule(match, new Queue<CommandResult>(results)));
        return this;
    }

    public ScriptedHostConnection WithFile(string path, byte[] content)
    {
        lock (_gate) _files[path] = content;
        return this;
    }

    public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _calls.Add(command);
            var rule = _rules.FirstOrDefault(r => r.Match(command))
                ?? throw new InvalidOperationException("Unscripted command: " + command.ToShellString());
            var result = rule.Results.Count > 1 ? rule.Results.Dequeue() : rule.Results.Peek();
            return Task.FromResult(result);
        }
    }

    public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
    {
        lock (_gate) _uploads.Add((remotePath, content, mode));
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_files.Remove(remotePath));
    }

    public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_files.TryGetValue(remotePath, out var content)) return Task.FromResult(content);
        }
        throw new FileNotFoundException("No such file on the fake host.", remotePath);
    }

    public void Dispose()
    {
    }

    private sealed record Rule(Func<RemoteCommand, bool> Match, Queue<CommandResult> Results);
}
