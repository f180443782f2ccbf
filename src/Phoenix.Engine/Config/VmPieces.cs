using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Secrets;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// A VM's cloud-init given as pieces on a command line (Set-PhoenixCloudInit -VmId -HostName -UserName ...)
    /// instead of a config entry. <see cref="ToSpec"/> builds the <see cref="VmSpec"/> the same values would make
    /// in a config file and checks it by the config file's own rules (<see cref="ConfigValidator.ValidateVms"/>),
    /// before anything touches a host. Each finding names the piece as it was given (<c>-Gateway</c>, not
    /// <c>network_config.gw</c>), and never quotes the password hash.
    /// </summary>
    public sealed class VmPieces
    {
        // The config field (as the validator names it) behind each piece, so a finding names what the admin typed.
        private static readonly (string Path, string Piece)[] FieldPieces =
        {
            ("vmid", nameof(VmId)),
            ("name", nameof(HostName)),
            ("network_config.ip", nameof(IpAddress)),
            ("network_config.gw", nameof(Gateway)),
            ("network_config.nameservers", "Nameserver"),
            ("network_config.searchdomain", nameof(SearchDomain)),
            ("user_config.username", nameof(UserName)),
            ("user_config.password_hash", nameof(PasswordHash)),
            ("user_config.ssh_public_keys", "SshPublicKey"),
            ("user_config", nameof(UserName)),
        };

        private static readonly char[] ListSeparators = { ' ', ',', ';', '\t' };

        /// <summary>The VM.</summary>
        public int VmId { get; set; }

        /// <summary>The host name (the config's <c>name</c>).</summary>
        public string HostName { get; set; } = "";

        /// <summary>The user cloud-init creates.</summary>
        public string UserName { get; set; } = "";

        /// <summary>Its OpenSSH public keys.</summary>
        public IReadOnlyList<string> SshPublicKeys { get; set; } = Array.Empty<string>();

        /// <summary>Its password's crypt hash, or null.</summary>
        public Secret? PasswordHash { get; set; }

        /// <summary>A static address in CIDR form, or null.</summary>
        public string? IpAddress { get; set; }

        /// <summary>The gateway of a static address.</summary>
        public string? Gateway { get; set; }

        /// <summary>DHCP asked for in so many words (no address and no DHCP means DHCP too, as in a config file).</summary>
        public bool Dhcp { get; set; }

        /// <summary>DNS servers; each entry may hold several, separated by blanks, commas or semicolons.</summary>
        public IReadOnlyList<string> Nameservers { get; set; } = Array.Empty<string>();

        /// <summary>Search domains, joined with blanks into the config's <c>searchdomain</c>.</summary>
        public IReadOnlyList<string> SearchDomain { get; set; } = Array.Empty<string>();

        /// <summary>
        /// The spec the pieces describe, after the config file's rules. The spec is null when any rule refused
        /// it; then every refusal is in <see cref="VmPiecesResult.Errors"/> (ID = the rule, such as
        /// GatewayOutsideSubnet, target the VMID), all at once.
        /// </summary>
        public VmPiecesResult ToSpec()
        {
            var id = VmId.ToString(CultureInfo.InvariantCulture);
            if (Dhcp && IpAddress != null)
            {
                return VmPiecesResult.Refused(new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.DhcpWithIpAddress,
                    $"VM {id}: -Dhcp and -IpAddress {IpAddress} contradict each other: the VM takes its address either by DHCP or as given.", VmId)
                { RecommendedAction = "Leave out -Dhcp for a static address, or -IpAddress (and -Gateway) for DHCP." });
            }

            var nameservers = Nameservers.SelectMany(n => (n ?? "").Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries)).ToList();
            var searchDomain = string.Join(" ", SearchDomain.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()));
            VmNetworkConfig? network = null;
            if (Dhcp || IpAddress != null || Gateway != null || nameservers.Count > 0 || searchDomain.Length > 0)
                network = new VmNetworkConfig
                {
                    Ip = Dhcp ? "dhcp" : IpAddress?.Trim(),
                    Gateway = Gateway?.Trim(),
                    Nameservers = nameservers,
                    SearchDomain = searchDomain.Length == 0 ? null : searchDomain,
                };
            var keys = SshPublicKeys.Select(k => (k ?? "").Trim()).ToList();

            // Every field gets a position that is only its config path, so each finding carries the path the
            // piece map understands (a spec built in code has no file, line or column).
            var positions = new Dictionary<string, ConfigPosition>(StringComparer.Ordinal);
            void At(string field) => positions[field] = new ConfigPosition(null, 0, 0, field);
            foreach (var f in new[]
            {
                "vmid", "name", "network_config", "network_config.ip", "network_config.gw", "network_config.searchdomain",
                "user_config", "user_config.username", "user_config.password_hash",
            }) At(f);
            for (int i = 0; i < nameservers.Count; i++) At("network_config.nameservers[" + i.ToString(CultureInfo.InvariantCulture) + "]");
            for (int i = 0; i < keys.Count; i++) At("user_config.ssh_public_keys[" + i.ToString(CultureInfo.InvariantCulture) + "]");

            var spec = new VmSpec
            {
                VmId = VmId,
                Name = HostName.Trim(),
                NetworkConfig = network,
                UserConfig = new VmUserConfig { Username = UserName, PasswordHash = PasswordHash, SshPublicKeys = keys },
                FieldPositions = positions,
            };

            var findings = new ConfigValidator().ValidateVms(new[] { spec });
            var warnings = findings.Where(f => f.Level == ConfigSeverity.Warning).Select(f => $"VM {id}, " + Message(f)).ToList();
            var errors = findings.Where(f => f.Level == ConfigSeverity.Error)
                .Select(f => new PhoenixException(PhoenixErrorKind.InvalidArgument, f.Rule,
                    $"VM {id}, " + Message(f), VmId) { RecommendedAction = f.Suggestion })
                .ToList();
            return new VmPiecesResult(errors.Count == 0 ? spec : null, errors, warnings);
        }

        // "-Gateway: gw 10.9.9.1 is outside the subnet ..." instead of "network_config.gw: ...". The validator never
        // quotes a secret, and nothing here adds a value, so a refused -PasswordHash stays unseen.
        private static string Message(ConfigFinding f)
        {
            var text = f.Message;
            if (f.JsonPath.Length > 0 && text.StartsWith(f.JsonPath + ": ", StringComparison.Ordinal)) text = text.Substring(f.JsonPath.Length + 2);
            var piece = PieceOf(f.JsonPath);
            if (piece != null) text = "-" + piece + ": " + text;
            if (!string.IsNullOrEmpty(f.Suggestion)) text += " Fix: " + f.Suggestion;
            return text;
        }

        private static string? PieceOf(string jsonPath)
        {
            foreach (var (path, piece) in FieldPieces)
                if (jsonPath == path || jsonPath.StartsWith(path + "[", StringComparison.Ordinal) || jsonPath.StartsWith(path + ".", StringComparison.Ordinal))
                    return piece;
            return null;
        }
    }

    /// <summary>What <see cref="VmPieces.ToSpec"/> made of the pieces.</summary>
    public sealed class VmPiecesResult
    {
        internal VmPiecesResult(VmSpec? spec, IReadOnlyList<PhoenixException> errors, IReadOnlyList<string> warnings)
        {
            Spec = spec;
            Errors = errors;
            Warnings = warnings;
        }

        internal static VmPiecesResult Refused(PhoenixException error) => new VmPiecesResult(null, new[] { error }, Array.Empty<string>());

        /// <summary>The checked spec; null when <see cref="Errors"/> is not empty.</summary>
        public VmSpec? Spec { get; }

        /// <summary>Every refusal, each naming the piece and how to fix it.</summary>
        public IReadOnlyList<PhoenixException> Errors { get; }

        /// <summary>Findings worth a warning; the spec is still used.</summary>
        public IReadOnlyList<string> Warnings { get; }
    }
}
