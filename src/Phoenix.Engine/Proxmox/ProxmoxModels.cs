using System;
using System.Collections.Generic;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>One row of <c>qm list</c>, with the VM's configuration when it was asked for.</summary>
    public sealed record VmListEntry(int VmId, string Name, string Status, long MemoryMb, decimal BootDiskGb, int Pid)
    {
        /// <summary>True when <see cref="Status"/> is <c>running</c>.</summary>
        public bool IsRunning => Status == "running";

        /// <summary>The output of <c>qm config</c>, when <see cref="ProxmoxHost.GetVmsAsync"/> was asked for it.</summary>
        public VmConfig? Config { get; init; }
    }

    /// <summary>One snapshot from <c>qm listsnapshot</c>; the entry named <c>current</c> is "You are here!".</summary>
    public sealed record SnapshotInfo(string Name, string? Parent, DateTime? Time, string? Description, bool IsCurrent);

    /// <summary>
    /// What <c>qm guest exec</c> / <c>qm guest exec-status</c> printed. When qm stopped waiting
    /// (its timeout), only <see cref="Pid"/> is set and <see cref="Exited"/> is false.
    /// </summary>
    public sealed record GuestExecResult
    {
        /// <summary>True when the process has ended.</summary>
        public bool Exited { get; init; }

        /// <summary>The exit code, when the process ended normally.</summary>
        public int? ExitCode { get; init; }

        /// <summary>The signal that ended the process, when it was killed.</summary>
        public int? Signal { get; init; }

        /// <summary>Standard output (empty when there was none).</summary>
        public string OutData { get; init; } = "";

        /// <summary>Standard error (empty when there was none).</summary>
        public string ErrData { get; init; } = "";

        /// <summary>True when the guest agent cut standard output short (16 MiB per stream).</summary>
        public bool OutTruncated { get; init; }

        /// <summary>True when the guest agent cut standard error short.</summary>
        public bool ErrTruncated { get; init; }

        /// <summary>The guest process ID, when qm answered with <c>{"pid": N}</c> (or when the result was followed from it).</summary>
        public long? Pid { get; init; }

        /// <summary>True when this is a -WhatIf answer: the command was recorded, not run.</summary>
        public bool IsPlanned { get; init; }

        /// <summary>True when the process ended with exit code 0.</summary>
        public bool Succeeded => Exited && ExitCode == 0;
    }

    /// <summary>One address of a guest network interface.</summary>
    public sealed record GuestIpAddress(string InterfaceName, string Address, string AddressType, int Prefix)
    {
        /// <summary>True for <c>ipv4</c>.</summary>
        public bool IsIPv4 => AddressType == "ipv4";

        /// <summary>True for 127.0.0.0/8 and ::1.</summary>
        public bool IsLoopback
        {
            get
            {
                if (System.Net.IPAddress.TryParse(Address, out var ip)) return System.Net.IPAddress.IsLoopback(ip);
                return Address.StartsWith("127.", StringComparison.Ordinal) || Address == "::1";
            }
        }

        /// <summary>True for IPv6 link-local addresses (fe80::/10), which do not reach the guest from outside its link.</summary>
        public bool IsLinkLocal =>
            System.Net.IPAddress.TryParse(Address, out var ip) && ip.IsIPv6LinkLocal;

        /// <summary>The address in CIDR notation.</summary>
        public override string ToString() => Address + "/" + Prefix.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>One interface from the guest agent's <c>network-get-interfaces</c>.</summary>
    public sealed record GuestInterface(string Name, string? HardwareAddress, IReadOnlyList<GuestIpAddress> Addresses);

    /// <summary>One row of <c>pvesm status</c>. Sizes are KiB; null where Proxmox printed none.</summary>
    public sealed record StorageStatus(string Name, string Type, string Status, long TotalKiB, long UsedKiB, long AvailableKiB, double? UsedPercent)
    {
        /// <summary>True when the storage is active.</summary>
        public bool IsActive => Status == "active";

        /// <summary>False when the storage is disabled in the configuration.</summary>
        public bool IsEnabled => Status != "disabled";
    }

    /// <summary>One node from <c>pvesh get /nodes</c>: its name and <c>online</c>, <c>offline</c> or <c>unknown</c>.</summary>
    public sealed record NodeEntry(string Name, string Status)
    {
        /// <summary>True when <see cref="Status"/> is <c>online</c>.</summary>
        public bool IsOnline => Status == "online";
    }

    /// <summary>One entry of <c>pvesh get /cluster/resources</c>: a guest (<c>--type vm</c>), a node or a storage.</summary>
    public sealed record ClusterResource(string Id, string Type, int? VmId, string? Name, string? Node, string? Status, bool IsTemplate)
    {
        /// <summary>A storage entry's storage ID (null for other entries).</summary>
        public string? Storage { get; init; }

        /// <summary>A storage entry's <c>shared</c> flag.</summary>
        public bool IsShared { get; init; }

        /// <summary>A storage entry's content types (empty for other entries).</summary>
        public IReadOnlyList<string> Content { get; init; } = Array.Empty<string>();

        /// <summary>True for a QEMU VM (false for an LXC container).</summary>
        public bool IsVm => Type == "qemu";

        /// <summary>True for an LXC container.</summary>
        public bool IsContainer => Type == "lxc";

        /// <summary>True when <see cref="Status"/> is <c>running</c>.</summary>
        public bool IsRunning => Status == "running";
    }

    /// <summary>What <c>qm clone</c> reported: which drives were cloned linked and which in full.</summary>
    public sealed record CloneResult(IReadOnlyList<string> LinkedDrives, IReadOnlyList<string> FullDrives, IReadOnlyList<string> Output)
    {
        /// <summary>True when this is a -WhatIf answer: the clone was recorded, not run.</summary>
        public bool IsPlanned { get; init; }
    }
}
