using System;
using System.Globalization;
using System.Text.RegularExpressions;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// Proxmox's own rules for identifiers (pve-common JSONSchema formats), checked before any
    /// command runs so that a bad name is reported with its reason instead of a 400 from the host.
    /// </summary>
    /// <remarks>
    /// The one place of Phoenix's name rules (VMID, VM name, snapshot, storage, node, bridge, feature): the config
    /// validator, the command builders and every cmdlet parameter call these, so they refuse the same values.
    /// </remarks>
    public static class ProxmoxNames
    {
        /// <summary>Lowest VMID Proxmox accepts.</summary>
        public const int MinVmId = 100;

        /// <summary>Highest VMID Proxmox accepts.</summary>
        public const int MaxVmId = 999999999;

        /// <summary>
        /// The directory storage every Proxmox VE installation has (<c>/var/lib/vz</c>): where Phoenix puts
        /// cloud-init snippets and looks for cloud images unless told otherwise.
        /// </summary>
        public const string LocalStorage = "local";

        /// <summary>
        /// Longest storage ID Phoenix accepts. Proxmox's pve-storage-id sets none, but an ID becomes a folder and a section
        /// name; no real one comes near this, and a value this long is a mistake or an attack.
        /// </summary>
        public const int MaxStorageIdLength = 100;

        /// <summary>Longest snapshot name Proxmox accepts.</summary>
        public const int MaxSnapshotNameLength = 40;

        // Every pattern: ASCII character classes (IgnoreCase with CultureInvariant would let the Kelvin sign through as 'k',
        // and \d non-ASCII digits) and \z, not $, which also matches before a final "\n" (Perl's does too, which is how
        // Proxmox itself lets "name\n" pass into a lock or a task; Phoenix refuses it before the host is touched).
        private const RegexOptions Opts = RegexOptions.CultureInvariant;

        // pve-vmid: the format regex is checked before min/max, so both are needed.
        private static readonly Regex VmIdPattern = new Regex(@"^[1-9][0-9]{2,8}\z", Opts);

        // pve-configid, which snapshot names use: note the `+`, so one character is not enough.
        private static readonly Regex SnapshotNamePattern = new Regex(@"^[a-zA-Z][a-zA-Z0-9_-]+\z", Opts);

        // dns-name: dot-separated labels of letters (either case), digits and inner hyphens.
        private static readonly Regex DnsNamePattern = new Regex(
            @"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\z", Opts);

        // pve-storage-id.
        private static readonly Regex StorageIdPattern = new Regex(@"^[a-zA-Z][a-zA-Z0-9._-]*[a-zA-Z0-9]\z", Opts);

        // pve-volume-id: storage, colon, anything but a line break.
        private static readonly Regex VolumeIdPattern = new Regex(@"^([a-zA-Z][a-zA-Z0-9._-]*[a-zA-Z0-9]):([^\n]+)\z", Opts);

        // pve-node names are DNS labels.
        private static readonly Regex NodeNamePattern = new Regex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\z", Opts);

        // pve-bridge-id (ASCII only), but not starting with '-' (no interface does; as an argument it would read as an option)
        // and at most 15 characters, the longest Linux interface name.
        private static readonly Regex BridgePattern = new Regex(@"^[_.a-zA-Z0-9][-_.a-zA-Z0-9]{0,14}\z", Opts);

        // A feature's name becomes the file name feature_install_<name>.sh in the guest and a line of its state file.
        private static readonly Regex FeatureNamePattern = new Regex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", Opts);

        private static readonly Regex OptionNamePattern = new Regex(@"^[a-z][a-z0-9_-]*\z", Opts);

        /// <summary>True when <paramref name="vmId"/> is a VMID Proxmox accepts (100..999999999).</summary>
        public static bool IsValidVmId(long vmId) => vmId >= MinVmId && vmId <= MaxVmId;

        /// <summary>
        /// Checks a VMID against Proxmox's range. Returns null when it is valid, else the reason in words,
        /// naming the value as <paramref name="what"/> (for example <c>-CloneFromVmId</c>).
        /// </summary>
        public static string? ValidateVmId(long vmId, string what = "VMID") =>
            IsValidVmId(vmId) ? null
            : $"{what} {vmId.ToString(CultureInfo.InvariantCulture)} is outside the range Proxmox accepts ({MinVmId}..{MaxVmId})";

        /// <summary>True when <paramref name="text"/> is written as Proxmox wants a VMID (no sign, no leading zero).</summary>
        public static bool IsValidVmId(string? text) => text != null && VmIdPattern.IsMatch(text);

        /// <summary>
        /// Checks a snapshot name against Proxmox's rule. Returns null when it is valid, else the
        /// reason in words (which is what validation reports show).
        /// </summary>
        public static string? ValidateSnapshotName(string? name)
        {
            if (string.IsNullOrEmpty(name)) return "a snapshot name is required";
            if (name!.Length > MaxSnapshotNameLength)
                return $"snapshot name '{name}' is {name.Length} characters long; Proxmox allows at most {MaxSnapshotNameLength}";
            if (string.Equals(name, "current", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "pending", StringComparison.OrdinalIgnoreCase))
                return $"snapshot name '{name}' is reserved by Proxmox";
            if (!SnapshotNamePattern.IsMatch(name))
                return $"snapshot name '{ShowControls(name)}' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' " +
                    $"(^[a-z][a-z0-9_-]+$, any case)";
            return null;
        }

        /// <summary>True when <paramref name="name"/> is a valid snapshot name.</summary>
        public static bool IsValidSnapshotName(string? name) => ValidateSnapshotName(name) == null;

        /// <summary>
        /// Checks a snapshot name as Proxmox does and returns Proxmox's own error text (what a config finding quotes), or
        /// null when it is valid: <c>pve-configid</c>, at most 40 characters, not <c>current</c> or <c>pending</c>.
        /// </summary>
        public static string? SnapshotNameError(string name)
        {
            if (!SnapshotNamePattern.IsMatch(name)) return "invalid format - invalid configuration ID '" + ShowControls(name) + "'";
            if (name.Length > MaxSnapshotNameLength) return "value may only be 40 characters long";
            if (string.Equals(name, "current", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "pending", StringComparison.OrdinalIgnoreCase))
                return "unable to use snapshot name '" + name + "' (reserved name)";
            return null;
        }

        /// <summary>True when <paramref name="name"/> is a DNS name (Proxmox's <c>dns-name</c>: a VM name, a search domain).</summary>
        public static bool IsDnsName(string? name) => name != null && DnsNamePattern.IsMatch(name);

        /// <summary>True when <paramref name="name"/> is a DNS name, which is what Proxmox wants for a VM name.</summary>
        public static bool IsValidVmName(string? name) => name != null && name.Length <= 255 && DnsNamePattern.IsMatch(name);

        /// <summary>True when <paramref name="storage"/> is a storage ID (for example <c>local-lvm</c>).</summary>
        public static bool IsValidStorageId(string? storage) => storage != null && storage.Length <= MaxStorageIdLength && StorageIdPattern.IsMatch(storage);

        /// <summary>True when <paramref name="volumeId"/> is a volume ID (for example <c>local:snippets/user-data-1001.yml</c>).</summary>
        public static bool IsValidVolumeId(string? volumeId) => volumeId != null && VolumeIdPattern.IsMatch(volumeId);

        /// <summary>True when <paramref name="node"/> is a cluster node name.</summary>
        public static bool IsValidNodeName(string? node) => node != null && node.Length <= 63 && NodeNamePattern.IsMatch(node);

        /// <summary>True when <paramref name="bridge"/> is a bridge name (Proxmox's <c>pve-bridge-id</c>, for example <c>vmbr0</c>).</summary>
        public static bool IsValidBridgeName(string? bridge) => bridge != null && BridgePattern.IsMatch(bridge);

        /// <summary>
        /// True when <paramref name="name"/> is a feature name: a letter or digit, then up to 63 letters, digits, '.', '_' or
        /// '-'. It becomes the script's file name (<c>feature_install_&lt;name&gt;.sh</c>) in the guest.
        /// </summary>
        public static bool IsValidFeatureName(string? name) => name != null && FeatureNamePattern.IsMatch(name);

        /// <summary>
        /// Checks <paramref name="value"/> as a name of <paramref name="kind"/>. Returns null when it is valid, else the
        /// reason in words, which quotes the value with any control character escaped. What every cmdlet parameter that
        /// names a VM, snapshot, storage, node, bridge or feature checks (the PowerShell side's ValidateProxmoxName).
        /// </summary>
        public static string? Validate(NameKind kind, string? value)
        {
            if (value == null) return "a value is required";
            var shown = "'" + ShowControls(value) + "'";
            switch (kind)
            {
                case NameKind.VmId:
                    return IsValidVmId(value) ? null : shown + " is not a VMID (a whole number from 100 to 999999999, no sign or leading zero)";
                case NameKind.VmName:
                    return IsValidVmName(value) ? null
                        : shown + " is not a DNS name (letters, digits and '-', not first or last, in dot-separated labels), which Proxmox requires " +
                            "of a VM name";
                case NameKind.Snapshot:
                    return ValidateSnapshotName(value);
                case NameKind.Storage:
                    return IsValidStorageId(value) ? null
                        : shown + " is not a Proxmox storage ID (a letter, then letters, digits, '-', '_' or '.', ending in a letter or digit; " +
                            "at most 100 characters)";
                case NameKind.Node:
                    return IsValidNodeName(value) ? null
                        : shown + " is not a Proxmox node name (up to 63 letters, digits and '-', not first or last)";
                case NameKind.Bridge:
                    return IsValidBridgeName(value) ? null
                        : shown + " is not a bridge name (up to 15 letters, digits, '-', '_' and '.', not starting with '-', such as vmbr0)";
                case NameKind.Feature:
                    return IsValidFeatureName(value) ? null
                        : shown + " is not a feature name (a letter or digit, then up to 63 letters, digits, '.', '_' or '-')";
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }

        /// <summary>The text with control characters shown as JSON escapes (<c>golden\n</c>), so a message shows what was given.</summary>
        internal static string ShowControls(string s)
        {
            foreach (var c in s)
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return Newtonsoft.Json.JsonConvert.ToString(s).Trim('"');
            return s;
        }

        internal static bool IsValidOptionName(string? option) => option != null && OptionNamePattern.IsMatch(option);

        internal static void RequireVmId(int vmId, string what = "VMID")
        {
            var reason = ValidateVmId(vmId, what);
            if (reason != null) throw Invalid(ErrorIds.InvalidVmId, reason + ".", vmId);
        }

        internal static void RequireSnapshotName(string? name, int vmId)
        {
            var reason = ValidateSnapshotName(name);
            if (reason != null)
                throw Invalid(ErrorIds.InvalidSnapshotName, $"VM {vmId.ToString(CultureInfo.InvariantCulture)}: {reason}.", vmId);
        }

        internal static void RequireVmName(string name, int vmId)
        {
            if (!IsValidVmName(name))
                throw Invalid(ErrorIds.InvalidVmName,
                    $"VM {vmId.ToString(CultureInfo.InvariantCulture)}: name '{name}' is not a DNS name (letters, digits and '-', dot-separated " +
                    $"labels), which Proxmox requires.", vmId);
        }

        internal static void RequireStorageId(string storage, int? vmId)
        {
            if (!IsValidStorageId(storage))
                throw Invalid(ErrorIds.InvalidStorageId,
                    $"'{storage}' is not a Proxmox storage ID (a letter, then letters, digits, '-', '_' or '.').", (object?)vmId ?? storage);
        }

        internal static void RequireVolumeId(string volumeId, int? vmId)
        {
            if (!IsValidVolumeId(volumeId))
                throw Invalid(ErrorIds.InvalidVolumeId,
                    $"'{volumeId}' is not a Proxmox volume ID (<storage>:<volume>, for example local:snippets/user-data.yml).", (object?)vmId ?? volumeId);
        }

        internal static void RequireNodeName(string node, int? vmId)
        {
            if (!IsValidNodeName(node))
                throw Invalid(ErrorIds.InvalidNodeName, $"'{node}' is not a Proxmox node name.", (object?)vmId ?? node);
        }

        internal static PhoenixException Invalid(string reason, string message, object? target) =>
            new PhoenixException(PhoenixErrorKind.InvalidArgument, reason, message, target);
    }

    /// <summary>The kinds of name <see cref="ProxmoxNames.Validate"/> checks.</summary>
    public enum NameKind
    {
        /// <summary>A VMID written as text (<c>101</c>).</summary>
        VmId,

        /// <summary>A VM name: a DNS name.</summary>
        VmName,

        /// <summary>A snapshot name (<c>pve-configid</c>, 2 to 40 characters, not current or pending).</summary>
        Snapshot,

        /// <summary>A storage ID (<c>local-lvm</c>).</summary>
        Storage,

        /// <summary>A cluster node name.</summary>
        Node,

        /// <summary>A bridge (<c>vmbr0</c>).</summary>
        Bridge,

        /// <summary>A feature name (<c>docker</c>).</summary>
        Feature,
    }
}
