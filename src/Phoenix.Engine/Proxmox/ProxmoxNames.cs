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

        /// <summary>Longest snapshot name Proxmox accepts.</summary>
        public const int MaxSnapshotNameLength = 40;

        // pve-vmid: the format regex is checked before min/max, so both are needed.
        private static readonly Regex VmIdPattern = new Regex("^[1-9][0-9]{2,8}$", RegexOptions.CultureInvariant);

        // pve-configid, which snapshot names use: note the `+`, so one character is not enough.
        private static readonly Regex SnapshotNamePattern = new Regex("^[a-z][a-z0-9_-]+$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        private static readonly Regex DnsNamePattern = new Regex(
            @"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$",
            RegexOptions.CultureInvariant);

        // pve-storage-id.
        private static readonly Regex StorageIdPattern = new Regex(@"^[a-z][a-z0-9\-_.]*[a-z0-9]$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        // pve-volume-id: storage, colon, anything.
        private static readonly Regex VolumeIdPattern = new Regex(@"^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline);

        // pve-node names are DNS labels.
        private static readonly Regex NodeNamePattern = new Regex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant);

        private static readonly Regex OptionNamePattern = new Regex("^[a-z][a-z0-9_-]*$", RegexOptions.CultureInvariant);

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
                return $"snapshot name '{name}' does not follow Proxmox's rule: a letter, then one or more letters, digits, '-' or '_' " +
                    $"(^[a-z][a-z0-9_-]+$, any case)";
            return null;
        }

        /// <summary>True when <paramref name="name"/> is a valid snapshot name.</summary>
        public static bool IsValidSnapshotName(string? name) => ValidateSnapshotName(name) == null;

        /// <summary>True when <paramref name="name"/> is a DNS name, which is what Proxmox wants for a VM name.</summary>
        public static bool IsValidVmName(string? name) => name != null && name.Length <= 255 && DnsNamePattern.IsMatch(name);

        /// <summary>True when <paramref name="storage"/> is a storage ID (for example <c>local-lvm</c>).</summary>
        public static bool IsValidStorageId(string? storage) => storage != null && StorageIdPattern.IsMatch(storage);

        /// <summary>True when <paramref name="volumeId"/> is a volume ID (for example <c>local:snippets/user-data-1001.yml</c>).</summary>
        public static bool IsValidVolumeId(string? volumeId) => volumeId != null && volumeId.IndexOf('\n') < 0 && VolumeIdPattern.IsMatch(volumeId);

        /// <summary>True when <paramref name="node"/> is a cluster node name.</summary>
        public static bool IsValidNodeName(string? node) => node != null && NodeNamePattern.IsMatch(node);

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
}
