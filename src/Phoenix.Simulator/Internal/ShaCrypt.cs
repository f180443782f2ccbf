using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Phoenix.Simulator.Internal
{
    /// <summary>
    /// SHA-256 crypt (<c>$5$</c>, Drepper's specification), which Proxmox uses to hash a plain
    /// <c>cipassword</c> before it stores it. Written out here because netstandard2.0 has no crypt(3).
    /// </summary>
    internal static class ShaCrypt
    {
        private const string Itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        private const int DefaultRounds = 5000;

        public static string Sha256Crypt(string password, string salt)
        {
            var key = Encoding.UTF8.GetBytes(password);
            if (salt.Length > 16) salt = salt.Substring(0, 16);
            var saltBytes = Encoding.UTF8.GetBytes(salt);

            using (var sha = SHA256.Create())
            {
                var b = Hash(sha, key, saltBytes, key);

                var a = new MemoryStream();
                a.Write(key, 0, key.Length);
                a.Write(saltBytes, 0, saltBytes.Length);
                int cnt;
                for (cnt = key.Length; cnt > 32; cnt -= 32) a.Write(b, 0, 32);
                a.Write(b, 0, cnt);
                for (cnt = key.Length; cnt > 0; cnt >>= 1)
                {
                    if ((cnt & 1) != 0) a.Write(b, 0, 32);
                    else a.Write(key, 0, key.Length);
                }
                var da = sha.ComputeHash(a.ToArray());

                var dpIn = new MemoryStream();
                for (var i = 0; i < key.Length; i++) dpIn.Write(key, 0, key.Length);
                var dp = sha.ComputeHash(dpIn.ToArray());
                var p = Fill(dp, key.Length);

                var dsIn = new MemoryStream();
                for (var i = 0; i < 16 + da[0]; i++) dsIn.Write(saltBytes, 0, saltBytes.Length);
                var ds = sha.ComputeHash(dsIn.ToArray());
                var s = Fill(ds, saltBytes.Length);

                var c = da;
                for (var i = 0; i < DefaultRounds; i++)
                {
                    var ctx = new MemoryStream();
                    if ((i & 1) != 0) ctx.Write(p, 0, p.Length); else ctx.Write(c, 0, c.Length);
                    if (i % 3 != 0) ctx.Write(s, 0, s.Length);
                    if (i % 7 != 0) ctx.Write(p, 0, p.Length);
                    if ((i & 1) != 0) ctx.Write(c, 0, c.Length); else ctx.Write(p, 0, p.Length);
                    c = sha.ComputeHash(ctx.ToArray());
                }

                var sb = new StringBuilder();
                sb.Append("$5$").Append(salt).Append('$');
                B64(sb, c[0], c[10], c[20], 4);
                B64(sb, c[21], c[1], c[11], 4);
                B64(sb, c[12], c[22], c[2], 4);
                B64(sb, c[3], c[13], c[23], 4);
                B64(sb, c[24], c[4], c[14], 4);
                B64(sb, c[15], c[25], c[5], 4);
                B64(sb, c[6], c[16], c[26], 4);
                B64(sb, c[27], c[7], c[17], 4);
                B64(sb, c[18], c[28], c[8], 4);
                B64(sb, c[9], c[19], c[29], 4);
                B64(sb, 0, c[31], c[30], 3);
                return sb.ToString();
            }
        }

        /// <summary>
        /// The salt PVE::Tools::encrypt_pw uses: the first 8 characters of base64(sha1(unix time)).
        /// Depending only on the time keeps the simulator's hashes reproducible under a fake clock.
        /// </summary>
        public static string ProxmoxSalt(long unixSeconds)
        {
            using (var sha1 = SHA1.Create())
            {
                var digest = sha1.ComputeHash(Encoding.ASCII.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return Convert.ToBase64String(digest).Substring(0, 8);
            }
        }

        private static byte[] Hash(HashAlgorithm sha, params byte[][] parts)
        {
            var ms = new MemoryStream();
            foreach (var part in parts) ms.Write(part, 0, part.Length);
            return sha.ComputeHash(ms.ToArray());
        }

        private static byte[] Fill(byte[] source, int length)
        {
            var res = new byte[length];
            for (var i = 0; i < length; i++) res[i] = source[i % source.Length];
            return res;
        }

        private static void B64(StringBuilder sb, byte b2, byte b1, byte b0, int n)
        {
            var w = (b2 << 16) | (b1 << 8) | b0;
            while (n-- > 0)
            {
                sb.Append(Itoa64[w & 0x3f]);
                w >>= 6;
            }
        }
    }
}
