using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Tests.CloudInit;

/// <summary>Passes everything to a real connection and records what went through, so a test can count commands and uploads.</summary>
internal sealed class RecordingConnection : IHostConnection
{
    private readonly IHostConnection _inner;
    private readonly object _gate = new();
    private readonly List<string> _log = new();

    public RecordingConnection(IHostConnection inner) => _inner = inner;

    public string HostName => _inner.HostName;
    public int Port => _inner.Port;
    public string UserName => _inner.UserName;
    public string? HostKeyFingerprint => _inner.HostKeyFingerprint;
    public bool IsConnected => _inner.IsConnected;
    public HostCapabilities Capabilities => _inner.Capabilities;

    /// <summary>Everything in order: command display lines, <c>upload &lt;path&gt;</c>, <c>download &lt;path&gt;</c>.</summary>
    public IReadOnlyList<string> Log { get { lock (_gate) return _log.ToList(); } }

    public IReadOnlyList<string> Commands => Log.Where(l => !l.StartsWith("upload ") && !l.StartsWith("download ")).ToList();

    public IReadOnlyList<string> Uploads => Log.Where(l => l.StartsWith("upload ")).Select(l => l.Substring(7)).ToList();

    public void Clear() { lock (_gate) _log.Clear(); }

    /// <summary>Called with each command line as it is sent (after it is logged).</summary>
    public Action<string>? Sent { get; set; }

    /// <summary>Awaited with each command line once the command has run, before its answer is given back (a test holds it there).</summary>
    public Func<string, Task>? Answering { get; set; }

    public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var line = command.ToDisplayString();
        lock (_gate) _log.Add(line);
        Sent?.Invoke(line);
        var run = _inner.RunAsync(command, timeout, cancellationToken);
        return Answering == null ? run : AnswerAsync(run, line);
    }

    private async Task<CommandResult> AnswerAsync(Task<CommandResult> run, string line)
    {
        var result = await run.ConfigureAwait(false);
        await Answering!(line).ConfigureAwait(false);
        return result;
    }

    public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
    {
        lock (_gate) _log.Add("upload " + remotePath);
        return _inner.UploadAsync(remotePath, content, mode, cancellationToken);
    }

    public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
    {
        lock (_gate) _log.Add("download " + remotePath);
        return _inner.DownloadAsync(remotePath, cancellationToken);
    }

    public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
    {
        lock (_gate) _log.Add("delete " + remotePath);
        return _inner.DeleteAsync(remotePath, cancellationToken);
    }

    public void Dispose() => _inner.Dispose();
}
