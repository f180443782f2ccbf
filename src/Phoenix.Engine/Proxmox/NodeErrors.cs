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
    }
}
