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
        /// The session's connection, with every command written to the Verbose stream (redacted)
        /// before it runs.
        /// </summary>
        protected IHostConnection ConnectionFor(PhoenixSession session) =>
            new LoggingConnection(session.Connection, line => Verbose($"[{session.Node}] {line}"));
    }
}
