using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Workflow
{
    /// <summary>How a VM reaches its node when its clone source lives on another node of the cluster.</summary>
    public enum PlacementWay
    {
        /// <summary>The source is on the VM's node: a plain <c>qm clone</c> there.</summary>
        SameNode,

        /// <summary><c>qm clone --target &lt;node&gt;</c> on the source's node: every source volume is on shared storage.</summary>
        CloneWithTarget,

        /// <summary>A full <c>qm clone</c> on the source's node, then an offline <c>qm migrate</c> (the source has local volumes).</summary>
        CloneThenMigrate,
    }

    /// <summary>Where a VM is cloned and how it gets to its node, and why (the -WhatIf plan and the step's note say it).</summary>
    public sealed record NodePlacement(PlacementWay Way, string SourceNode, string TargetNode, string Why);

    /// <summary>
    /// What a deploy on a cluster knows per VM to place it: its node (<c>node</c>, else the session's), the node of the run's
    /// listing entry for its VMID, and a host on any node (the connection opened on first use).
    /// </summary>
    internal sealed class NodeRoute
    {
        public NodeRoute(string targetNode, string localNode, ClusterResource? listed, Func<string, CancellationToken, Task<ProxmoxHost>> hostFor,
            ClusterInventory inventory)
        {
            TargetNode = targetNode;
            LocalNode = localNode;
            Listed = listed;
            HostFor = hostFor;
            Inventory = inventory;
        }

        public string TargetNode { get; }
        public string LocalNode { get; }
        public ClusterResource? Listed { get; }
        public Func<string, CancellationToken, Task<ProxmoxHost>> HostFor { get; }
        public ClusterInventory Inventory { get; }
    }

    /// <summary>
    /// Decides how a clone crosses nodes, by Proxmox's rules (proxmox-behaviour.md section 8): <c>--target</c> only when
    /// every disk and cdrom volume of the source is on shared storage; otherwise a full clone on the source's node and an
    /// offline migration, which copies local disks but refuses a local cdrom image, a linked clone of a local base, and a
    /// storage the target node does not have. What Proxmox would refuse is refused here, before anything changes, naming
    /// the VM, the nodes and the fix.
    /// </summary>
    public static class NodePlacements
    {
        /// <summary>
        /// The way VM <paramref name="spec"/> gets from <paramref name="sourceNode"/> (where source <paramref name="sourceId"/>
        /// is) to <paramref name="targetNode"/>. <paramref name="sourceConfig"/> null: the source is made by this run and not
        /// there yet (a plan), so its volumes are unknown. <paramref name="full"/>: the clone's -FullClone choice (null: Proxmox's
        /// default); <paramref name="storage"/>: the storage a full clone is put on (the VM's storage_pool), or null.
        /// </summary>
        public static NodePlacement Decide(VmSpec spec, int sourceId, string sourceNode, string targetNode, VmConfig? sourceConfig,
            ClusterInventory inventory, bool? full, string? storage)
        {
            if (string.Equals(sourceNode, targetNode, StringComparison.Ordinal))
                return new NodePlacement(PlacementWay.SameNode, sourceNode, targetNode, $"VM {Id(sourceId)} is on node '{targetNode}'");
            if (sourceConfig == null)
            {
                return new NodePlacement(PlacementWay.CloneThenMigrate, sourceNode, targetNode,
                    $"VM {Id(sourceId)} is made by this run on node '{sourceNode}', so its volumes are not known yet; the run itself clones " +
                    $"with --target when every volume is on shared storage, else clones there and migrates offline to '{targetNode}'");
            }
            var volumes = sourceConfig.Disks.Where(d => !d.IsUnused && d.Volume != "none" && d.Volume != "cdrom" && d.Volume.Length > 0).ToList();
            bool Shared(VmDisk d) => d.StorageId != null && inventory.StorageOn(d.StorageId, sourceNode)?.IsShared == true;
            var local = volumes.Where(d => !Shared(d)).ToList();
            var poolShared = storage == null || inventory.StorageOn(storage, targetNode)?.IsShared == true;

            // Every storage the new VM's volumes land on must be enabled on the target (and, for a clone there, the source) node.
            var landing = (storage != null ? new[] { storage } : volumes.Select(d => d.StorageId).Where(s => s != null).Select(s => s!))
                .Distinct(StringComparer.Ordinal).ToList();
            foreach (var s in landing)
            {
                foreach (var node in new[] { targetNode, sourceNode })
                {
                    if (inventory.StorageOn(s, node) != null) continue;
                    throw Refuse(spec, sourceId, sourceNode, targetNode, $"storage '{s}' is not available on node '{node}', so Proxmox would refuse " +
                        (local.Count == 0 && poolShared ? "the clone" : "the migration"),
                        $"Enable storage '{s}' on node '{node}' (its nodes list in storage.cfg), give VM {Id(spec.VmId)} a storage_pool both nodes " +
                        $"have, or set its node to '{sourceNode}'.");
                }
            }

            if (local.Count == 0 && poolShared)
            {
                var shared = volumes.Select(d => d.StorageId).Distinct(StringComparer.Ordinal).ToList();
                return new NodePlacement(PlacementWay.CloneWithTarget, sourceNode, targetNode,
                    $"every volume of VM {Id(sourceId)} is on shared storage ({(shared.Count == 0 ? "it has none" : string.Join(", ", shared))}), " +
                    $"so it is cloned on '{sourceNode}' straight to '{targetNode}'");
            }

            var cdrom = local.FirstOrDefault(d => d.IsCdrom && !d.IsCloudInit);
            if (cdrom != null)
            {
                throw Refuse(spec, sourceId, sourceNode, targetNode, $"VM {Id(sourceId)} has {cdrom.Key} on local storage ({cdrom.Volume}), " +
                    "so --target is refused and Proxmox does not migrate a local cdrom image",
                    $"Put the image on shared storage, or empty the drive on VM {Id(sourceId)} (qm set {Id(sourceId)} --{cdrom.Key} none,media=cdrom), " +
                    $"or set VM {Id(spec.VmId)}'s node to '{sourceNode}'.");
            }
            if (full == false)
            {
                throw Refuse(spec, sourceId, sourceNode, targetNode, $"a linked clone of VM {Id(sourceId)}'s local volumes " +
                    $"({string.Join(", ", local.Select(d => d.Volume))}) cannot be migrated (it stays a clone of its base)",
                    "Deploy without -FullClone:$false (Phoenix then makes a full clone and migrates it), or put the source's disks on shared storage.");
            }
            var why = local.Count > 0
                ? $"VM {Id(sourceId)} has local volumes on node '{sourceNode}' ({string.Join(", ", local.Select(d => d.Volume))}), which --target refuses"
                : $"storage_pool '{storage}' is not shared, which --target refuses";
            return new NodePlacement(PlacementWay.CloneThenMigrate, sourceNode, targetNode,
                why + $", so it is cloned in full on '{sourceNode}' and migrated offline to '{targetNode}' (the new VM has no snapshot yet)");
        }

        /// <summary>
        /// The error for a VMID the run's listing shows on another node than the VM's (a VM or a container): Phoenix neither
        /// takes it over nor moves it unasked.
        /// </summary>
        public static PhoenixException OnOtherNode(VmSpec spec, string targetNode, ClusterResource found)
        {
            var what = found.IsContainer ? $"container '{found.Name}'" : $"VM '{found.Name ?? Id(spec.VmId)}'";
            var same = found.IsVm && spec.Name != null && string.Equals(found.Name, spec.Name, StringComparison.Ordinal);
            return new PhoenixException(PhoenixErrorKind.AlreadyExists, same ? ErrorIds.VmOnOtherNode : ErrorIds.VmIdTaken,
                $"VM {Id(spec.VmId)} ({spec.Name}) is to be on node '{targetNode}', but VMID {Id(spec.VmId)} is {what} on node '{found.Node}'. " +
                "Nothing was changed.", spec.VmId)
            {
                RecommendedAction = same
                    ? $"Set node to '{found.Node}' for VM {Id(spec.VmId)} in {VmProvisioner.Where(spec)}, or move it while it is stopped " +
                      $"(qm migrate {Id(spec.VmId)} {targetNode}, on node '{found.Node}') and deploy again."
                    : $"Give '{spec.Name}' a free VMID in the config (VMIDs are unique in the whole cluster).",
            };
        }

        private static PhoenixException Refuse(VmSpec spec, int sourceId, string sourceNode, string targetNode, string reason, string fix) =>
            new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.PlacementRefused,
                $"VM {Id(spec.VmId)} ({spec.Name}) is to be on node '{targetNode}', cloned from VM {Id(sourceId)} on node '{sourceNode}': {reason}. " +
                "Nothing was changed.", spec.VmId)
            { RecommendedAction = fix };

        private static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);
    }
}
