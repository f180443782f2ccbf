using System;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Phoenix.Simulator;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>Makes sessions: over SSH, or on the in-process simulator.</summary>
    internal static class SessionFactory
    {
        public static async Task<PhoenixSession> ConnectAsync(SshConnectionOptions options, string? node, CancellationToken ct)
        {
            var connection = await SshHostConnection.ConnectAsync(options, ct).ConfigureAwait(false);
            try
            {
                node ??= await DetectNodeAsync(connection, ct).ConfigureAwait(false);
                return new PhoenixSession(connection, node, isSimulator: false);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public static PhoenixSession CreateSimulator(string? statePath, string node, bool empty)
        {
            var options = new SimulatorOptions { StateDirectory = statePath, NodeName = node, Empty = empty };
            return new PhoenixSession(new SimulatorConnection(options), node, isSimulator: true);
        }

        // Proxmox names a node after the host's short host name (PVE::INotify::nodename is uname -n up to the first dot).
        private static async Task<string> DetectNodeAsync(IHostConnection connection, CancellationToken ct)
        {
            var result = await connection.RunAsync(new RemoteCommand("hostname"), TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var name = result.StdOut.Trim();
            if (!result.Succeeded || name.Length == 0)
            {
                throw new PhoenixException(PhoenixErrorKind.RemoteCommandFailed, ErrorIds.NodeUnknown,
                    $"Connected to {connection.HostName}, but `hostname` failed ({result.StdErr.Trim()}). Pass the node name with -Node.",
                    connection.HostName);
            }
            var dot = name.IndexOf('.');
            return dot > 0 ? name.Substring(0, dot) : name;
        }
    }
}
