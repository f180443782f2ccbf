using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Workflow
{
    /// <summary>
    /// What one deploy run reads once for all its VMs instead of once per VM: the cluster's VM listing (which VMs
    /// exist, their state, which are templates), and per snippet storage its <c>pvesm status --content snippets</c>
    /// answer and its snippets folder. Every entry is read at its first use (the snippet reads are begun when the run
    /// begins, beside its listing and clones) and kept for the run only: a new run (a new <see cref="Deployer"/>) reads again.
    /// </summary>
    public sealed class DeployRun
    {
        private readonly ProxmoxHost _host;
        private readonly object _gate = new object();
        private readonly ConcurrentDictionary<string, Lazy<Task<CommandResult>>> _snippetStorages =
            new ConcurrentDictionary<string, Lazy<Task<CommandResult>>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _snippetFolders =
            new ConcurrentDictionary<string, Lazy<Task<string>>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Lazy<Task<VmConfig?>>> _sourceConfigs =
            new ConcurrentDictionary<string, Lazy<Task<VmConfig?>>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _once =
            new ConcurrentDictionary<string, Lazy<Task<object>>>(StringComparer.Ordinal);
        private readonly bool _withStorages;
        private readonly DeployRun? _cluster;
        private readonly ConcurrentDictionary<string, DeployRun> _nodes = new ConcurrentDictionary<string, DeployRun>(StringComparer.Ordinal);
        private Task<IReadOnlyList<ClusterResource>>? _resources;
        private int _begun;

        private DeployRun(ProxmoxHost host, DeployRun cluster)
        {
            _host = host;
            _cluster = cluster;
        }

        /// <summary>
        /// The run as seen from another node of the cluster: the same listing and clone sources, but that node's own snippet
        /// storages and folders (a storage such as <c>local</c> is another disk on every node).
        /// </summary>
        public DeployRun ForNode(string node, ProxmoxHost host) =>
            _cluster != null ? _cluster.ForNode(node, host) : _nodes.GetOrAdd(node, _ => new DeployRun(host, this));

        /// <summary>
        /// A run on <paramref name="host"/>. <paramref name="withStorages"/> (a cluster): the one listing is the whole
        /// <c>/cluster/resources</c>, nodes and storages too, for placing VMs on nodes; the same one read.
        /// </summary>
        public DeployRun(ProxmoxHost host, bool withStorages = false)
        {
            _host = host ?? throw new ArgumentNullException(nameof(host));
            _withStorages = withStorages;
        }

        /// <summary>
        /// <c>pvesh get /cluster/resources --type vm</c> (the whole listing on a cluster), asked once per run. A VM the
        /// listing lacks did not exist when the run began.
        /// </summary>
        public Task<IReadOnlyList<ClusterResource>> ResourcesAsync(CancellationToken ct)
        {
            if (_cluster != null) return _cluster.ResourcesAsync(ct);
            lock (_gate)
            {
                if (_resources == null || _resources.IsFaulted || _resources.IsCanceled)
                    _resources = _withStorages ? ReadAllAsync(ct) : _host.GetClusterResourcesAsync(ct);
                return _resources;
            }
        }

        private async Task<IReadOnlyList<ClusterResource>> ReadAllAsync(CancellationToken ct) =>
            (await _host.GetClusterInventoryAsync(ct).ConfigureAwait(false)).Resources;

        /// <summary>The run's listing as guests, nodes and storages (on a cluster run: with the storages per node).</summary>
        public async Task<ClusterInventory> InventoryAsync(CancellationToken ct) =>
            ClusterInventory.From(await ResourcesAsync(ct).ConfigureAwait(false));

        /// <summary>
        /// The listing's entry for VM <paramref name="vmId"/>, or null when the run began without it. Only a VM (not a
        /// container) counts.
        /// </summary>
        public async Task<ClusterResource?> FindAsync(int vmId, CancellationToken ct) =>
            (await ResourcesAsync(ct).ConfigureAwait(false)).FirstOrDefault(r => r.VmId == vmId && r.IsVm);

        /// <summary>The config of clone source <paramref name="vmId"/> (a template), read once per run.</summary>
        internal Task<VmConfig?> SourceConfigAsync(int vmId, Func<Task<VmConfig?>> read) => _cluster != null ? _cluster.SourceConfigAsync(vmId, read) :
            Shared(_sourceConfigs, vmId.ToString(System.Globalization.CultureInfo.InvariantCulture), read);

        /// <summary>
        /// <paramref name="make"/> once per run and cluster for <paramref name="key"/> (a node's template copy, made by the
        /// first VM that needs it; the others wait for it). A failure is not kept: the next VM tries again.
        /// </summary>
        internal async Task<T> OnceAsync<T>(string key, Func<Task<T>> make) where T : class =>
            _cluster != null ? await _cluster.OnceAsync(key, make).ConfigureAwait(false)
                : (T)await Shared(_once, key, async () => (object)await make().ConfigureAwait(false)).ConfigureAwait(false);

        /// <summary><c>pvesm status --content snippets</c>, once per run (the answer is the same for every VM).</summary>
        internal Task<CommandResult> SnippetStoragesAsync(string key, Func<Task<CommandResult>> read) =>
            Shared(_snippetStorages, key, read);

        /// <summary>The host folder of <paramref name="storage"/>'s snippets, from one <c>pvesm path</c> per run.</summary>
        internal Task<string> SnippetFolderAsync(string storage, Func<Task<string>> read) => Shared(_snippetFolders, storage, read);

        /// <summary>
        /// True for the first caller only: the run (on this node) begins what it reads for all its VMs (the cloud-init step's
        /// <see cref="DeployOptions.CloudInitRunStart"/>) once.
        /// </summary>
        internal bool Begins() => Interlocked.Exchange(ref _begun, 1) == 0;

        /// <summary>
        /// <see cref="SnippetStoragesAsync"/> begun before any VM needs it, not awaited: the step that needs it awaits it
        /// there, and gets its failure as if it had asked itself (a failed read is then dropped, and the next VM asks again).
        /// </summary>
        internal Task<CommandResult> BeginSnippetStorages(string key, Func<Task<CommandResult>> read) => Begin(_snippetStorages, key, read);

        /// <summary><see cref="SnippetFolderAsync"/> begun before any VM needs it (as <see cref="BeginSnippetStorages"/>).</summary>
        internal void BeginSnippetFolder(string storage, Func<Task<string>> read) => Begin(_snippetFolders, storage, read);

        private static Task<T> Begin<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string key, Func<Task<T>> read)
        {
            var task = cache.GetOrAdd(key, _ => new Lazy<Task<T>>(read, LazyThreadSafetyMode.ExecutionAndPublication)).Value;
            // Its failure is the VM's that awaits it (Shared); this only observes it, for a run whose VMs all stop before.
            task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return task;
        }

        private static async Task<T> Shared<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string key, Func<Task<T>> read)
        {
            var lazy = cache.GetOrAdd(key, _ => new Lazy<Task<T>>(read, LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return await lazy.Value.ConfigureAwait(false);
            }
            catch
            {
                // A failed read is not kept: the next VM asks again (and gets its own error, naming it).
                ((ICollection<KeyValuePair<string, Lazy<Task<T>>>>)cache).Remove(new KeyValuePair<string, Lazy<Task<T>>>(key, lazy));
                throw;
            }
        }
    }

    /// <summary>What the deploy knows about a VM when it calls a step (<see cref="DeployOptions.CloudInitInRun"/>).</summary>
    public sealed class DeployStepContext
    {
        /// <summary>A context.</summary>
        public DeployStepContext(DeployRun run, VmConfig? config, bool startsAfter, IReadOnlyList<KeyValuePair<string, string>>? pendingOptions = null)
        {
            Run = run ?? throw new ArgumentNullException(nameof(run));
            Config = config;
            StartsAfter = startsAfter;
            PendingOptions = pendingOptions ?? Array.Empty<KeyValuePair<string, string>>();
        }

        /// <summary>
        /// Options the configure step left for this step's <c>qm set</c> (a clone of this run: its options and cicustom in one
        /// call, after the snippets are written). <see cref="Config"/> already shows them.
        /// </summary>
        public IReadOnlyList<KeyValuePair<string, string>> PendingOptions { get; }

        /// <summary>What the run reads once for every VM.</summary>
        public DeployRun Run { get; }

        /// <summary>The VM's configuration as this run last read it (with what it changed since); null when the step must read it.</summary>
        public VmConfig? Config { get; }

        /// <summary>
        /// True when the VM is stopped and the deploy starts it after this step: its start regenerates the cloud-init
        /// drive, so no <c>qm cloudinit update</c> is needed before.
        /// </summary>
        public bool StartsAfter { get; }
    }
}
