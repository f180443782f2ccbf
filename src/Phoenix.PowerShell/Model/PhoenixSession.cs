using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell
{
    /// <summary>
    /// A connection to one Proxmox VE node, made by Connect-PhoenixHost, and through it to the node's cluster. Every
    /// cmdlet takes it with -Session, or uses the default session. One SSH connection per node carries every command and
    /// file transfer; a connection to another node of the cluster is opened only when one of its VMs needs it, with the
    /// same credentials and the same host-key rules.
    /// </summary>
    public sealed class PhoenixSession : IDisposable
    {
        private static int s_nextId;

        private readonly object _gate = new object();
        private readonly Dictionary<string, Task<IHostConnection>> _others = new Dictionary<string, Task<IHostConnection>>(StringComparer.Ordinal);
        private readonly Func<ClusterNode, CancellationToken, Task<IHostConnection>>? _connectNode;
        private ClusterStatus _cluster;

        internal PhoenixSession(IHostConnection connection, string node, bool isSimulator,
            ClusterStatus? cluster = null, Func<ClusterNode, CancellationToken, Task<IHostConnection>>? connectNode = null)
        {
            Connection = connection;
            Node = node;
            IsSimulator = isSimulator;
            _cluster = cluster ?? ClusterStatus.Alone(node);
            _connectNode = connectNode;
            Id = System.Threading.Interlocked.Increment(ref s_nextId);
        }

        /// <summary>A number that tells sessions apart in this PowerShell session.</summary>
        public int Id { get; }

        public string HostName => Connection.HostName;

        public int Port => Connection.Port;

        public string UserName => Connection.UserName;

        /// <summary>The Proxmox node name of the host (`hostname` on the host).</summary>
        public string Node { get; }

        /// <summary>The verified host key, as `ssh-keygen -lf` prints it (SHA256:...).</summary>
        public string? HostKeyFingerprint => Connection.HostKeyFingerprint;

        public bool IsConnected => Connection.IsConnected;

        /// <summary>True for the in-process simulator (no host at all).</summary>
        public bool IsSimulator { get; }

        /// <summary>True when every host command runs through <c>sudo -n</c> (Connect-PhoenixHost -UseSudo).</summary>
        public bool UseSudo => Connection is SshHostConnection ssh && ssh.UseSudo;

        /// <summary>The cluster's name, or null for a node in no cluster.</summary>
        public string? ClusterName => Cluster.ClusterName;

        /// <summary>True when the node is a member of a cluster.</summary>
        public bool IsCluster => Cluster.IsCluster;

        /// <summary>True when the cluster had quorum when last read (a lone node always has).</summary>
        public bool IsQuorate => Cluster.IsQuorate;

        /// <summary>The nodes of the cluster (the node alone outside one) with their state when last read.</summary>
        public IReadOnlyList<PhoenixNode> Nodes
        {
            get
            {
                var cluster = Cluster;
                return cluster.Nodes.Select(n => new PhoenixNode(n.Name, n.NodeId, n.Address, n.IsOnline, n.Name == Node,
                    n.Name == Node ? Connection.IsConnected : IsOpen(n.Name))).ToList();
            }
        }

        internal ClusterStatus Cluster
        {
            get { lock (_gate) return _cluster; }
        }

        internal IHostConnection Connection { get; }

        /// <summary>True once Disconnect-PhoenixHost closed it (a dropped connection is not closed: the next command reconnects).</summary>
        internal bool IsClosed { get; private set; }

        /// <summary>Takes a fresh read of /cluster/status (Get-PhoenixHost, or a node found down).</summary>
        internal void UpdateCluster(ClusterStatus status)
        {
            lock (_gate) _cluster = status;
        }

        /// <summary>Takes the nodes' online state from a /cluster/resources read (a node that went down since the last read).</summary>
        internal void MarkNodes(IEnumerable<NodeEntry> nodes)
        {
            var state = nodes.ToDictionary(n => n.Name, n => n.IsOnline, StringComparer.Ordinal);
            lock (_gate)
            {
                _cluster = _cluster with
                {
                    Nodes = _cluster.Nodes.Select(n => state.TryGetValue(n.Name, out var up) ? n with { IsOnline = up } : n).ToList(),
                };
            }
        }

        /// <summary>
        /// The connection to <paramref name="node"/>: the session's own for its node, else one opened the first time a VM of
        /// that node needs it (and kept for the session). A node the cluster does not have, a node it reports offline and a
        /// node that cannot be reached are errors naming the node.
        /// </summary>
        internal Task<IHostConnection> ConnectionForNodeAsync(string node, CancellationToken ct)
        {
            if (string.Equals(node, Node, StringComparison.Ordinal)) return Task.FromResult(Connection);
            var member = Cluster.Node(node);
            if (member == null)
            {
                throw new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.NodeUnknown,
                    $"Node '{node}' is not a node of {(ClusterName != null ? "cluster '" + ClusterName + "'" : "this host")} (nodes: {string.Join(", ", Cluster.Nodes.Select(n => n.Name))}).",
                    node) { RecommendedAction = "Use a node that pvecm nodes lists, or connect to a node of that cluster." };
            }
            if (!member.IsOnline) throw NodeErrors.Offline(node, "online 0 in /cluster/status");
            lock (_gate)
            {
                if (_others.TryGetValue(node, out var open) && !(open.IsFaulted || open.IsCanceled)) return open;
                if (_connectNode == null)
                {
                    throw new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.NodeUnreachable,
                        $"The session cannot open a connection to node '{node}'.", node);
                }
                var task = ConnectAsync(member, ct);
                _others[node] = task;
                return task;
            }
        }

        private async Task<IHostConnection> ConnectAsync(ClusterNode member, CancellationToken ct)
        {
            try
            {
                return await _connectNode!(member, ct).ConfigureAwait(false);
            }
            catch (PhoenixException e)
            {
                throw new PhoenixException(e.Kind, e.Reason, $"Node '{member.Name}' ({member.Address}): {e.Message}", member.Name, e)
                { RecommendedAction = e.RecommendedAction };
            }
        }

        private bool IsOpen(string node)
        {
            lock (_gate)
            {
                return _others.TryGetValue(node, out var t) && t.Status == TaskStatus.RanToCompletion && t.Result.IsConnected;
            }
        }

        public void Dispose()
        {
            IsClosed = true;
            List<Task<IHostConnection>> others;
            lock (_gate)
            {
                others = _others.Values.ToList();
                _others.Clear();
            }
            foreach (var t in others)
            {
                if (t.Status == TaskStatus.RanToCompletion) t.Result.Dispose();
            }
            Connection.Dispose();
        }

        public override string ToString() =>
            IsSimulator ? $"simulator ({Node})" : $"{UserName}@{HostName}:{Port} ({Node}{(UseSudo ? ", sudo" : "")})";
    }
}
