using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// A VM's <c>network_config</c>: one IPv4 interface, static (<see cref="Ip"/> in CIDR form) or DHCP.
    /// <c>nameserver</c> (a string split on space, comma or semicolon) and <c>nameservers</c> (a list) both
    /// land in <see cref="Nameservers"/>.
    /// </summary>
    public sealed class VmNetworkConfig
    {
        /// <summary>The <c>ip</c> value as written: a CIDR address (<c>10.0.0.111/24</c>), <c>dhcp</c>, or null (= DHCP).</summary>
        public string? Ip { get; init; }

        /// <summary>True when the interface takes its address by DHCP (<c>ip</c> is <c>dhcp</c> or absent).</summary>
        public bool Dhcp => Ip == null || string.Equals(Ip.Trim(), "dhcp", StringComparison.OrdinalIgnoreCase);

        /// <summary>The <c>gw</c> value: the default gateway of a static address.</summary>
        public string? Gateway { get; init; }

        /// <summary>DNS servers, in order, from <c>nameserver</c> and/or <c>nameservers</c>.</summary>
        public IReadOnlyList<string> Nameservers { get; init; } = Array.Empty<string>();

        /// <summary>The <c>searchdomain</c> value as written (may hold several domains separated by space, comma or semicolon).</summary>
        public string? SearchDomain { get; init; }

        /// <summary><see cref="SearchDomain"/> split into its domains.</summary>
        public IReadOnlyList<string> SearchDomains => ConfigText.SplitList(SearchDomain);

        /// <summary>Fields of <c>network_config</c> that Phoenix does not know, kept in order for feature scripts.</summary>
        /// <remarks>Always an <see cref="ExtraFields"/> (a given JObject is copied into one), so ConvertTo-Json writes it as an object.</remarks>
        public JObject Extra { get => _extra; init => _extra = ExtraFields.From(value); }

        private readonly ExtraFields _extra = new ExtraFields();

        /// <summary>The address part of a static <see cref="Ip"/> (<c>10.0.0.111</c>), or null.</summary>
        public string? Address => !Dhcp && Ip != null && Ip.IndexOf('/') > 0 ? Ip.Substring(0, Ip.IndexOf('/')) : null;

        /// <summary><c>10.0.0.111/24 gw 10.0.0.1 dns 10.0.0.13</c> or <c>dhcp dns ...</c>.</summary>
        public override string ToString()
        {
            var s = Dhcp ? "dhcp" : Ip!;
            if (Gateway != null) s += " gw " + Gateway;
            if (Nameservers.Count > 0) s += " dns " + string.Join(",", Nameservers);
            if (SearchDomains.Count > 0) s += " search " + string.Join(",", SearchDomains);
            return s;
        }
    }

    /// <summary>
    /// A VM's <c>user_config</c>: the login user cloud-init creates. <see cref="PasswordHash"/> is a
    /// <see cref="Secrets.Secret"/>, so no display shows it.
    /// </summary>
    public sealed class VmUserConfig
    {
        /// <summary>The user name (Linux rules: <c>^[a-z_][a-z0-9_-]*[$]?$</c>).</summary>
        public string? Username { get; init; }

        /// <summary>The crypt hash of the password (<c>$6$...</c>, <c>$y$...</c>); null when none. Never displayed.</summary>
        public Secrets.Secret? PasswordHash { get; init; }

        /// <summary>OpenSSH public keys, from <c>ssh_public_key</c> and/or <c>ssh_public_keys</c>, trimmed.</summary>
        public IReadOnlyList<string> SshPublicKeys { get; init; } = Array.Empty<string>();

        /// <summary>Fields of <c>user_config</c> that Phoenix does not know.</summary>
        /// <remarks>Always an <see cref="ExtraFields"/> (a given JObject is copied into one), so ConvertTo-Json writes it as an object.</remarks>
        public JObject Extra { get => _extra; init => _extra = ExtraFields.From(value); }

        private readonly ExtraFields _extra = new ExtraFields();

        /// <summary><c>phoenix_user (2 SSH keys, password hash ********)</c>: never the hash itself.</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            parts.Add(SshPublicKeys.Count == 1 ? "1 SSH key" : SshPublicKeys.Count + " SSH keys");
            if (PasswordHash != null && !PasswordHash.IsEmpty) parts.Add("password hash " + Secrets.SecretMasker.Mask);
            return (Username ?? "(no user)") + " (" + string.Join(", ", parts) + ")";
        }
    }

    /// <summary>
    /// A VM's <c>snapshots</c>: whether Phoenix takes a snapshot before and after the feature scripts.
    /// Each key (<c>pre-features</c> or <c>pre_features</c>, <c>post-features</c> or <c>post_features</c>) takes
    /// <c>true</c>/<c>false</c>, or a string that is the snapshot's name (which also means true).
    /// </summary>
    public sealed class VmSnapshotSettings
    {
        /// <summary>The snapshot name used when <c>pre-features</c> is just <c>true</c>.</summary>
        public const string DefaultPreFeaturesName = "pre-features";

        /// <summary>The snapshot name used when <c>post-features</c> is just <c>true</c>.</summary>
        public const string DefaultPostFeaturesName = "post-features";

        /// <summary>Snapshot before the feature scripts run.</summary>
        public bool PreFeatures { get; init; }

        /// <summary>Snapshot after the feature scripts ran.</summary>
        public bool PostFeatures { get; init; }

        /// <summary>Name of the pre-features snapshot (given, or <see cref="DefaultPreFeaturesName"/>); null when off.</summary>
        public string? PreFeaturesName { get; init; }

        /// <summary>Name of the post-features snapshot (given, or <see cref="DefaultPostFeaturesName"/>); null when off.</summary>
        public string? PostFeaturesName { get; init; }

        /// <summary><c>pre:pre-features post:-</c>.</summary>
        public override string ToString() => "pre:" + (PreFeatures ? PreFeaturesName : "-") + " post:" + (PostFeatures ? PostFeaturesName : "-");
    }

    /// <summary>Small text helpers shared by the config classes.</summary>
    internal static class ConfigText
    {
        private static readonly char[] ListSeparators = { ' ', ',', ';', '\t' };

        /// <summary>Splits a Proxmox-style address list (space, comma or semicolon separated); empty parts dropped.</summary>
        public static IReadOnlyList<string> SplitList(string? value)
            => value == null ? Array.Empty<string>() : value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries).ToArray();
    }
}
