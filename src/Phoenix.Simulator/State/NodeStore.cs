using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Simulator.State
{
    /// <summary>
    /// One node's view of a simulated cluster's state. What a Proxmox cluster shares is the same file
    /// for every node: <c>/etc/pve</c> (the cluster filesystem, pmxcfs), the simulator's cluster-wide
    /// files under <c>/var/lib/phoenix-sim/cluster</c>, the guests' disks (<c>/var/lib/phoenix-sim/guests</c>,
    /// keyed by the cluster-unique VMID) and the folders of shared storages (an NFS mount looks the same
    /// from every node). Everything else is the node's own (its locks in <c>/var/lock</c>, its running
    /// VMs in <c>/var/run</c>, its local storages, <c>/etc/hostname</c>) and is kept under
    /// <c>/var/lib/phoenix-sim/nodes/&lt;node&gt;</c> of the shared store. A path that already is a real path
    /// inside the state folder (a storage whose path points there, as on the fake host) is taken as it is.
    /// A lone node does not use this view: its files keep their plain paths.
    /// </summary>
    internal sealed class NodeStore : IStateStore
    {
        private readonly IStateStore _root;
        private readonly string _prefix;
        private readonly Func<IReadOnlyList<string>> _sharedPaths;
        private readonly string? _realRoot;

        /// <param name="root">The cluster's store.</param>
        /// <param name="nodeName">The node whose view this is.</param>
        /// <param name="sharedPaths">The paths of shared storages (read from storage.cfg when asked).</param>
        public NodeStore(IStateStore root, string nodeName, Func<IReadOnlyList<string>> sharedPaths)
        {
            _root = root;
            _prefix = LocalRoot(nodeName);
            _sharedPaths = sharedPaths;
            _realRoot = root.HostPath("/");
        }

        /// <summary>Where a node's own files live in the cluster's store.</summary>
        public static string LocalRoot(string nodeName) => "/var/lib/phoenix-sim/nodes/" + nodeName;

        /// <summary>The node path in the cluster's store that this node's path means.</summary>
        public string Map(string path)
        {
            var normalized = NodePath.Normalize(path);
            return IsShared(normalized) ? normalized : _prefix + (normalized == "/" ? "" : normalized);
        }

        private bool IsShared(string path)
        {
            if (Under(path, "/etc/pve") || Under(path, "/var/lib/phoenix-sim/cluster") || Under(path, "/var/lib/phoenix-sim/guests")) return true;
            if (_realRoot != null && Under(path, _realRoot)) return true;
            return _sharedPaths().Any(p => p.Length > 1 && Under(path, NodePath.Normalize(p)));
        }

        private static bool Under(string path, string dir) =>
            path == dir || path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal);

        /// <inheritdoc />
        public string? StateDirectory => _root.StateDirectory;

        /// <inheritdoc />
        public byte[]? ReadFile(string path) => _root.ReadFile(Map(path));

        /// <inheritdoc />
        public bool FileExists(string path) => _root.FileExists(Map(path));

        /// <inheritdoc />
        public void WriteFile(string path, byte[] content, int mode = StoreDefaults.FileMode) => _root.WriteFile(Map(path), content, mode);

        /// <inheritdoc />
        public bool DeleteFile(string path) => _root.DeleteFile(Map(path));

        /// <inheritdoc />
        public int? GetMode(string path) => _root.GetMode(Map(path));

        /// <inheritdoc />
        public long? GetSize(string path) => _root.GetSize(Map(path));

        /// <inheritdoc />
        public IReadOnlyList<string> ListFiles(string directory)
        {
            var normalized = NodePath.Normalize(directory);
            var mapped = Map(normalized);
            var files = _root.ListFiles(mapped);
            if (mapped == normalized) return files;
            return files.Select(f => f.Substring(_prefix.Length)).ToList();
        }

        /// <inheritdoc />
        public void DeleteTree(string directory) => _root.DeleteTree(Map(directory));

        /// <inheritdoc />
        public IDisposable? TryLock(string lockPath, bool shared) => _root.TryLock(Map(lockPath), shared);

        /// <inheritdoc />
        public string? HostPath(string path) => _root.HostPath(Map(path));
    }
}
