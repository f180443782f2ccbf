using System.Linq;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>Turns engine state into the cmdlets' output objects.</summary>
    internal static class VmObjects
    {
        public static PhoenixVm ToVm(VmState state, PhoenixSession session, VmSpec? spec = null, string? node = null) => new PhoenixVm
        {
            VmId = state.VmId,
            Name = state.Name,
            Node = node ?? session.Node,
            Status = state.Status,
            IsTemplate = state.Config.IsTemplate,
            Lock = state.Config.Lock,
            Cores = state.Config.Cores,
            MemoryMb = state.Config.MemoryMb,
            Parent = state.Config.Parent,
            Snapshots = state.Snapshots.Where(s => !s.IsCurrent).Select(s => s.Name).ToList(),
            Spec = spec,
            Session = session,
        };

        public static PhoenixSnapshot ToSnapshot(int vmId, SnapshotInfo s, PhoenixSession session, bool changed = false, VmSpec? spec = null) => new PhoenixSnapshot
        {
            VmId = vmId,
            Name = s.Name,
            Parent = s.Parent,
            Time = s.Time,
            Description = s.Description,
            IsCurrent = s.IsCurrent,
            Changed = changed,
            Spec = spec,
            Session = session,
        };
    }
}
