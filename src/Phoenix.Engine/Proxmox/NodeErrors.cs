using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>The errors about a node of a cluster that every command which reaches nodes gives alike.</summary>
    public static class NodeErrors
    {
        /// <summary>
        /// Node <paramref name="node"/> is down as the cluster reports it (<paramref name="seenIn"/>: what said so, such as
        /// <c>online 0 in /cluster/status</c>): its VMs fail at once, naming it, rather than each waiting for a connection.
        /// </summary>
        public static PhoenixException Offline(string node, string seenIn) =>
            new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.NodeDown,
                $"Node '{node}' is offline: the cluster reports it down ({seenIn}), so its VMs cannot be reached.", node)
            { RecommendedAction = $"Start node '{node}' again (or bring its corosync link back), then re-run." };

        /// <summary>
        /// VM <paramref name="vmId"/> (<paramref name="name"/>) is placed on <paramref name="node"/>, which the run's listing shows
        /// <paramref name="status"/>: it fails before anything is tried there, and the VMs of the other nodes go on.
        /// </summary>
        public static PhoenixException VmOnDownNode(int vmId, string name, string node, string status) =>
            new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.NodeDown,
                $"VM {vmId} ({name}) is to be on node '{node}', which is down (the cluster lists it {status}); it was not deployed.", vmId)
            { RecommendedAction = $"Start node '{node}' again, then deploy again: its VMs are deployed then, and the others are left as they are." };
    }
}
