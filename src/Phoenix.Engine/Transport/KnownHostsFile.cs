using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Phoenix.Engine.Transport
{
    /// <summary>What a <c>known_hosts</c> file says about a host key.</summary>
    public enum KnownHostStatus
    {
        /// <summary>No entry names the host.</summary>
        Unknown,
        /// <summary>An entry names the host with exactly this key.</summary>
        Known,
        /// <summary>Entries name the host, but none with this key: possibly a man-in-the-middle.</summary>
        Changed,
        /// <summary>The key is listed under <c>@revoked</c>.</summary>
        Revoked,
    }

    /// <summary>One key line of a <c>known_hosts</c> file.</summary>
    public sealed class KnownHostsEntry
    {
        internal KnownHostsEntry(int lineNumber, string? marker, string hosts, string keyType, byte[] key)
        {
            LineNumber = lineNumber;
            Marker = marker;
            Hosts = hosts;
            KeyType = keyType;
            _key = key;
            Fingerprint = KnownHostsFile.Fingerprint(key);
        }

        private readonly byte[] _key;

        /// <summary>1-based line number in the file.</summary>
        public int LineNumber { get; }

        /// <summary><c>@revoked</c>, <c>@cert-authority</c> or null.</summary>
        public string? Marker { get; }

        /// <summary>The host field as written (a comma-separated pattern list or a hashed <c>|1|salt|hash</c>).</summary>
        public string Hosts { get; }

        /// <summary>The key type field, for example <c>ssh-ed25519</c>.</summary>
        public string KeyType { get; }

        /// <summary>The key's <c>SHA256:...</c> fingerprint.</summary>
        public string Fingerprint { get; }

        /// <summary>True for hashed host fields (OpenSSH's HashKnownHosts).</summary>
        public bool IsHashed => Hosts.StartsWith("|1|", StringComparison.Ordinal);

        /// <summary>A copy of the public key blob (SSH wire format, as base64-decoded from the line).</summary>
        public byte[] GetKey() => (byte[])_key.Clone();

        internal bool KeyEquals(byte[] other) => _key.Length == other.Length && _key.SequenceEqual(other);
    }

    /// <summary>The answer of <see cref="KnownHostsFile.Check"/>.</summary>
    public sealed class KnownHostsMatch
    {
        internal KnownHostsMatch(KnownHostStatus status, IReadOnlyList<KnownHostsEntry> entries)
        {
            Status = status;
            Entries = entries;
        }

        /// <summary>The verdict.</summary>
        public KnownHostStatus Status { get; }

        /// <summary>
        /// The entries behind the verdict: the matching entry for <see cref="KnownHostStatus.Known"/>,
        /// the host's other keys for <see cref="KnownHostStatus.Changed"/>, the revoking entry for
        /// <see cref="KnownHostStatus.Revoked"/>; empty for <see cref="KnownHostStatus.Unknown"/>.
        /// </summary>
        public IReadOnlyList<KnownHostsEntry> Entries { get; }
    }

    /// <summary>
    /// An OpenSSH <c>known_hosts</c> file: parsing and host key lookup are pure (no I/O) so they can be
    /// tested without a server; <see cref="Load"/> and <see cref="Append"/> are the only file access.
    /// Understands plain and hashed (<c>|1|salt|hash</c>) host fields, comma-separated host lists with
    /// <c>*</c>/<c>?</c> wildcards and <c>!</c> negation, the <c>[host]:port</c> form for ports other
    /// than 22, comments, and the <c>@revoked</c> marker. <c>@cert-authority</c> lines are ignored:
    /// Phoenix does not verify host certificates, so they can neither admit nor refuse a key.
    /// </summary>
    public sealed class KnownHostsFile
    {
        private KnownHostsFile(string? path, IReadOnlyList<KnownHostsEntry> entries)
        {
            Path = path;
            Entries = entries;
        }

        /// <summary>The file the entries came from, or null when parsed from text.</summary>
        public string? Path { get; }

        /// <summary>All well-formed key lines, in file order. Malformed lines are skipped, as OpenSSH does.</summary>
        public IReadOnlyList<KnownHostsEntry> Entries { get; }

        /// <summary>Parses the text of a known_hosts file.</summary>
        public static KnownHostsFile Parse(string text, string? path = null)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var entries = new List<KnownHostsEntry>();
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var entry = ParseLine(lines[i], i + 1);
                if (entry != null) entries.Add(entry);
            }
            return new KnownHostsFile(path, entries);
        }

        /// <summary>Reads a known_hosts file; a file that does not exist reads as empty.</summary>
        /// <exception cref="IOException">The path is a directory, or the file cannot be read.</exception>
        public static KnownHostsFile Load(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("A known_hosts path is needed.", nameof(path));
            if (Directory.Exists(path)) throw new IOException($"{path} is a directory");
            if (!File.Exists(path)) return new KnownHostsFile(path, Array.Empty<KnownHostsEntry>());
            return Parse(File.ReadAllText(path, Encoding.UTF8), path);
        }

        /// <summary>
        /// Looks up <paramref name="hostKey"/> (the SSH wire-format public key blob) for a host.
        /// A revoked key is refused whatever host its line names. A host that is listed, but never
        /// with this key, counts as <see cref="KnownHostStatus.Changed"/> even when the listed keys are
        /// of another type: a server that suddenly offers a different key type is as suspect as one
        /// with a different key.
        /// </summary>
        public KnownHostsMatch Check(string host, int port, byte[] hostKey)
        {
            if (hostKey == null) throw new ArgumentNullException(nameof(hostKey));
            var revoked = Entries.FirstOrDefault(e => e.Marker == "@revoked" && e.KeyEquals(hostKey));
            if (revoked != null) return new KnownHostsMatch(KnownHostStatus.Revoked, new[] { revoked });

            var forHost = EntriesFor(host, port);
            var same = forHost.FirstOrDefault(e => e.KeyEquals(hostKey));
            if (same != null) return new KnownHostsMatch(KnownHostStatus.Known, new[] { same });
            if (forHost.Count > 0) return new KnownHostsMatch(KnownHostStatus.Changed, forHost);
            return new KnownHostsMatch(KnownHostStatus.Unknown, Array.Empty<KnownHostsEntry>());
        }

        /// <summary>The plain (not revoked, not CA) entries whose host field matches the host and port.</summary>
        public IReadOnlyList<KnownHostsEntry> EntriesFor(string host, int port)
        {
            var name = HostPattern(host, port);
            return Entries.Where(e => e.Marker == null && HostFieldMatches(e.Hosts, name)).ToList();
        }

        /// <summary>
        /// The name a host is filed under: the lower-case host for port 22, <c>[host]:port</c> otherwise
        /// (OpenSSH's convention).
        /// </summary>
        public static string HostPattern(string host, int port)
        {
            if (string.IsNullOrEmpty(host)) throw new ArgumentException("A host name is needed.", nameof(host));
            var h = host.ToLowerInvariant();
            return port == 22 ? h : $"[{h}]:{port}";
        }

        /// <summary>A known_hosts line (without newline) for a host key.</summary>
        public static string FormatLine(string host, int port, byte[] hostKey) =>
            $"{HostPattern(host, port)} {KeyTypeOf(hostKey)} {Convert.ToBase64String(hostKey)}";

        /// <summary>
        /// Appends a host key to a known_hosts file. A missing directory is created with mode 0700 and
        /// a missing file with mode 0600 (what OpenSSH expects of ~/.ssh).
        /// </summary>
        public static void Append(string path, string host, int port, byte[] hostKey)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("A known_hosts path is needed.", nameof(path));
            var line = FormatLine(host, port, hostKey);
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
            {
                Directory.CreateDirectory(dir);
                UnixPermissions.TrySet(dir, UnixPermissions.OwnerOnlyDirectory);
            }

            var isNew = !File.Exists(path);
            using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read))
            {
                // Permissions before content, so the key is never in a file readable by others.
                if (isNew) UnixPermissions.TrySet(path, UnixPermissions.OwnerOnlyFile);
                var needsNewline = false;
                if (stream.Length > 0)
                {
                    stream.Seek(-1, SeekOrigin.End);
                    needsNewline = stream.ReadByte() != '\n';
                }
                stream.Seek(0, SeekOrigin.End);
                var bytes = Encoding.UTF8.GetBytes((needsNewline ? "\n" : "") + line + "\n");
                stream.Write(bytes, 0, bytes.Length);
            }
        }

        /// <summary>The <c>SHA256:...</c> fingerprint of a public key blob, as <c>ssh-keygen -lf</c> prints it.</summary>
        public static string Fingerprint(byte[] hostKey)
        {
            if (hostKey == null) throw new ArgumentNullException(nameof(hostKey));
            using (var sha = SHA256.Create())
                return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(hostKey)).TrimEnd('=');
        }

        /// <summary>The key type written inside a public key blob (its first SSH string), for example <c>ssh-ed25519</c>.</summary>
        public static string KeyTypeOf(byte[] hostKey)
        {
            if (hostKey == null) throw new ArgumentNullException(nameof(hostKey));
            if (hostKey.Length < 4) throw new ArgumentException("A public key blob is shorter than its header.", nameof(hostKey));
            var length = (hostKey[0] << 24) | (hostKey[1] << 16) | (hostKey[2] << 8) | hostKey[3];
            if (length <= 0 || length > 64 || 4 + length > hostKey.Length)
                throw new ArgumentException("A public key blob does not start with a key type.", nameof(hostKey));
            return Encoding.ASCII.GetString(hostKey, 4, length);
        }

        private static KnownHostsEntry? ParseLine(string raw, int lineNumber)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') return null;
            var fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            var index = 0;
            string? marker = null;
            if (fields[0].StartsWith("@", StringComparison.Ordinal))
            {
                marker = fields[0].ToLowerInvariant();
                index = 1;
            }
            if (fields.Length < index + 3) return null;
            byte[] key;
            try
            {
                key = Convert.FromBase64String(fields[index + 2]);
            }
            catch (FormatException)
            {
                return null;
            }
            if (key.Length < 4) return null;
            return new KnownHostsEntry(lineNumber, marker, fields[index], fields[index + 1], key);
        }

        private static bool HostFieldMatches(string field, string name)
        {
            if (field.StartsWith("|1|", StringComparison.Ordinal)) return HashedMatches(field, name);
            var matched = false;
            foreach (var pattern in field.Split(','))
            {
                if (pattern.Length == 0) continue;
                var negated = pattern[0] == '!';
                var p = negated ? pattern.Substring(1) : pattern;
                if (!WildcardMatch(p.ToLowerInvariant(), name)) continue;
                // One negated match excludes the host from the whole line.
                if (negated) return false;
                matched = true;
            }
            return matched;
        }

        private static bool HashedMatches(string field, string name)
        {
            var parts = field.Split('|');
            if (parts.Length != 4) return false;
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                using (var hmac = new HMACSHA1(salt))
                    return hmac.ComputeHash(Encoding.UTF8.GetBytes(name)).SequenceEqual(expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        // OpenSSH's match_pattern: `*` is any run of characters, `?` exactly one.
        private static bool WildcardMatch(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
                else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
                else if (star >= 0) { p = star + 1; t = ++mark; }
                else return false;
            }
            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }
    }
}
