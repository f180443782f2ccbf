using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Phoenix.Engine.Text
{
    /// <summary>
    /// Lower-case hex and the hashes Phoenix prints as hex: what <c>sha256sum</c> and <c>sha1sum</c> show,
    /// so a value in a message or a plan can be compared with the host's own tools. The one place bytes
    /// become hex in the engine.
    /// </summary>
    public static class Hex
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        /// <summary>The bytes as lower-case hex, two digits each.</summary>
        public static string Of(byte[] bytes)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            var sb = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes) sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        /// <summary>SHA-256 of <paramref name="bytes"/> in hex (64 digits).</summary>
        public static string Sha256(byte[] bytes)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            // One instance per thread, kept: a render hashes three texts per VM, and creating the hash object each time costs more
            // than hashing a few hundred bytes.
            var sha = _sha256 ??= SHA256.Create();
            return Of(sha.ComputeHash(bytes));
        }

        [ThreadStatic]
        private static SHA256? _sha256;

        /// <summary>SHA-256 of <paramref name="text"/>'s UTF-8 bytes (no byte order mark) in hex.</summary>
        public static string Sha256(string text) => Sha256(Utf8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

        /// <summary>
        /// SHA-1 in hex. Not for security: Proxmox derives cloud-init's instance-id this way, and Phoenix
        /// reports the same value.
        /// </summary>
        public static string Sha1(byte[] bytes)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            using (var sha = SHA1.Create()) return Of(sha.ComputeHash(bytes));
        }

        /// <summary><paramref name="count"/> bytes from the system's secure random generator, in hex: for unique names.</summary>
        public static string Random(int count)
        {
            var bytes = new byte[count];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return Of(bytes);
        }

        /// <summary>True when <paramref name="text"/> is a SHA-256 in lower-case hex (64 digits).</summary>
        public static bool IsSha256(string? text)
        {
            if (text == null || text.Length != 64) return false;
            foreach (var c in text)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
            return true;
        }
    }
}
