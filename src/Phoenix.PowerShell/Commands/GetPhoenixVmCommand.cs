using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Lists VMs of the node: all, by ID, or by name with wildcards.</summary>
    [Cmdlet(VerbsCommon.Get, "PhoenixVm", DefaultParameterSetName = AllSet)]
    [OutputType(typeof(PhoenixVm))]
    public sealed class GetPhoenixVmCommand : PhoenixHostCmdlet
    {
        private const string AllSet = "All";
        private const string IdSet = "VmId";
        private const string NameSet = "Name";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public int[] VmId { get; set; } = new int[0];

        [Parameter(Mandatory = true, ParameterSetName = NameSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        [Parameter]
        public SwitchParameter NoSnapshots { get; set; }

        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            ForItem(session.HostName, () => List(session));
        }

        private void List(PhoenixSession session)
        {
            var host = OpenHost(session);
            var states = RunAsync(async ct =>
            {
                var list = await host.GetVmsAsync(cancellationToken: ct).ConfigureAwait(false);
                IEnumerable<int> ids;
                if (ParameterSetName == IdSet)
                {
                    var missing = VmId.Where(id => list.All(v => v.VmId != id)).ToList();
                    foreach (var id in missing)
                    {
                        Error(new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.VmNotFound,
                            $"VM {id} does not exist on node {session.Node}.", id)
                        { RecommendedAction = "Check the ID with Get-PhoenixVm." });
                    }
                    ids = VmId.Where(id => !missing.Contains(id));
                }
                else if (ParameterSetName == NameSet)
                {
                    var patterns = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
                    ids = list.Where(v => patterns.Any(p => p.IsMatch(v.Name))).Select(v => v.VmId);
                }
                else
                {
                    ids = list.Select(v => v.VmId);
                }
                var tasks = ids.Distinct().Select(id => VmLifecycle.GetAsync(host, id, !NoSnapshots.IsPresent, ct)).ToList();
                return await Task.WhenAll(tasks).ConfigureAwait(false);
            });
            foreach (var s in states) WriteObject(VmObjects.ToVm(s, session));
        }
    }
}
