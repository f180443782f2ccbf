using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Lists the sessions of this PowerShell session. A session on a cluster reads <c>/cluster/status</c> anew (one command),
    /// so its <c>Nodes</c> show each node's state now; a node alone asks nothing.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "PhoenixHost")]
    [OutputType(typeof(PhoenixSession))]
    public sealed class GetPhoenixHostCommand : PhoenixCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? HostName { get; set; }

        [Parameter]
        public SwitchParameter Default { get; set; }

        protected override void EndProcessing()
        {
            if (Default.IsPresent)
            {
                if (SessionStore.Default != null) WriteObject(Refreshed(SessionStore.Default));
                return;
            }
            var patterns = HostName ?? new[] { "*" };
            foreach (var session in SessionStore.All)
            {
                foreach (var p in patterns)
                {
                    var wildcard = WildcardPattern.Get(p, WildcardOptions.IgnoreCase);
                    if (wildcard.IsMatch(session.HostName) || wildcard.IsMatch(session.Node))
                    {
                        WriteObject(Refreshed(session));
                        break;
                    }
                }
            }
        }

        private PhoenixSession Refreshed(PhoenixSession session)
        {
            if (!session.IsCluster || session.IsClosed) return session;
            try
            {
                var status = RunAsync(ct => new ProxmoxHost(session.Connection, RetryPolicy.NoRetry).GetClusterStatusAsync(ct));
                session.UpdateCluster(status);
            }
            catch (PhoenixException e)
            {
                WriteWarning($"Could not read the cluster status of {session}: {e.Message} Its nodes show their state as last read.");
            }
            return session;
        }
    }
}
