using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator
{
    /// <summary>
    /// The in-process door to a simulated node (<c>Connect-PhoenixHost -Simulator</c>): commands run
    /// directly from their argument list, with no shell, and file transfers read and write the node's
    /// files in its state store. Nothing runs on, or is written to, the machine itself unless the node
    /// was opened on a state folder.
    /// </summary>
    public sealed class SimulatorConnection : IHostConnection
    {
        private volatile bool _disposed;

        /// <summary>Connects to an existing simulator.</summary>
        public SimulatorConnection(ProxmoxSimulator simulator)
        {
            Simulator = simulator ?? throw new ArgumentNullException(nameof(simulator));
        }

        /// <summary>Opens a new simulated node and connects to it.</summary>
        public SimulatorConnection(SimulatorOptions? options = null) : this(new ProxmoxSimulator(options)) { }

        /// <summary>The simulated node behind the connection.</summary>
        public ProxmoxSimulator Simulator { get; }

        /// <inheritdoc />
        public string HostName => "simulator";

        /// <inheritdoc />
        public int Port => 0;

        /// <inheritdoc />
        public string UserName => "root";

        /// <inheritdoc />
        public string? HostKeyFingerprint => null;

        /// <inheritdoc />
        public bool IsConnected => !_disposed;

        /// <inheritdoc />
        /// <remarks>The default recording guest runs no commands; a guest runner plugged in through the options may.</remarks>
        public HostCapabilities Capabilities => Simulator.GuestRunner is Guest.RecordingGuestRunner
            ? HostCapabilities.WithoutGuestCommands("the in-process simulator runs no guest commands")
            : HostCapabilities.Full;

        /// <inheritdoc />
        public async Task<CommandResult> RunAsync(RemoteCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (command == null) throw new ArgumentNullException(nameof(command));
            EnsureConnected();
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var work = Task.Run(() => Simulator.Execute(command.Arguments, command.StandardInput, linked.Token), linked.Token);
                if (timeout.HasValue)
                {
                    var finished = await Task.WhenAny(work, Task.Delay(timeout.Value, cancellationToken)).ConfigureAwait(false);
                    if (finished != work)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        linked.Cancel();
                        throw new TimeoutException($"'{command.ToDisplayString()}' did not finish within {timeout.Value}.");
                    }
                }
                return await work.ConfigureAwait(false);
            }
        }

        /// <inheritdoc />
        public Task UploadAsync(string remotePath, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            if (content == null) throw new ArgumentNullException(nameof(content));
            EnsureConnected();
            cancellationToken.ThrowIfCancellationRequested();
            Simulator.Store.WriteFile(MapPath(remotePath), content, mode);
            return Task.CompletedTask;
        }

        /// <inheritdoc />
        public Task<bool> DeleteAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            EnsureConnected();
            cancellationToken.ThrowIfCancellationRequested();
            var path = MapPath(remotePath);
            if (!Simulator.Store.FileExists(path)) return Task.FromResult(false);
            Simulator.Store.DeleteFile(path);
            return Task.FromResult(true);
        }

        /// <inheritdoc />
        public Task<byte[]> DownloadAsync(string remotePath, CancellationToken cancellationToken = default)
        {
            EnsureConnected();
            cancellationToken.ThrowIfCancellationRequested();
            var data = Simulator.Store.ReadFile(MapPath(remotePath))
                ?? throw new FileNotFoundException($"No such file on the simulated host: {remotePath}", remotePath);
            return Task.FromResult(data);
        }

        /// <inheritdoc />
        public void Dispose() => _disposed = true;

        /// <summary>/etc/pve/qemu-server and /etc/pve/lxc are links to the local node's folders, as on Proxmox.</summary>
        private string MapPath(string remotePath)
        {
            var path = NodePath.Normalize(remotePath);
            foreach (var dir in new[] { "/etc/pve/qemu-server", "/etc/pve/lxc", "/etc/pve/local" })
            {
                if (path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal))
                {
                    var nodeDir = $"/etc/pve/nodes/{Simulator.Node.Name}";
                    var target = dir == "/etc/pve/local" ? nodeDir : nodeDir + "/" + dir.Substring("/etc/pve/".Length);
                    return target + path.Substring(dir.Length);
                }
            }
            return path;
        }

        private void EnsureConnected()
        {
            if (_disposed)
                throw new PhoenixException(PhoenixErrorKind.ConnectionError, "NotConnected", "The simulator connection was closed.", HostName);
        }
    }
}
