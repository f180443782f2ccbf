using System;
using System.Collections.Generic;
using System.Linq;
using Phoenix.Engine.Config;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>The placeholders templates may use, and the value each takes for a VM (templates/cloud-init/README.md).</summary>
    public static class CloudInitPlaceholders
    {
        /// <summary>Placeholders that must have a value; the others are left out (their line or list item) when they have none.</summary>
        public static IReadOnlyList<string> Required { get; } = new[] { "__VMID__", "__HOSTNAME__", "__FQDN__", "__USERNAME__" };

        /// <summary>Every known placeholder with what it stands for.</summary>
        public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["__VMID__"] = "the VMID (a number)",
            ["__HOSTNAME__"] = "name up to its first dot",
            ["__FQDN__"] = "name if dotted, else name.<first search domain>, else name",
            ["__USERNAME__"] = "user_config.username",
            ["__PASSWORD_HASH__"] = "user_config.password_hash; none: left out",
            ["__LOCK_PASSWD__"] = "false when a password hash is given, else true",
            ["__SSH_PUBLIC_KEY__"] = "the first SSH public key; none: left out",
            ["__SSH_PUBLIC_KEYS__"] = "all SSH public keys (a list); none: left out",
            ["__IPV4_ADDRESS__"] = "the static address in CIDR form; DHCP: left out",
            ["__IPV4_ADDRESSES__"] = "the static address as a list; DHCP: left out",
            ["__IPV4_GATEWAY__"] = "network_config.gw; none: left out",
            ["__IPV4_ROUTES__"] = "[{to: 0.0.0.0/0, via: gw}]; no gateway: left out",
            ["__DHCP4_ENABLED__"] = "true for DHCP, else false",
            ["__NAMESERVERS__"] = "DNS servers (a list); none: left out",
            ["__SEARCH_DOMAINS__"] = "search domains (a list); none: left out",
            ["__SEARCH_DOMAIN__"] = "the first search domain; none: left out",
        };

        // An empty list counts as "none": cloud-init's schema refuses some empty lists (ssh_authorized_keys), and
        // leaving the entry out says the same thing everywhere.
        private static PlaceholderValue? ListOrNone(IEnumerable<PlaceholderValue> items)
        {
            var list = items.ToList();
            return list.Count == 0 ? null : PlaceholderValue.List(list);
        }

        /// <summary>The value of each placeholder for <paramref name="vm"/>; a null value means "none".</summary>
        internal static IReadOnlyDictionary<string, PlaceholderValue?> ValuesFor(VmSpec vm)
        {
            var net = vm.NetworkConfig;
            var user = vm.UserConfig;
            var dhcp = net == null || net.Dhcp;
            var gw = dhcp ? null : net!.Gateway;
            var keys = user?.SshPublicKeys ?? Array.Empty<string>();
            var hash = user?.PasswordHash == null || user.PasswordHash.IsEmpty ? null : user.PasswordHash.Reveal();
            var search = net?.SearchDomains ?? Array.Empty<string>();
            PlaceholderValue? S(string? s) => s == null ? null : PlaceholderValue.Str(s);
            return new Dictionary<string, PlaceholderValue?>(StringComparer.Ordinal)
            {
                ["__VMID__"] = vm.VmId == 0 ? null : PlaceholderValue.Int(vm.VmId),
                ["__HOSTNAME__"] = S(vm.HostName),
                ["__FQDN__"] = S(vm.Fqdn),
                ["__USERNAME__"] = S(user?.Username),
                ["__PASSWORD_HASH__"] = S(hash),
                ["__LOCK_PASSWD__"] = PlaceholderValue.Bool(hash == null),
                ["__SSH_PUBLIC_KEY__"] = S(keys.FirstOrDefault()),
                ["__SSH_PUBLIC_KEYS__"] = ListOrNone(keys.Select(PlaceholderValue.Str)),
                ["__IPV4_ADDRESS__"] = dhcp ? null : S(net!.Ip),
                ["__IPV4_ADDRESSES__"] = dhcp ? null : ListOrNone(new[] { PlaceholderValue.Str(net!.Ip!) }),
                ["__IPV4_GATEWAY__"] = S(gw),
                ["__IPV4_ROUTES__"] = gw == null ? null
                    : ListOrNone(new[] { PlaceholderValue.Map(("to", PlaceholderValue.Str("0.0.0.0/0")), ("via", PlaceholderValue.Str(gw))) }),
                ["__DHCP4_ENABLED__"] = PlaceholderValue.Bool(dhcp),
                ["__NAMESERVERS__"] = ListOrNone((net?.Nameservers ?? Array.Empty<string>()).Select(PlaceholderValue.Str)),
                ["__SEARCH_DOMAINS__"] = ListOrNone(search.Select(PlaceholderValue.Str)),
                ["__SEARCH_DOMAIN__"] = S(search.FirstOrDefault()),
            };
        }
    }
}
