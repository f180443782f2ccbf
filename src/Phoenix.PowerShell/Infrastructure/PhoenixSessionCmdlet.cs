using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that works on a host: owns -Session and falls back to the default session that
    /// Connect-PhoenixHost set.
    /// </summary>
    public abstract class PhoenixSessionCmdlet : PhoenixCmdlet
    {
        /// <summary>
        /// <para type="description">The session to use (from Connect-PhoenixHost). Default: the last session connected.</para>
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public PhoenixSession? Session { get; set; }

        /// <summary>The session this invocation uses; terminates with a clear error when there is none.</summary>
        protected PhoenixSession ResolveSession()
        {
            var session = Session ?? SessionStore.Default;
            if (session == null)
            {
                Terminate(new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.NoSession,
                    "There is no Phoenix session. Connect to a Proxmox host first with Connect-PhoenixHost -HostName <host> " +
                    "(or try Phoenix without one: Connect-PhoenixHost -Simulator).")
                { RecommendedAction = "Run Connect-PhoenixHost, or pass -Session." });
            }
            if (session!.IsClosed)
            {
                Terminate(new PhoenixException(PhoenixErrorKind.ConnectionError, ErrorIds.SessionClosed,
                    $"The session to {session.HostName} was closed with Disconnect-PhoenixHost. Connect again with Connect-PhoenixHost.", session.HostName));
            }
            return session;
        }

        /// <summary>
        /// The cluster node the VM being worked on lives on, when it is not the session's node (set per VM by
        /// <see cref="VmTargetCmdlet"/>); null: the session's own node.
        /// </summary>
        protected string? TargetNode { get; set; }

        /// <summary>The node commands go to: <see cref="TargetNode"/>, else the session's node.</summary>
        protected string NodeNameFor(PhoenixSession session) => TargetNode ?? session.Node;

        /// <summary>The connection to <see cref="NodeNameFor"/>: the session's own, or the one it opens to that node on first use.</summary>
        protected IHostConnection RawConnectionFor(PhoenixSession session)
        {
            var node = TargetNode;
            return node == null || node == session.Node ? session.Connection : RunAsync(ct => session.ConnectionForNodeAsync(node, ct));
        }

        /// <summary>
        /// The connection to the node worked on (<see cref="RawConnectionFor"/>), with every command written to the Verbose
        /// stream (redacted) before it runs, prefixed with the node's name.
        /// </summary>
        protected IHostConnection ConnectionFor(PhoenixSession session)
        {
            var node = NodeNameFor(session);
            return new LoggingConnection(RawConnectionFor(session), line => Verbose($"[{node}] {line}"));
        }
    }
}
