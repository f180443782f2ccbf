using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>One node of <c>pvesh get /cluster/status</c>: its name, corosync id, address, and whether it is up.</summary>
    public sealed record ClusterNode(string Name, int NodeId, string? Address, bool IsOnline, bool IsLocal);

    /// <summary>
    /// <c>pvesh get /cluster/status --output-format json</c>: the cluster entry (name, quorate) and one entry per node.
    /// A lone node is a "cluster" of one node with no cluster entry (proxmox-behaviour.md section 8).
    /// </summary>
    public sealed record ClusterStatus(string? ClusterName, bool IsQuorate, IReadOnlyList<ClusterNode> Nodes)
    {
        /// <summary>True when the node is a member of a corosync cluster (several nodes, or a cluster entry).</summary>
        public bool IsCluster => ClusterName != null || Nodes.Count > 1;

        /// <summary>The node the command ran on (<c>local: 1</c>), or null.</summary>
        public ClusterNode? Local => Nodes.FirstOrDefault(n => n.IsLocal);

        /// <summary>The node of this name, or null.</summary>
        public ClusterNode? Node(string name) => Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal));

        /// <summary>The status of one node that could not be asked about a cluster: the node alone, its state unknown.</summary>
        public static ClusterStatus Alone(string node) => new ClusterStatus(null, true, new[] { new ClusterNode(node, 0, null, true, true) });
    }

    /// <summary>One storage as <c>/cluster/resources</c> lists it: enabled on <see cref="Node"/>, shared or not, its content types.</summary>
    public sealed record ClusterStorage(string Storage, string Node, bool IsShared, IReadOnlyList<string> Content, string? Status)
    {
        /// <summary>True when the storage can hold VM disks (<c>images</c>).</summary>
        public bool HoldsImages => Content.Contains("images");
    }

    /// <summary>
    /// What one <c>pvesh get /cluster/resources --output-format json</c> tells about a cluster: every guest with its node,
    /// every node with its state, every storage per node it is enabled on. The facts config validation and node routing use.
    /// </summary>
    public sealed class ClusterInventory
    {
        public ClusterInventory(IReadOnlyList<ClusterResource> guests, IReadOnlyList<NodeEntry> nodes, IReadOnlyList<ClusterStorage> storages)
        {
            Guests = guests ?? throw new ArgumentNullException(nameof(guests));
            Nodes = nodes ?? throw new ArgumentNullException(nameof(nodes));
            Storages = storages ?? throw new ArgumentNullException(nameof(storages));
        }

        /// <summary>The listing it was read from (guests, nodes and storages; empty when made from parts).</summary>
        public IReadOnlyList<ClusterResource> Resources { get; private init; } = Array.Empty<ClusterResource>();

        /// <summary>Every VM and container.</summary>
        public IReadOnlyList<ClusterResource> Guests { get; }

        /// <summary>Every node, <c>online</c> or <c>offline</c>.</summary>
        public IReadOnlyList<NodeEntry> Nodes { get; }

        /// <summary>Every storage, once per node it is enabled on.</summary>
        public IReadOnlyList<ClusterStorage> Storages { get; }

        /// <summary>The node names, in the order Proxmox lists them.</summary>
        public IReadOnlyList<string> NodeNames => Nodes.Select(n => n.Name).ToList();

        /// <summary>True when <paramref name="node"/> is a node of the cluster.</summary>
        public bool HasNode(string node) => Nodes.Any(n => string.Equals(n.Name, node, StringComparison.Ordinal));

        /// <summary>The guest (VM or container) with this ID, or null.</summary>
        public ClusterResource? Guest(int vmId) => Guests.FirstOrDefault(g => g.VmId == vmId);

        /// <summary>The nodes <paramref name="storage"/> is enabled on (empty when no node has it).</summary>
        public IReadOnlyList<string> NodesWithStorage(string storage) =>
            Storages.Where(s => string.Equals(s.Storage, storage, StringComparison.Ordinal)).Select(s => s.Node).ToList();

        /// <summary>The storage entry of <paramref name="storage"/> on <paramref name="node"/>, or null when it is not enabled there.</summary>
        public ClusterStorage? StorageOn(string storage, string node) =>
            Storages.FirstOrDefault(s => string.Equals(s.Storage, storage, StringComparison.Ordinal) && string.Equals(s.Node, node, StringComparison.Ordinal));

        /// <summary>Reads the inventory from the whole <c>/cluster/resources</c> list (guests, nodes and storages).</summary>
        public static ClusterInventory From(IReadOnlyList<ClusterResource> resources)
        {
            var guests = resources.Where(r => (r.IsVm || r.IsContainer) && r.VmId.HasValue).ToList();
            var nodes = resources.Where(r => r.Type == "node" && r.Node != null).Select(r => new NodeEntry(r.Node!, r.Status ?? "unknown")).ToList();
            var storages = resources.Where(r => r.Type == "storage" && r.Storage != null && r.Node != null)
                .Select(r => new ClusterStorage(r.Storage!, r.Node!, r.IsShared, r.Content, r.Status)).ToList();
            return new ClusterInventory(guests, nodes, storages) { Resources = resources };
        }
    }
}
