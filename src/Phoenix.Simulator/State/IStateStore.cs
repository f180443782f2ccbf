using System;
using System.Collections.Generic;

namespace Phoenix.Simulator.State
{
    /// <summary>
    /// The simulated node's filesystem. Paths are absolute node paths such as
    /// <c>/etc/pve/storage.cfg</c> or <c>/var/lib/vz/snippets/user-data-101.yml</c>.
    /// Implementations must be safe for concurrent callers; the folder store must also be safe
    /// for several processes sharing one folder (the fake host's <c>qm</c> commands).
    /// </summary>
    public interface IStateStore
    {
        /// <summary>The real folder that holds the node's files, or null for an in-memory node.</summary>
        string? StateDirectory { get; }

        /// <summary>Reads a file; null when it does not exist.</summary>
        byte[]? ReadFile(string path);

        /// <summary>True when the path is an existing regular file.</summary>
        bool FileExists(string path);

        /// <summary>Writes a file atomically (temporary name, then rename), creating directories as needed.</summary>
        void WriteFile(string path, byte[] content, int mode = StoreDefaults.FileMode);

        /// <summary>Removes a file; false when it was not there.</summary>
        bool DeleteFile(string path);

        /// <summary>The Unix mode a file was written with (null when unknown or missing).</summary>
        int? GetMode(string path);

        /// <summary>File size in bytes, null when missing.</summary>
        long? GetSize(string path);

        /// <summary>Every file under a directory (recursively), as full node paths, sorted.</summary>
        IReadOnlyList<string> ListFiles(string directory);

        /// <summary>Removes a directory and everything below it; no error when absent.</summary>
        void DeleteTree(string directory);

        /// <summary>
        /// Tries once, without waiting, to take an advisory lock named by a node path (for example
        /// <c>/var/lock/qemu-server/lock-100.conf</c>). Exclusive locks exclude everything; shared
        /// locks exclude only exclusive ones. Returns null when the lock is held elsewhere. Locks are
        /// not re-entrant: a second attempt from the same caller fails like one from another process.
        /// </summary>
        IDisposable? TryLock(string lockPath, bool shared);

        /// <summary>The real path of a node path in the folder store; null for the in-memory store.</summary>
        string? HostPath(string path);
    }

    /// <summary>Constants for store callers.</summary>
    public static class StoreDefaults
    {
        /// <summary>0644, the mode Proxmox's file_set_contents uses.</summary>
        public const int FileMode = 0x1A4;
    }
}
