namespace Phoenix.PowerShell
{
    /// <summary>One node of a session's cluster, as <c>pvesh get /cluster/status</c> reported it when last read.</summary>
    public sealed class PhoenixNode
    {
        internal PhoenixNode(string name, int nodeId, string? address, bool isOnline, bool isLocal, bool isConnected)
        {
            Name = name;
            NodeId = nodeId;
            Address = address;
            IsOnline = isOnline;
            IsLocal = isLocal;
            IsConnected = isConnected;
        }

        /// <summary>The node's name.</summary>
        public string Name { get; }

        /// <summary>Its corosync node id (0 for a node in no cluster).</summary>
        public int NodeId { get; }

        /// <summary>Its address as the cluster knows it (the <c>ip</c> of /cluster/status).</summary>
        public string? Address { get; }

        /// <summary>True when the cluster reported it online.</summary>
        public bool IsOnline { get; }

        /// <summary>True for the node the session connected to.</summary>
        public bool IsLocal { get; }

        /// <summary>True when the session has a connection open to it (the local node always; others once one of their VMs needed it).</summary>
        public bool IsConnected { get; }

        public override string ToString() => Name + (IsOnline ? "" : " (offline)");
    }
}
