using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Lists the sessions of this PowerShell session.</summary>
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
                if (SessionStore.Default != null) WriteObject(SessionStore.Default);
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
                        WriteObject(session);
                        break;
                    }
                }
            }
        }
    }
}
