using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Phoenix.Simulator.State
{
    /// <summary>
    /// A node kept in a folder, so that several processes (the fake host's <c>qm</c> commands run by
    /// sshd) share one node. Node paths live under <c>&lt;folder&gt;/node</c>; the folder itself also
    /// holds <c>faults.json</c>. Locks are real OS file locks (flock on Linux, through FileShare), so
    /// two processes racing for a VM behave as they would on Proxmox.
    /// </summary>
    public sealed class FolderStateStore : IStateStore
    {
        private static readonly Action<string, string>? MoveOverwrite = FindMoveOverwrite();
        private static readonly Action<string, int>? SetUnixMode = FindSetUnixMode();
        private static readonly Func<string, int>? GetUnixMode = FindGetUnixMode();

        private static readonly System.Text.RegularExpressions.Regex TempName = new System.Text.RegularExpressions.Regex(@"\.tmp\.[0-9a-f]{32}$");

        private readonly string _nodeRoot;

        /// <summary>Opens (and creates when missing) a state folder.</summary>
        public FolderStateStore(string stateDirectory)
        {
            if (string.IsNullOrWhiteSpace(stateDirectory)) throw new ArgumentException("A state folder is required.", nameof(stateDirectory));
            StateDirectory = Path.GetFullPath(stateDirectory);
            _nodeRoot = Path.Combine(StateDirectory, "node");
            Directory.CreateDirectory(_nodeRoot);
        }

        /// <inheritdoc />
        public string StateDirectory { get; }

        string? IStateStore.StateDirectory => StateDirectory;

        /// <inheritdoc />
        public string HostPath(string path)
        {
            var normalized = NodePath.Normalize(path);
            if (normalized == "/") return _nodeRoot;
            // A real path inside the node folder (a storage whose path points there, as on the fake host)
            // is already where it lives.
            if (Path.DirectorySeparatorChar == '/' && normalized.StartsWith(_nodeRoot + "/", StringComparison.Ordinal)) return normalized;
            return Path.Combine(_nodeRoot, normalized.Substring(1).Replace('/', Path.DirectorySeparatorChar));
        }

        string? IStateStore.HostPath(string path) => HostPath(path);

        /// <inheritdoc />
        public byte[]? ReadFile(string path)
        {
            var host = HostPath(path);
            try
            {
                return File.ReadAllBytes(host);
            }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            catch (UnauthorizedAccessException) when (Directory.Exists(host)) { return null; }
        }

        /// <inheritdoc />
        public bool FileExists(string path) => File.Exists(HostPath(path));

        /// <inheritdoc />
        public void WriteFile(string path, byte[] content, int mode = StoreDefaults.FileMode)
        {
            var host = HostPath(path);
            var dir = Path.GetDirectoryName(host)!;
            Directory.CreateDirectory(dir);
            var tmp = host + ".tmp." + Guid.NewGuid().ToString("N");
            try
            {
                // Created with its mode, as Phoenix creates its snippets: a 0600 file is never readable by others, not even empty.
                using (var stream = CreateWithMode(tmp, mode))
                    stream.Write(content, 0, content.Length);
                SetUnixMode?.Invoke(tmp, mode); // the umask may have taken bits the mode wants
                Rename(tmp, host);
            }
            catch
            {
                try { File.Delete(tmp); } catch (IOException) { }
                throw;
            }
        }

        /// <inheritdoc />
        public bool DeleteFile(string path)
        {
            var host = HostPath(path);
            if (!File.Exists(host)) return false;
            try
            {
                File.Delete(host);
                return true;
            }
            catch (FileNotFoundException) { return false; }
            catch (DirectoryNotFoundException) { return false; }
        }

        /// <inheritdoc />
        public int? GetMode(string path)
        {
            var host = HostPath(path);
            if (!File.Exists(host) || GetUnixMode == null) return null;
            try { return GetUnixMode(host); }
            catch (IOException) { return null; }
        }

        /// <inheritdoc />
        public long? GetSize(string path)
        {
            var info = new FileInfo(HostPath(path));
            return info.Exists ? info.Length : (long?)null;
        }

        /// <inheritdoc />
        public IReadOnlyList<string> ListFiles(string directory)
        {
            var normalized = NodePath.Normalize(directory);
            var host = HostPath(normalized);
            if (!Directory.Exists(host)) return Array.Empty<string>();
            var prefix = normalized == "/" ? "" : normalized;
            return Directory.EnumerateFiles(host, "*", SearchOption.AllDirectories)
                .Where(f => !TempName.IsMatch(Path.GetFileName(f)))
                .Select(f => prefix + "/" + f.Substring(host.Length).TrimStart(Path.DirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/'))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
        }

        /// <inheritdoc />
        public void DeleteTree(string directory)
        {
            var host = HostPath(directory);
            if (Directory.Exists(host)) Directory.Delete(host, recursive: true);
        }

        /// <inheritdoc />
        public IDisposable? TryLock(string lockPath, bool shared)
        {
            var host = HostPath(lockPath);
            Directory.CreateDirectory(Path.GetDirectoryName(host)!);
            try
            {
                // On Unix .NET turns FileShare.None into flock(LOCK_EX) and a read-only open with
                // FileShare.Read into flock(LOCK_SH), both non-blocking: the semantics Proxmox relies on.
                return shared
                    ? new FileStream(host, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read)
                    : new FileStream(host, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>A new file (CreateNew) whose permission bits are <paramref name="mode"/> (less the umask) from its creation.</summary>
        private static FileStream CreateWithMode(string path, int mode)
        {
            if (CreateWithUnixMode != null) return CreateWithUnixMode(path, mode);
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }

        private static readonly Func<string, int, FileStream>? CreateWithUnixMode = FindCreateWithUnixMode();

        // FileStreamOptions.UnixCreateMode (.NET 7+) passes the mode to open(2), so no other mode is ever seen.
        private static Func<string, int, FileStream>? FindCreateWithUnixMode()
        {
            var modeType = Type.GetType("System.IO.UnixFileMode");
            var optionsType = Type.GetType("System.IO.FileStreamOptions");
            if (modeType == null || optionsType == null || IsWindows()) return null;
            var ctor = typeof(FileStream).GetConstructor(new[] { typeof(string), optionsType });
            var unixMode = optionsType.GetProperty("UnixCreateMode");
            if (ctor == null || unixMode == null) return null;
            return (path, mode) =>
            {
                var options = Activator.CreateInstance(optionsType)!;
                optionsType.GetProperty("Mode")!.SetValue(options, FileMode.CreateNew);
                optionsType.GetProperty("Access")!.SetValue(options, FileAccess.Write);
                optionsType.GetProperty("Share")!.SetValue(options, FileShare.None);
                unixMode.SetValue(options, Enum.ToObject(modeType, mode & 0x1FF));
                try
                {
                    return (FileStream)ctor.Invoke(new[] { path, options });
                }
                catch (TargetInvocationException e) when (e.InnerException != null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
            };
        }

        private static void Rename(string from, string to)
        {
            if (MoveOverwrite != null)
            {
                MoveOverwrite(from, to);
                return;
            }
            if (File.Exists(to)) File.Replace(from, to, null);
            else File.Move(from, to);
        }

        // The library targets netstandard2.0, but it always runs on .NET 8+ where these APIs exist;
        // reflection lets it use them without a second target framework.
        private static Action<string, string>? FindMoveOverwrite()
        {
            var m = typeof(File).GetMethod("Move", new[] { typeof(string), typeof(string), typeof(bool) });
            if (m == null) return null;
            return (a, b) => Invoke(m, a, b, true);
        }

        private static Action<string, int>? FindSetUnixMode()
        {
            var modeType = Type.GetType("System.IO.UnixFileMode");
            if (modeType == null || IsWindows()) return null;
            var m = typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
            if (m == null) return null;
            return (path, mode) => Invoke(m, path, Enum.ToObject(modeType, mode & 0xFFF));
        }

        private static Func<string, int>? FindGetUnixMode()
        {
            var modeType = Type.GetType("System.IO.UnixFileMode");
            if (modeType == null || IsWindows()) return null;
            var m = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });
            if (m == null) return null;
            return path => System.Convert.ToInt32(Invoke(m, path), System.Globalization.CultureInfo.InvariantCulture);
        }

        private static bool IsWindows() =>
            System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);

        private static object? Invoke(MethodInfo method, params object[] args)
        {
            try
            {
                return method.Invoke(null, args);
            }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
    }
}
