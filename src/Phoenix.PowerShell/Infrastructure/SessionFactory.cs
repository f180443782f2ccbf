using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;
using Phoenix.Simulator;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>How a session reaches the other nodes of its cluster: where each one listens, and each one's pinned host key.</summary>
    internal sealed class NodeReach
    {
        /// <summary>Per node: the host (and port) to connect to instead of the address the cluster reports.</summary>
        public IDictionary<string, (string Host, int? Port)> Endpoints { get; } = new Dictionary<string, (string, int?)>(StringComparer.Ordinal);

        /// <summary>Per node: the pinned host key fingerprint (others are checked against known_hosts, or -AcceptNewHostKey).</summary>
        public IDictionary<string, string> Fingerprints { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>Makes sessions: over SSH, or on the in-process simulator.</summary>
    internal static class SessionFactory
    {
        public static async Task<PhoenixSession> ConnectAsync(SshConnectionOptions options, string? node, NodeReach reach, CancellationToken ct)
        {
            var connection = await SshHostConnection.ConnectAsync(options, ct).ConfigureAwait(false);
            try
            {
                node ??= await DetectNodeAsync(connection, ct).ConfigureAwait(false);
                var cluster = await DiscoverAsync(connection, node, ct).ConfigureAwait(false);
                return new PhoenixSession(connection, node, isSimulator: false, cluster,
                    (member, token) => ConnectNodeAsync(options, reach, member, token));
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public static PhoenixSession CreateSimulator(string? statePath, string node, bool empty, IReadOnlyList<string>? clusterNodes = null)
        {
            var options = new SimulatorOptions { StateDirectory = statePath, NodeName = node, Empty = empty };
            foreach (var n in clusterNodes ?? Array.Empty<string>()) options.ClusterNodes.Add(n);
            var simulator = new ProxmoxSimulator(options);
            var connection = new SimulatorConnection(simulator);
            var local = simulator.Cluster.IsCluster ? simulator.Node.Name : node;
            // The simulator answers /cluster/status as Proxmox does; a lone simulated node skips the read (nothing to find).
            var cluster = simulator.Cluster.IsCluster
                ? new ProxmoxHost(connection).GetClusterStatusAsync().GetAwaiter().GetResult()
                : ClusterStatus.Alone(local);
            return new PhoenixSession(connection, local, isSimulator: true, cluster,
                (member, _) => Task.FromResult<IHostConnection>(new SimulatorConnection(simulator.ForNode(member.Name))));
        }

        /// <summary>
        /// The node's cluster (<c>pvesh get /cluster/status</c>): its members, their addresses and states. A host that cannot
        /// answer it (not a Proxmox node, or pvesh refused) is taken as a node alone, as before clusters were known.
        /// </summary>
        private static async Task<ClusterStatus> DiscoverAsync(IHostConnection connection, string node, CancellationToken ct)
        {
            try
            {
                var status = await new ProxmoxHost(connection, RetryPolicy.NoRetry).GetClusterStatusAsync(ct).ConfigureAwait(false);
                return status.Node(node) != null ? status : ClusterStatus.Alone(node);
            }
            catch (PhoenixException)
            {
                return ClusterStatus.Alone(node);
            }
        }

        /// <summary>
        /// A connection to another node: the session's credentials and host-key rules, the node's own endpoint (given, or
        /// its cluster address on the session's port) and its own pinned fingerprint when one was given, else known_hosts
        /// (or -AcceptNewHostKey). The first node's pinned key is never taken for another node's.
        /// </summary>
        private static Task<IHostConnection> ConnectNodeAsync(SshConnectionOptions first, NodeReach reach, ClusterNode member, CancellationToken ct)
        {
            var o = first.Clone();
            if (reach.Endpoints.TryGetValue(member.Name, out var endpoint))
            {
                o.HostName = endpoint.Host;
                if (endpoint.Port.HasValue) o.Port = endpoint.Port.Value;
            }
            else if (!string.IsNullOrEmpty(member.Address))
            {
                o.HostName = member.Address!;
            }
            else
            {
                o.HostName = member.Name;
            }
            o.HostKeyFingerprint = reach.Fingerprints.TryGetValue(member.Name, out var fp) ? fp : null;
            return ConnectAsIHost(o, ct);
        }

        private static async Task<IHostConnection> ConnectAsIHost(SshConnectionOptions o, CancellationToken ct) =>
            await SshHostConnection.ConnectAsync(o, ct).ConfigureAwait(false);

        /// <summary>Reads "host", "host:port" or "[v6]:port" for -NodeEndpoint.</summary>
        internal static (string Host, int? Port) ParseEndpoint(string text)
        {
            text = text.Trim();
            if (text.StartsWith("[", StringComparison.Ordinal))
            {
                var close = text.IndexOf(']');
                if (close > 0)
                {
                    var host = text.Substring(1, close - 1);
                    var rest = text.Substring(close + 1);
                    if (rest.Length == 0) return (host, null);
                    if (rest[0] == ':' && int.TryParse(rest.Substring(1), NumberStyles.None, CultureInfo.InvariantCulture, out var p6) && p6 > 0 && p6 < 65536) return (host, p6);
                }
                throw new FormatException($"'{text}' is not host, host:port or [address]:port.");
            }
            var colon = text.LastIndexOf(':');
            if (colon > 0 && text.IndexOf(':') == colon)
            {
                if (int.TryParse(text.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0 && port < 65536)
                    return (text.Substring(0, colon), port);
                throw new FormatException($"'{text}' has no valid port after the colon.");
            }
            if (text.Length == 0) throw new FormatException("An endpoint is empty.");
            return (text, null);
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
