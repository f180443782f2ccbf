using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Lists VMs of the node, or of every node of the session's cluster: all, by ID, or by name with wildcards. Each VM
    /// carries its node; a VM on a node that is down is an error naming the node, and the others are listed.
    /// </summary>
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
            if (session.IsCluster)
            {
                ListCluster(session);
                return;
            }
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

        // A cluster: which VMs there are and where, from one /cluster/resources read; each node's VMs read on that node.
        private void ListCluster(PhoenixSession session)
        {
            var inventory = Inventory(session);
            var vms = inventory.Guests.Where(g => g.IsVm).ToList();
            List<ClusterResource> chosen;
            if (ParameterSetName == IdSet)
            {
                foreach (var id in VmId.Where(id => vms.All(v => v.VmId != id)).Distinct())
                {
                    Error(new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.VmNotFound,
                        $"VM {id} does not exist on any node of the cluster ({string.Join(", ", inventory.NodeNames)}).", id)
                    { RecommendedAction = "Check the ID with Get-PhoenixVm." });
                }
                chosen = vms.Where(v => VmId.Contains(v.VmId!.Value)).ToList();
            }
            else if (ParameterSetName == NameSet)
            {
                // A down node reports no names: its VMs cannot match a name.
                var patterns = Name.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
                chosen = vms.Where(v => v.Name != null && patterns.Any(p => p.IsMatch(v.Name))).ToList();
            }
            else
            {
                chosen = vms;
            }
            var found = new List<(VmState State, string Node)>();
            foreach (var group in chosen.GroupBy(v => v.Node ?? session.Node))
            {
                var node = group.Key;
                try
                {
                    TargetNode = node == session.Node ? null : node;
                    var host = OpenHost(session);
                    var states = RunAsync(ct => Task.WhenAll(group.Select(v => VmLifecycle.GetAsync(host, v.VmId!.Value, !NoSnapshots.IsPresent, ct))));
                    found.AddRange(states.Select(s => (s, node)));
                }
                catch (PhoenixException e)
                {
                    foreach (var v in group)
                    {
                        Error(new PhoenixException(e.Kind, e.Reason, $"VM {v.VmId} ({v.Name ?? "name unknown"}) on node '{node}': {e.Message}", v.VmId, e)
                        { RecommendedAction = e.RecommendedAction });
                    }
                }
                finally
                {
                    TargetNode = null;
                }
            }
            var order = ParameterSetName == IdSet ? found.OrderBy(f => System.Array.IndexOf(VmId, f.State.VmId)) : found.OrderBy(f => f.State.VmId);
            foreach (var (state, node) in order) WriteObject(VmObjects.ToVm(state, session, null, node));
        }
    }
}
