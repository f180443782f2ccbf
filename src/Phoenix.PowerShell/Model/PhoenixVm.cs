using System;
using System.Collections.Generic;

namespace Phoenix.PowerShell
{
    /// <summary>
    /// A VM on a Proxmox node, as Get-PhoenixVm, New-PhoenixVm, Start-PhoenixVm and
    /// Wait-PhoenixGuestAgent return it. Carries its session and, when it came from a config, its
    /// spec, so the next cmdlet in a pipeline gets both by property name.
    /// </summary>
    public sealed class PhoenixVm
    {
        public int VmId { get; set; }
        public string Name { get; set; } = "";
        public string Node { get; set; } = "";
        /// <summary>running, stopped, ... as `qm status` says.</summary>
        public string Status { get; set; } = "";
        public bool IsTemplate { get; set; }
        /// <summary>The Proxmox lock (clone, snapshot, backup, ...), or null.</summary>
        public string? Lock { get; set; }
        public int? Cores { get; set; }
        public long? MemoryMb { get; set; }
        /// <summary>The snapshot the VM's current state derives from.</summary>
        public string? Parent { get; set; }
        public IReadOnlyList<string> Snapshots { get; set; } = Array.Empty<string>();
        /// <summary>The guest's addresses, filled by Wait-PhoenixGuestAgent.</summary>
        public IReadOnlyList<string> IpAddresses { get; set; } = Array.Empty<string>();
        /// <summary>What this cmdlet changed on the VM (empty when it was already as wanted).</summary>
        public IReadOnlyList<string> Changes { get; set; } = Array.Empty<string>();
        public bool Changed => Changes.Count > 0;
        /// <summary>The config entry the VM was made from, when known.</summary>
        public Phoenix.Engine.Config.VmSpec? Spec { get; set; }
        public PhoenixSession? Session { get; set; }

        public override string ToString() => $"{VmId} ({Name})";
    }

    /// <summary>A snapshot of a VM, as Get-PhoenixSnapshot and New-PhoenixSnapshot return it.</summary>
    public sealed class PhoenixSnapshot
    {
        public int VmId { get; set; }
        public string Name { get; set; } = "";
        public string? Parent { get; set; }
        public DateTime? Time { get; set; }
        public string? Description { get; set; }
        /// <summary>True for the pseudo-entry `current` ("You are here!").</summary>
        public bool IsCurrent { get; set; }
        /// <summary>True when this cmdlet made it; false when it existed already.</summary>
        public bool Changed { get; set; }
        public Phoenix.Engine.Config.VmSpec? Spec { get; set; }
        public PhoenixSession? Session { get; set; }

        public override string ToString() => $"{VmId}:{Name}";
    }
}
