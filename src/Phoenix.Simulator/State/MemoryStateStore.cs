using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Simulator.State
{
    /// <summary>
    /// A node held in memory: the in-process simulator's default. Nothing touches the disk of the
    /// machine it runs on, which is what makes the README demo safe on an admin's workstation.
    /// </summary>
    public sealed class MemoryStateStore : IStateStore
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, Entry> _files = new Dictionary<string, Entry>(StringComparer.Ordinal);
        private readonly Dictionary<string, LockState> _locks = new Dictionary<string, LockState>(StringComparer.Ordinal);

        private sealed class Entry
        {
            public Entry(byte[] data, int mode) { Data = data; Mode = mode; }
            public byte[] Data { get; }
            public int Mode { get; }
        }

        private sealed class LockState
        {
            public int Shared;
            public bool Exclusive;
        }

        /// <inheritdoc />
        public string? StateDirectory => null;

        /// <inheritdoc />
        public byte[]? ReadFile(string path)
        {
            path = NodePath.Normalize(path);
            lock (_gate) return _files.TryGetValue(path, out var e) ? (byte[])e.Data.Clone() : null;
        }

        /// <inheritdoc />
        public bool FileExists(string path)
        {
            path = NodePath.Normalize(path);
            lock (_gate) return _files.ContainsKey(path);
        }

        /// <inheritdoc />
        public void WriteFile(string path, byte[] content, int mode = StoreDefaults.FileMode)
        {
            path = NodePath.Normalize(path);
            lock (_gate) _files[path] = new Entry((byte[])content.Clone(), mode);
        }

        /// <inheritdoc />
        public bool DeleteFile(string path)
        {
            path = NodePath.Normalize(path);
            lock (_gate) return _files.Remove(path);
        }

        /// <inheritdoc />
        public int? GetMode(string path)
        {
            path = NodePath.Normalize(path);
            lock (_gate) return _files.TryGetValue(path, out var e) ? e.Mode : (int?)null;
        }

        /// <inheritdoc />
        public long? GetSize(string path)
        {
            path = NodePath.Normalize(path);
            lock (_gate) return _files.TryGetValue(path, out var e) ? e.Data.LongLength : (long?)null;
        }

        /// <inheritdoc />
        public IReadOnlyList<string> ListFiles(string directory)
        {
            var prefix = NodePath.Normalize(directory).TrimEnd('/') + "/";
            lock (_gate) return _files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        }

        /// <inheritdoc />
        public void DeleteTree(string directory)
        {
            var prefix = NodePath.Normalize(directory).TrimEnd('/') + "/";
            lock (_gate)
            {
                foreach (var k in _files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _files.Remove(k);
            }
        }

        /// <inheritdoc />
        public IDisposable? TryLock(string lockPath, bool shared)
        {
            lockPath = NodePath.Normalize(lockPath);
            lock (_gate)
            {
                if (!_locks.TryGetValue(lockPath, out var state))
                {
                    state = new LockState();
                    _locks[lockPath] = state;
                }
                if (state.Exclusive) return null;
                if (!shared && state.Shared > 0) return null;
                if (shared) state.Shared++; else state.Exclusive = true;
                return new Releaser(this, state, shared);
            }
        }

        /// <inheritdoc />
        public string? HostPath(string path) => null;

        private sealed class Releaser : IDisposable
        {
            private readonly MemoryStateStore _owner;
            private readonly LockState _state;
            private readonly bool _shared;
            private bool _released;

            public Releaser(MemoryStateStore owner, LockState state, bool shared)
            {
                _owner = owner;
                _state = state;
                _shared = shared;
            }

            public void Dispose()
            {
                lock (_owner._gate)
                {
                    if (_released) return;
                    _released = true;
                    if (_shared) _state.Shared--; else _state.Exclusive = false;
                }
            }
        }
    }
}
