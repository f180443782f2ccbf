using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// Wraps a session's shared connection for one cmdlet invocation and reports each command, as
    /// <see cref="RemoteCommand.ToDisplayString"/> shows it (secrets redacted), before it runs.
    /// Disposing the wrapper leaves the shared connection open.
    /// </summary>
    internal sealed class LoggingConnection : IHostConnection, IHostFileBatch
    {
        private readonly IHostConnection _inner;
        private readonly Action<string> _log;

        public LoggingConnection(IHostConnection inner, Action<string> log)
        {
            _inner = inner;
            _log = log;
        }

        public string HostName => _inner.HostName;
        public int Port => _inner.Port;
        public string UserName => _inner.UserName;
        public string? HostKeyFingerprint => _inner.HostKeyFingerprint;
        public bool IsConnected => _inner.IsConnected;
        public HostCapabilities Capabilities => _inner.Capabilities;

        public Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            _log(command.ToDisplayString());
            return _inner.RunAsync(command, timeout, cancellationToken);
        }

        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            _log($"upload {ShellQuote.Quote(remotePath)} ({content.Length} bytes, mode {Convert.ToString(mode, 8)})");
            return _inner.UploadAsync(remotePath, content, mode, cancellationToken);
        }

        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            _log($"download {ShellQuote.Quote(remotePath)}");
            return _inner.DownloadAsync(remotePath, cancellationToken);
        }

        public Task<IReadOnlyList<byte[]?>> ReadFilesAsync(IReadOnlyList<string> remotePaths, CancellationToken cancellationToken = default)
        {
            foreach (var path in remotePaths) _log($"download {ShellQuote.Quote(path)}");
            return HostFileBatch.TryReadAllAsync(_inner, remotePaths, cancellationToken);
        }

        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            _log($"delete {ShellQuote.Quote(remotePath)}");
            return _inner.DeleteAsync(remotePath, cancellationToken);
        }

        public void Dispose()
        {
            // The session owns the real connection.
        }
    }
}
