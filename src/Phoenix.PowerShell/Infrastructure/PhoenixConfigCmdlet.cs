using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that reads config files: -Path (wildcards) or -LiteralPath, both from the pipeline, and -FeaturePath.
    /// Files are collected over the whole pipeline and checked together in EndProcessing, so VMIDs are unique
    /// across files and nothing is emitted before every file has been validated. A clone source outside the files is
    /// looked up on the host of -Session, or of the default session when one is connected (one <c>qm list</c>, and only
    /// when such a source exists); without a session it is unknown, not wrong: a warning, and Deploy-PhoenixVm checks it.
    /// </summary>
    public abstract class PhoenixConfigCmdlet : PhoenixHostCmdlet
    {
        /// <summary>The parameter set of -Path.</summary>
        protected const string PathSet = "Path";

        /// <summary>The parameter set of -LiteralPath.</summary>
        protected const string LiteralPathSet = "LiteralPath";

        private readonly ConfigInput _input = new ConfigInput();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? FeaturePath { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == LiteralPathSet) _input.Add(this, LiteralPath, literal: true);
            else _input.Add(this, Path, literal: false);
        }

        /// <summary>Loads and validates every collected file; terminates on a -FeaturePath folder that does not exist.</summary>
        private protected ConfigCheck CheckAll()
        {
            var featureFolders = FeaturePath?.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToArray();
            var session = LookupSession();
            var cluster = ClusterLookup(session);
            var hostHasVm = HostLookup(session, cluster);
            try
            {
                return _input.Check(featureFolders, hostHasVm, session == null ? null : cluster.Templates, WriteVerbose, cluster.Ask, session?.Node,
                    PredictsPlacement && session != null && session.IsCluster ? SourceConfigReader(session) : null);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
                throw; // not reached: Terminate throws
            }
        }

        // The host's VM list answers "does clone_from_vmid exist there", asked once and only when a source lies outside the
        // files; a host that cannot be asked gives "unknown" (a warning), never a false "missing". No session: null (offline).
        // In a cluster the whole cluster's guests answer it (qm list shows one node's VMs only), from the same one read.
        private Func<int, bool?>? HostLookup(PhoenixSession? session, ClusterRead cluster)
        {
            if (session == null) return null;
            var bound = MyInvocation.BoundParameters.ContainsKey(nameof(Session)) && Session != null;
            HashSet<int>? ids = null;
            var failed = false;
            return id =>
            {
                if (ids == null && !failed && session.IsCluster)
                {
                    var inventory = cluster.Ask(true);
                    if (inventory == null) failed = true;
                    else ids = new HashSet<int>(inventory.Guests.Select(g => g.VmId!.Value));
                }
                if (ids == null && !failed)
                {
                    try
                    {
                        var host = OpenHost(session);
                        var vms = RunAsync(ct => host.GetVmsAsync(cancellationToken: ct));
                        ids = new HashSet<int>(vms.Select(v => v.VmId));
                        WriteVerbose($"Clone sources outside the file are checked on node {session.Node} ({(bound ? "-Session" : "the default session")}): " +
                            $"it has {ids.Count} VM(s).");
                    }
                    catch (PhoenixException e)
                    {
                        WriteWarning($"Could not list the VMs of {session}: {e.Message} Clone sources outside the file are not checked.");
                        failed = true;
                    }
                }
                return failed ? (bool?)null : ids!.Contains(id);
            };
        }

        /// <summary>
        /// True for a cmdlet that checks how each VM would reach its node (Test-PhoenixConfig): a clone source outside the file
        /// on another node is read there (one qm config per source) and the deploy's placement rules applied to it.
        /// </summary>
        private protected virtual bool PredictsPlacement => false;

        // A clone source's config on its node (on another node through that node's connection), read once per source; a
        // source that cannot be read is a warning and is not checked.
        private Func<int, string, VmConfig?> SourceConfigReader(PhoenixSession session)
        {
            var read = new Dictionary<int, VmConfig?>();
            return (id, node) =>
            {
                if (read.TryGetValue(id, out var known)) return known;
                try
                {
                    var host = node == session.Node ? OpenHost(session) : new ProxmoxHost(RunAsync(ct => session.ConnectionForNodeAsync(node, ct)));
                    known = RunAsync(ct => host.GetVmConfigAsync(id, cancellationToken: ct));
                }
                catch (PhoenixException e)
                {
                    WriteWarning($"Could not read VM {id} on node '{node}': {e.Message} How VMs cloned from it reach their nodes is not checked.");
                    known = null;
                }
                read[id] = known;
                return known;
            };
        }

        private PhoenixSession? LookupSession()
        {
            var bound = MyInvocation.BoundParameters.ContainsKey(nameof(Session)) && Session != null;
            var session = bound ? ResolveSession() : SessionStore.Default;
            return session == null || session.IsClosed ? null : session;
        }

        private ClusterRead ClusterLookup(PhoenixSession? session) => new ClusterRead(this, session);

        /// <summary>
        /// What validation asks the cluster: nodes, storages and VMIDs (for a session on a cluster or a config that names a
        /// node) and the templates a <c>template</c> name may mean (only for a name no template of the files has). Both come
        /// from one <c>pvesh get /cluster/resources</c>, read at most once per validation, and only when one of them is asked.
        /// </summary>
        private protected sealed class ClusterRead
        {
            private readonly PhoenixConfigCmdlet _cmdlet;
            private readonly PhoenixSession? _session;
            private ClusterInventory? _inventory;
            private bool _asked;

            public ClusterRead(PhoenixConfigCmdlet cmdlet, PhoenixSession? session)
            {
                _cmdlet = cmdlet;
                _session = session;
            }

            /// <summary>The inventory for node, storage and VMID checks; null when there is nothing to check or no answer.</summary>
            public ClusterInventory? Ask(bool nodeNamed) =>
                _session == null || (!nodeNamed && !_session.IsCluster) ? null : Read();

            /// <summary>The cluster's templates as (name, VMID); null when the host could not be asked.</summary>
            public IReadOnlyList<KeyValuePair<string, int>>? Templates() =>
                Read()?.Guests.Where(g => g.IsVm && g.IsTemplate && g.VmId != null)
                    .Select(g => new KeyValuePair<string, int>(g.Name ?? "", g.VmId!.Value)).ToList();

            private ClusterInventory? Read()
            {
                if (_session == null) return null;
                if (_asked) return _inventory;
                _asked = true;
                try
                {
                    var host = _cmdlet.OpenHost(_session);
                    _inventory = _cmdlet.RunAsync(ct => host.GetClusterInventoryAsync(ct));
                    _cmdlet.WriteVerbose($"The config is checked against the cluster of {_session.Node}: nodes {string.Join(", ", _inventory.NodeNames)}, " +
                        $"{_inventory.Guests.Count} guest(s), {_inventory.Guests.Count(g => g.IsVm && g.IsTemplate)} template(s).");
                }
                catch (PhoenixException e)
                {
                    _cmdlet.WriteWarning($"Could not read the cluster of {_session}: {e.Message} Nodes, storages, VMIDs and template names outside " +
                        "the file are not checked against it.");
                }
                return _inventory;
            }
        }
    }
}
