using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// The value formats Phoenix checks, written after Proxmox's own (pve-common JSONSchema.pm) where Proxmox has
    /// one: addresses, user names, password hashes. Names (VMID, VM, snapshot, storage, node, bridge, feature) are
    /// <see cref="Phoenix.Engine.Proxmox.ProxmoxNames"/>'s, the one place of those rules. Character classes are ASCII on purpose: .NET's \d and IgnoreCase would let non-ASCII digits and the
    /// Kelvin sign through. \z instead of $ because $ also matches before a final newline (Perl's too, which is
    /// how Proxmox itself lets "name\n" pass; Phoenix does not).
    /// </summary>
    public static class ConfigFormats
    {
        private const RegexOptions Opts = RegexOptions.CultureInvariant;
        private static readonly Regex UserRe = new Regex(@"^[a-z_][a-z0-9_-]*[$]?\z", Opts);
        private static readonly Regex QmKeyRe = new Regex(@"^[a-z][a-z0-9_]*\z", Opts);
        private static readonly Regex Ipv4Re = new Regex(@"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\z", Opts);

        /// <summary>A Linux user name cloud-init can create: <c>^[a-z_][a-z0-9_-]*[$]?$</c>, at most 32 characters.</summary>
        public static bool IsUserName(string? s) => s != null && s.Length <= 32 && UserRe.IsMatch(s);

        /// <summary>A <c>qm set</c> option name (<c>cpu</c>, <c>net1</c>, <c>migrate_downtime</c>): at most 64 characters, far more than any has.</summary>
        public static bool IsQmOptionName(string? s) => s != null && s.Length <= 64 && QmKeyRe.IsMatch(s);

        /// <summary>A strict dotted-quad IPv4 address (no leading zeros, no short forms).</summary>
        public static bool TryParseIpv4(string? s, out uint address)
        {
            address = 0;
            if (s == null || !Ipv4Re.IsMatch(s)) return false;
            foreach (var part in s.Split('.'))
                address = (address << 8) | uint.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            return true;
        }

        /// <summary>An IPv4 or IPv6 address, as a nameserver may be.</summary>
        public static bool IsIpAddress(string? s)
        {
            if (s == null) return false;
            if (TryParseIpv4(s, out _)) return true;
            if (s.IndexOf(':') < 0 || s.Any(c => !(Uri.IsHexDigit(c) || c == ':' || c == '.'))) return false;
            return IPAddress.TryParse(s, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6;
        }

        /// <summary>
        /// Parses an IPv4 CIDR address as Proxmox's <c>CIDRv4</c> does (prefix 8..32). Returns null when valid, else the
        /// reason; a network or broadcast address is refused because it cannot be a host's address.
        /// </summary>
        public static string? CidrError(string cidr, out uint address, out int prefix)
        {
            address = 0;
            prefix = 0;
            var slash = cidr.IndexOf('/');
            if (slash < 0) return "is not in CIDR form (address/prefix, e.g. 10.0.0.111/24)";
            if (!TryParseIpv4(cidr.Substring(0, slash), out address)) return "does not start with a valid IPv4 address";
            var p = cidr.Substring(slash + 1);
            if (p.Length == 0 || p.Length > 2 || p.Any(c => c < '0' || c > '9') || (p.Length == 2 && p[0] == '0')) return "has no valid prefix length after '/'";
            prefix = int.Parse(p, CultureInfo.InvariantCulture);
            if (prefix < 8 || prefix > 32) return "has prefix length /" + prefix + "; Proxmox accepts /8 to /32";
            if (prefix <= 30)
            {
                var mask = Mask(prefix);
                if ((address & ~mask) == 0) return "is the network address of its subnet, not a host address";
                if ((address & ~mask) == ~mask) return "is the broadcast address of its subnet, not a host address";
            }
            return null;
        }

        /// <summary>The netmask of an IPv4 prefix length.</summary>
        public static uint Mask(int prefix) => prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);

        /// <summary>Dotted-quad text of an IPv4 address.</summary>
        public static string FormatIpv4(uint a)
            => string.Join(".", new[] { a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255 }.Select(x => x.ToString(CultureInfo.InvariantCulture)));

        /// <summary>True when the text holds a control character (newline, tab, NUL, DEL, C1) or a lone surrogate.</summary>
        public static bool HasControlOrBrokenChar(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
                if (char.IsHighSurrogate(c)) { if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return true; i++; }
                else if (char.IsLowSurrogate(c)) return true;
            }
            return false;
        }

        /// <summary>
        /// Checks a password hash. Accepted: sha256crypt <c>$5$</c>, sha512crypt <c>$6$</c>, yescrypt <c>$y$</c>,
        /// gost-yescrypt <c>$gy$</c>, scrypt <c>$7$</c> and bcrypt <c>$2b$</c>/<c>$2y$</c>, the strong hashes libxcrypt on
        /// current Debian and Ubuntu verifies. MD5-crypt, DES and <c>$2a$</c> are refused. Returns null when valid, else a
        /// reason that never quotes the value.
        /// </summary>
        public static string? PasswordHashError(string hash)
        {
            const string B64 = "[./0-9A-Za-z]";
            if (Regex.IsMatch(hash, @"^\$5\$(?:rounds=[0-9]{1,9}\$)?" + B64 + @"{1,16}\$" + B64 + @"{43}\z", Opts)) return null;
            if (Regex.IsMatch(hash, @"^\$6\$(?:rounds=[0-9]{1,9}\$)?" + B64 + @"{1,16}\$" + B64 + @"{86}\z", Opts)) return null;
            if (Regex.IsMatch(hash, @"^\$(?:y|gy)\$" + B64 + @"+\$" + B64 + @"{1,86}\$" + B64 + @"{43}\z", Opts)) return null;
            if (Regex.IsMatch(hash, @"^\$7\$" + B64 + @"{11,}\$" + B64 + @"{43}\z", Opts)) return null;
            if (Regex.IsMatch(hash, @"^\$2[by]\$[0-3][0-9]\$" + B64 + @"{53}\z", Opts)) return null;
            if (hash.StartsWith("$1$", StringComparison.Ordinal) || hash.StartsWith("$apr1$", StringComparison.Ordinal))
                return "is an MD5-crypt hash, which is too weak and refused";
            if (hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2x$", StringComparison.Ordinal))
                return "is an old bcrypt variant ($2a$/$2x$), which is refused";
            if (Regex.IsMatch(hash, "^" + B64 + @"{13}\z", Opts) && !hash.StartsWith("$", StringComparison.Ordinal))
                return "looks like a DES-crypt hash (or a 13-character plain password); DES-crypt is refused";
            if (Regex.IsMatch(hash, @"^\$(?:5|6|y|gy|7|2b|2y)\$", Opts))
                return "starts like a crypt hash but is malformed (cut short or changed)";
            if (hash.StartsWith("$", StringComparison.Ordinal))
                return "is not a crypt hash format Phoenix accepts";
            return "is not a crypt hash (it looks like a plain-text password); plain passwords are refused";
        }
    }
}
