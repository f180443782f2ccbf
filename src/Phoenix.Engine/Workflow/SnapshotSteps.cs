using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;

namespace Phoenix.Engine.Workflow
{
    /// <summary>
    /// The snapshots a deploy takes: which names are Phoenix's, taking one that is missing, retaking a final snapshot
    /// that features have made older than the VM (<c>-RefreshSnapshot</c>; only one that is stale, so a run that always passes
    /// the switch converges), and clearing a snapshot an interrupted run
    /// left half-made (Proxmox leaves <c>snapstate: prepare</c> and <c>lock: snapshot</c> when <c>qm snapshot</c> is cut off).
    /// </summary>
    public static class SnapshotSteps
    {
        /// <summary>The snapshot before the features, when asked for.</summary>
        public static string? PreFeaturesName(VmSpec spec) =>
            spec.Snapshots.PreFeatures ? spec.Snapshots.PreFeaturesName ?? VmSnapshotSettings.DefaultPreFeaturesName : null;

        /// <summary>The snapshots after the features: post-features and template_snapshot_name, without repeats.</summary>
        public static IReadOnlyList<string> FinalNames(VmSpec spec)
        {
            var names = new List<string>();
            if (spec.Snapshots.PostFeatures) names.Add(spec.Snapshots.PostFeaturesName ?? VmSnapshotSettings.DefaultPostFeaturesName);
            if (!string.IsNullOrEmpty(spec.TemplateSnapshotName) && !names.Contains(spec.TemplateSnapshotName!)) names.Add(spec.TemplateSnapshotName!);
            return names;
        }

        /// <summary>Every snapshot name the config has Phoenix take on the VM.</summary>
        public static IReadOnlyList<string> PhoenixNames(VmSpec spec) =>
            (PreFeaturesName(spec) is string pre ? new[] { pre } : Array.Empty<string>()).Concat(FinalNames(spec)).Distinct().ToList();

        /// <summary>True when <paramref name="snapshots"/> (from <c>qm listsnapshot</c>) holds <paramref name="name"/>.</summary>
        public static bool Has(IReadOnlyList<SnapshotInfo> snapshots, string name) => snapshots.Any(s => !s.IsCurrent && s.Name == name);

        /// <summary>Takes snapshot <paramref name="name"/> unless <paramref name="snapshots"/>, read this run, holds it.</summary>
        public static async Task<StepOutcome> EnsureAsync(ProxmoxHost host, int vmId, string name, string description,
            IReadOnlyList<SnapshotInfo> snapshots, CancellationToken ct)
        {
            if (ProxmoxNames.ValidateSnapshotName(name) is string reason)
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.InvalidSnapshotName, $"VM {vmId}: {reason}.", vmId);
            if (Has(snapshots, name)) return StepOutcome.Unchanged($"snapshot '{name}' exists");
            await host.SnapshotAsync(vmId, name, description, cancellationToken: ct).ConfigureAwait(false);
            return StepOutcome.Of($"snapshot '{name}'");
        }

        /// <summary>
        /// Why snapshot <paramref name="name"/> of <paramref name="spec"/>'s VM cannot be deleted and taken again where
        /// Proxmox would refuse it, or null: a disk of the VM lies on a storage that cannot take snapshots (deleting it could
        /// not be undone), or on one where a linked clone made from the snapshot holds on to it (Ceph RBD: the snapshot is
        /// protected while it has clones) and a VM of the file is such a clone. A linked clone on LVM-thin does not hold on to
        /// it: <c>qm delsnapshot</c> runs lvremove and a thin snapshot outlives its origin; directory and ZFS storages make
        /// linked clones of base volumes only, never of a snapshot (proxmox-behaviour, qm clone).
        /// </summary>
        public static async Task<string?> RefreshRefusalAsync(ProxmoxHost host, VmSpec spec, string name, VmConfig config,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, CancellationToken ct)
        {
            var disks = config.Disks.Where(d => !d.IsCdrom && !d.IsCloudInit && !d.IsUnused).ToList();
            if (disks.Count == 0) return null;
            var storages = await host.StorageStatusAsync(cancellationToken: ct).ConfigureAwait(false);
            var holding = false;
            foreach (var d in disks)
            {
                var storage = storages.FirstOrDefault(s => s.Name == d.StorageId);
                if (storage == null) return $"{d.Key} is on storage '{d.StorageId}', which the host does not list";
                if (!CanSnapshot(storage.Type, d.Volume))
                    return $"{d.Key} ({d.Volume}) is on storage '{storage.Name}' of type {storage.Type}, which cannot take a snapshot of it, so the " +
                        "snapshot could not be taken again once deleted";
                holding |= storage.Type == "rbd";
            }
            if (!holding) return null;
            var linked = fileVms.Values.Where(v => v.VmId != spec.VmId && !v.IsTemplate && options.FullClone == false)
                .Where(v =>
                {
                    var source = VmProvisioner.ResolveSource(v, fileVms, options);
                    return source.VmId == spec.VmId && source.Snapshot == name;
                }).Select(v => v.VmId.ToString(CultureInfo.InvariantCulture)).ToList();
            if (linked.Count > 0)
                return $"VM {string.Join(", ", linked)} {(linked.Count == 1 ? "is a linked clone" : "are linked clones")} of snapshot '{name}' on " +
                    "Ceph RBD, which keeps the snapshot protected while it has clones, so Proxmox cannot delete it";
            return null;
        }

        // PVE::Storage volume_has_feature(snapshot): thin LVM, ZFS, Ceph RBD and btrfs take snapshots; file storages only of qcow2.
        private static bool CanSnapshot(string type, string? volume)
        {
            switch (type)
            {
                case "lvmthin":
                case "zfspool":
                case "rbd":
                case "btrfs":
                    return true;
                case "dir":
                case "nfs":
                case "cifs":
                case "glusterfs":
                case "cephfs":
                    return volume != null && volume.EndsWith(".qcow2", StringComparison.Ordinal);
                default:
                    return false;
            }
        }

        /// <summary>
        /// True when the guest's feature record (<see cref="FeatureStateFile.Path"/>, rewritten by rename each time a feature succeeds there) is
        /// younger than snapshot <paramref name="name"/>: features ran after it was taken, in an earlier run (that run warned). Read-only commands,
        /// so -WhatIf runs them for real: the snapshot's section of <c>qm config --snapshot</c> for its <c>snaptime</c>, and the file's time in the
        /// guest (<c>stat -c %Y</c>, started with <c>--synchronous 0</c> and its end asked for at once). False when either cannot be read (no record,
        /// no snaptime): nothing shows the snapshot is stale, so it is left as it is. Both times are seconds since the epoch; the guest's clock is
        /// taken to agree with the host's. A record written within the snapshot's own second is taken as older (the snapshot of a deploy follows its
        /// features within that second as a rule), so features that ran and ended in that same second after the snapshot are not seen.
        /// </summary>
        public static async Task<bool> FeaturesRanSinceAsync(ProxmoxHost host, int vmId, string name, TimeSpan limit, CancellationToken ct)
        {
            var section = await host.GetVmConfigAsync(vmId, snapshot: name, cancellationToken: ct).ConfigureAwait(false);
            if (!long.TryParse(section["snaptime"] ?? "", NumberStyles.None, CultureInfo.InvariantCulture, out var taken)) return false;
            var read = await host.GuestExecAsync(vmId, new[] { "stat", "-c", "%Y", FeatureStateFile.Path },
                new GuestExecOptions
                {
                    ReadOnly = true, Synchronous = false, FollowStarted = true, FollowLimit = limit, Description = "read the time of " + FeatureStateFile.Path,
                },
                ct).ConfigureAwait(false);
            if (read.IsPlanned || !read.Exited || read.ExitCode != 0) return false;
            var text = System.Text.Encoding.UTF8.GetString(GuestScripts.ToGuestBytes(read.OutData)).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var written) && written > taken;
        }

        /// <summary>
        /// Deletes snapshot <paramref name="name"/> and takes it again, so it holds what the features did since it was taken.
        /// Refused (a warning, the snapshot kept) where Proxmox would refuse (<see cref="RefreshRefusalAsync"/>).
        /// </summary>
        public static async Task<StepOutcome> RefreshAsync(ProxmoxHost host, VmSpec spec, string name, string description, VmConfig config,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, CancellationToken ct)
        {
            var refusal = await RefreshRefusalAsync(host, spec, name, config, fileVms, options, ct).ConfigureAwait(false);
            if (refusal != null)
                return new StepOutcome(Array.Empty<string>(), Array.Empty<string>(), new[]
                {
                    $"VM {spec.VmId} ({spec.Name}): -RefreshSnapshot does not retake snapshot '{name}': {refusal}. It stays as it was taken.",
                });
            await host.DeleteSnapshotAsync(spec.VmId, name, cancellationToken: ct).ConfigureAwait(false);
            await host.SnapshotAsync(spec.VmId, name, description, cancellationToken: ct).ConfigureAwait(false);
            return StepOutcome.Of($"snapshot '{name}' taken again (-RefreshSnapshot)");
        }

        /// <summary>
        /// A VM locked by a snapshot (<c>lock: snapshot</c> or <c>snapshot-delete</c>) whose snapshot of one of Phoenix's names
        /// is half-made (<c>snapstate</c> set): such a snapshot does not count as taken. A young one (begun less than the host's
        /// lock wait ago) may belong to a <c>qm snapshot</c> still running: its lock is waited out up to that limit, and a task
        /// that ends leaves nothing to clear. Once it is older than the lock wait (no <c>qm snapshot</c> without RAM takes that
        /// long, so nothing is still making it), it is removed as Proxmox allows,
        /// <c>qm unlock</c> then <c>qm delsnapshot --force</c>, and the deploy takes it again. A lock Phoenix cannot tie to a
        /// half-made snapshot of its own is an error that says what those commands would do. Returns null when the VM has no
        /// such lock; otherwise what was done, and whether the snapshot list must be read again.
        /// </summary>
        public static async Task<StepOutcome?> ClearHalfMadeAsync(ProxmoxHost host, VmSpec spec, VmConfig config, CancellationToken ct)
        {
            var vmLock = config.Lock;
            if (vmLock != "snapshot" && vmLock != "snapshot-delete") return null;
            var id = spec.VmId;
            var label = $"VM {id} ({config.Name ?? spec.Name})";
            var names = PhoenixNames(spec);
            var listed = await host.ListSnapshotsAsync(id, ct).ConfigureAwait(false);
            string? half = null, state = null;
            long? snaptime = null;
            foreach (var s in listed.Where(s => !s.IsCurrent && names.Contains(s.Name)))
            {
                var section = await host.GetVmConfigAsync(id, snapshot: s.Name, cancellationToken: ct).ConfigureAwait(false);
                if (section["snapstate"] is not string st) continue;
                half = s.Name;
                state = st;
                snaptime = long.TryParse(section["snaptime"] ?? "", NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : (long?)null;
                break;
            }
            if (half == null)
            {
                // No snapshot of Phoenix's is half-made: the task that held the lock may have ended since the config was read (a
                // snapshot's lock and snapstate go in one write), or another task runs. Its lock is waited out as any other.
                if (!host.IsDryRun)
                {
                    var now = await host.WaitWhileLockedAsync(id, config, ct).ConfigureAwait(false) ?? throw Removed(label, id);
                    if (now.Lock != vmLock) return StepOutcome.Unchanged($"the snapshot task that held {label} ({vmLock}) has finished");
                }
                throw new PhoenixException(PhoenixErrorKind.InvalidOperation, ErrorIds.SnapshotLocked,
                    $"{label} is locked ({vmLock}) after Phoenix waited {ProxmoxError.FormatDuration(host.RetryPolicy.TotalLimit)} for the lock " +
                        $"to go, and no snapshot Phoenix takes on it ({(names.Count == 0 ? "none" : string.Join(", ", names))}) is " +
                        "half-made, so the lock belongs to a task still running or to a snapshot someone else took. Phoenix leaves it alone.", id)
                {
                    RecommendedAction = $"Check that no snapshot task of VM {id} is running (ps -ef | grep 'qm snapshot'). If none is, `qm unlock {id}` " +
                        $"removes the lock; a snapshot left half-made (a snapstate line in `qm config {id} --snapshot <name>`) then goes with " +
                        $"`qm delsnapshot {id} <name> --force`, which also removes whatever disk snapshots it had made. Then deploy again.",
                };
            }

            if (!host.IsDryRun && snaptime is long started)
            {
                var age = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(started);
                var left = host.RetryPolicy.TotalLimit - age;
                if (left > TimeSpan.Zero)
                {
                    // Begun less than the lock wait ago: a qm snapshot of another process may still be at work. Its lock is
                    // waited out as any other lock (qm config after each backoff, -LockWaitSec counted from the snapshot's start);
                    // a task that ends (its lock gone: the snapshot complete, or removed by its own cleanup) leaves nothing to clear.
                    var now = await host.WaitWhileLockedAsync(id, config, ct, left).ConfigureAwait(false) ?? throw Removed(label, id);
                    if (now.Lock != vmLock)
                        return StepOutcome.Unchanged($"the snapshot task that held {label} ({vmLock}) has finished");
                }
            }
            await host.ExecuteAsync(QmCommand.Unlock(id), id, ct).ConfigureAwait(false);
            await host.DeleteSnapshotAsync(id, half, force: true, cancellationToken: ct).ConfigureAwait(false);
            return StepOutcome.Of($"removed snapshot '{half}', left half-made (snapstate {state}, lock {vmLock}) by an interrupted run: qm unlock, " +
                "qm delsnapshot --force; it is taken again");
        }

        private static PhoenixException Removed(string label, int id) =>
            new PhoenixException(PhoenixErrorKind.NotFound, ErrorIds.VmNotFound, $"{label} was removed while Phoenix waited for its snapshot lock to go.", id)
            { RecommendedAction = "Find out who removed it, then deploy again to make it anew." };
    }
}
