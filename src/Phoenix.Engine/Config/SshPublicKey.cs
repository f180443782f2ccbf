using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// An OpenSSH public key line (<c>type base64-blob [comment]</c>) checked the way sshd reads it: known type,
    /// valid base64, and a blob whose embedded type and fields match the declared type.
    /// </summary>
    public sealed class SshPublicKey
    {
        private SshPublicKey(string keyType, string comment, int bits)
        {
            KeyType = keyType;
            Comment = comment;
            Bits = bits;
        }

        /// <summary>The key type (<c>ssh-ed25519</c>, <c>ssh-rsa</c>, <c>ecdsa-sha2-nistp256</c>, <c>sk-ssh-ed25519@openssh.com</c>, ...).</summary>
        public string KeyType { get; }

        /// <summary>The comment after the blob; empty when none.</summary>
        public string Comment { get; }

        /// <summary>Key size in bits (RSA modulus, curve size, 256 for ed25519).</summary>
        public int Bits { get; }

        /// <summary>The key types Phoenix accepts.</summary>
        public static IReadOnlyList<string> SupportedTypes { get; } = new[]
        {
            "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
        };

        private static readonly Regex Base64Re = new Regex(@"^[A-Za-z0-9+/]+={0,2}\z", RegexOptions.CultureInvariant);

        /// <summary>
        /// Parses <paramref name="line"/>. On failure <paramref name="error"/> says why, without quoting the key
        /// (a pasted private key must not end up in a log).
        /// </summary>
        public static bool TryParse(string? line, out SshPublicKey? key, out string error)
        {
            key = null;
            error = string.Empty;
            if (string.IsNullOrWhiteSpace(line)) { error = "is empty"; return false; }
            var text = line!.Trim();
            if (text.IndexOf("PRIVATE KEY", StringComparison.Ordinal) >= 0) { error = "is a PRIVATE key; give the public one (the .pub file)"; return false; }
            if (text.IndexOf('\n') >= 0 || text.IndexOf('\r') >= 0) { error = "holds a line break; put each key in its own list entry"; return false; }
            var parts = text.Split(new[] { ' ', '\t' }, 3, StringSplitOptions.RemoveEmptyEntries);
            var type = parts[0];
            if (type == "ssh-dss") { error = "is a DSA key, which OpenSSH no longer accepts; use ssh-ed25519"; return false; }
            if (Array.IndexOf((Array)SupportedTypes, type) < 0)
            {
                error = type.IndexOf('=') >= 0 || type.IndexOf('"') >= 0
                    ? "starts with authorized_keys options, which Phoenix does not accept; give the bare key"
                    : "does not start with a known key type (" + string.Join(", ", SupportedTypes) + ")";
                return false;
            }
            if (parts.Length < 2) { error = "has a type but no key data"; return false; }
            var b64 = parts[1];
            var comment = parts.Length > 2 ? parts[2] : string.Empty;
            if (b64.Length % 4 != 0 || !Base64Re.IsMatch(b64)) { error = "has key data that is not valid base64 (cut or changed while copying?)"; return false; }
            byte[] blob;
            try { blob = Convert.FromBase64String(b64); }
            catch (FormatException) { error = "has key data that is not valid base64"; return false; }
            if (ConfigFormats.HasControlOrBrokenChar(comment)) { error = "has a control character in its comment"; return false; }

            var r = new Reader(blob);
            try
            {
                var inner = Encoding.ASCII.GetString(r.String());
                if (inner != type) { error = "declares type " + type + " but its key data is of type " + Printable(inner); return false; }
                int bits;
                switch (type)
                {
                    case "ssh-ed25519":
                        bits = Ed25519(r);
                        break;
                    case "sk-ssh-ed25519@openssh.com":
                        bits = Ed25519(r);
                        Application(r);
                        break;
                    case "ssh-rsa":
                        r.String(); // public exponent
                        bits = MpintBits(r.String());
                        if (bits < 1024) { error = "is an RSA key of " + bits + " bits; OpenSSH refuses fewer than 1024 (use 3072+ or ed25519)"; return false; }
                        break;
                    default: // ecdsa and sk-ecdsa
                        var curve = Encoding.ASCII.GetString(r.String());
                        var expectedCurve = type.StartsWith("sk-", StringComparison.Ordinal) ? "nistp256" : type.Substring("ecdsa-sha2-".Length);
                        if (curve != expectedCurve) { error = "declares curve " + expectedCurve + " but its key data holds " + Printable(curve); return false; }
                        bits = curve == "nistp256" ? 256 : curve == "nistp384" ? 384 : 521;
                        var point = r.String();
                        var size = (bits + 7) / 8;
                        if (point.Length != 1 + 2 * size || point[0] != 4) { error = "has an ECDSA point of the wrong size"; return false; }
                        if (type.StartsWith("sk-", StringComparison.Ordinal)) Application(r);
                        break;
                }
                if (!r.AtEnd) { error = "has extra bytes after the key data"; return false; }
                key = new SshPublicKey(type, comment, bits);
                return true;
            }
            catch (FormatException e)
            {
                error = "has key data that is cut short or damaged (" + e.Message + ")";
                return false;
            }
        }

        private static int Ed25519(Reader r)
        {
            if (r.String().Length != 32) throw new FormatException("an ed25519 key is 32 bytes");
            return 256;
        }

        private static void Application(Reader r)
        {
            var app = Encoding.ASCII.GetString(r.String());
            if (!app.StartsWith("ssh:", StringComparison.Ordinal)) throw new FormatException("a security-key application must start with ssh:");
        }

        private static int MpintBits(byte[] m)
        {
            int i = 0;
            while (i < m.Length && m[i] == 0) i++;
            if (i == m.Length) return 0;
            int bits = (m.Length - i - 1) * 8;
            for (int b = m[i]; b != 0; b >>= 1) bits++;
            return bits;
        }

        private static string Printable(string s)
        {
            var sb = new StringBuilder();
            foreach (var c in s) sb.Append(c >= 0x21 && c < 0x7f ? c : '?');
            return sb.Length > 40 ? sb.ToString(0, 40) + "..." : sb.ToString();
        }

        /// <summary><c>ssh-ed25519 (256 bits) comment</c>; the key data is not shown.</summary>
        public override string ToString() => KeyType + " (" + Bits + " bits)" + (Comment.Length > 0 ? " " + Comment : "");

        private sealed class Reader
        {
            private readonly byte[] _b;
            private int _p;
            public Reader(byte[] b) { _b = b; }
            public bool AtEnd => _p == _b.Length;
            public byte[] String()
            {
                if (_p + 4 > _b.Length) throw new FormatException("length field missing");
                long len = ((long)_b[_p] << 24) | ((long)_b[_p + 1] << 16) | ((long)_b[_p + 2] << 8) | _b[_p + 3];
                _p += 4;
                if (len > _b.Length - _p) throw new FormatException("field longer than the data");
                var s = new byte[len];
                Array.Copy(_b, _p, s, 0, len);
                _p += (int)len;
                return s;
            }
        }
    }
}
