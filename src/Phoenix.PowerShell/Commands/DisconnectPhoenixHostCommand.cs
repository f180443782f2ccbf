using System.Management.Automation;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Closes a session (the default one when none is given).</summary>
    [Cmdlet(VerbsCommunications.Disconnect, "PhoenixHost")]
    [OutputType(typeof(void))]
    public sealed class DisconnectPhoenixHostCommand : PhoenixCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true)]
        public PhoenixSession[]? Session { get; set; }

        protected override void ProcessRecord()
        {
            var sessions = Session ?? (SessionStore.Default != null ? new[] { SessionStore.Default } : new PhoenixSession[0]);
            foreach (var s in sessions)
            {
                WriteVerbose($"Closing {s}.");
                SessionStore.Remove(s);
                s.Dispose();
            }
        }
    }
}
