using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        private static readonly HashSet<string> NotInSnapshot = new HashSet<string>(StringComparer.Ordinal)
        {
            "snapstate", "snaptime", "vmstate", "lock", "digest", "description",
        };

        /// <summary>qm snapshot (Qemu.pm snapshot; AbstractConfig snapshot_create).</summary>
        public int QmSnapshot(CommandContext c)
        {
            var vmid = Vmid(c);
            var snapname = c.Get("snapname")!;
            if (snapname == "current") throw new PveDie("unable to use snapshot name 'current' (reserved name)");
            if (snapname.ToLowerInvariant() == "pending") throw new PveDie("unable to use snapshot name 'pending' (reserved name)");
            Node.LoadConfig(vmid);
            var description = c.Get("description");
            var saveVmstate = c.Flag("vmstate");
            return Task(c, upidExit: true, () =>
            {
                SimVmConfig conf;
                ConfigSection snap;
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    if (IsTemplate(conf)) throw new PveDie("you can't take a snapshot if it's a template");
                    CheckLock(conf);
                    if (conf.Snapshots.ContainsKey(snapname)) throw new PveDie($"snapshot name '{snapname}' already used");
                    var storage = Node.LoadStorage();
                    foreach (var d in Drives(conf.Main))
                    {
                        if (d.Value.IsCdrom) continue;
                        if (!StorageConfig.TryParseVolumeId(d.Value.File, out var sid, out var vn)) throw new PveDie("snapshot feature is not available");
                        var st = storage.Find(sid);
                        if (st == null || !StorageConfig.HasFeature(st, "snapshot", StorageConfig.ParseVolname(st, vn), null))
                            throw new PveDie("snapshot feature is not available");
                    }
                    foreach (var other in conf.Snapshots)
                    {
                        if (other.Value["parent"] == snapname)
                        {
                            c.Out.Append($"deleting parent '{snapname}' reference from '{other.Key}' to avoid bogus snapshot cycle.\n");
                            other.Value["parent"] = null;
                        }
                    }
                    conf["lock"] = "snapshot";
                    snap = new ConfigSection();
                    foreach (var kv in conf.Main.Values)
                    {
                        if (NotInSnapshot.Contains(kv.Key) || Regex.IsMatch(kv.Key, @"^unused\d+$")) continue;
                        snap[kv.Key] = kv.Value;
                    }
                    var running = Node.GetRuntime(vmid) != null;
                    if (saveVmstate && running)
                    {
                        var st = Node.LoadStorage().Find("local-lvm") ?? Node.LoadStorage().Storages.First(s => s.Content.Contains("images"));
                        var size = MemoryMiB(conf.Main) * 1024 * 1024 * 2;
                        var stateName = st.IsFileBased ? $"vm-{vmid}-state-{snapname}.raw" : $"vm-{vmid}-state-{snapname}";
                        var vid = Node.AllocVolume(st, vmid, "raw", stateName, size, new StringBuilder());
                        snap["vmstate"] = vid + ",size=" + Internal.PveText.FormatSize(size);
                        snap["runningmachine"] = "pc-i440fx-9.2+pve1";
                        snap["runningcpu"] = "kvm64,enforce,+kvm_pv_eoi,+kvm_pv_unhalt,+lahf_lm,+sep";
                    }
                    snap["snapstate"] = "prepare";
                    snap["snaptime"] = Node.Clock.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                    if (!string.IsNullOrEmpty(description)) snap.Description = description;
                    conf.Snapshots[snapname] = snap;
                    WriteConfig(vmid, conf);
                }
                Midway();

                var isRunning = Node.GetRuntime(vmid) != null;
                var freeze = isRunning && snap["vmstate"] == null && AgentAnswers(vmid, conf);
                if (isRunning && snap["vmstate"] != null)
                {
                    c.Out.Append("saving VM state and RAM using storage '").Append(snap["vmstate"]!.Split(':')[0]).Append("'\n");
                    c.Out.Append("completed saving the VM state in 1s, saved ")
                        .Append(Internal.PveText.RenderBytes(MemoryMiB(conf.Main) * 1024d * 1024 / 4)).Append('\n');
                }
                if (freeze) c.Out.Append("issuing guest-agent 'fs-freeze' command\n");
                Delay(c);
                foreach (var d in Drives(snap))
                {
                    if (d.Value.IsCdrom) continue;
                    c.Out.Append($"snapshotting 'drive-{d.Key}' ({d.Value.File})\n");
                    SnapshotVolume(d.Value.File, snapname, c.Out);
                }
                if (freeze) c.Out.Append("issuing guest-agent 'fs-thaw' command\n");

                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    if (conf["lock"] != "snapshot") throw new PveDie("missing snapshot lock");
                    if (!conf.Snapshots.TryGetValue(snapname, out var s)) throw new PveDie($"snapshot '{snapname}' does not exist");
                    s["snapstate"] = null;
                    conf["lock"] = null;
                    conf["parent"] = snapname;
                    WriteConfig(vmid, conf);
                }
                Runner.OnSnapshot(Node.Guest(vmid), snapname);
            });
        }

        private void SnapshotVolume(string volid, string snapname, StringBuilder output)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return;
            var st = Node.LoadStorage().Find(sid);
            if (st == null) return;
            Node.WithVolumes(sid, vols =>
            {
                if (vols.TryGetValue(volname, out var rec) && !rec.Snapshots.Contains(snapname)) rec.Snapshots.Add(snapname);
                return 0;
            });
            if (st.Type == "lvmthin")
            {
                var info = StorageConfig.ParseVolname(st, volname);
                output.Append($"  Logical volume \"snap_{info.Name}_{snapname}\" created.\n");
            }
        }

        /// <summary>qm delsnapshot (AbstractConfig snapshot_delete).</summary>
        public int QmDelSnapshot(CommandContext c)
        {
            var vmid = Vmid(c);
            var snapname = c.Get("snapname")!;
            // --force skips the replication check (the simulator has none) and turns storage errors into warnings.
            return Task(c, upidExit: true, () =>
            {
                var conf = Node.LoadConfig(vmid);
                if (!conf.Snapshots.ContainsKey(snapname)) throw new PveDie($"snapshot '{snapname}' does not exist");
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    CheckLock(conf);
                    conf["lock"] = "snapshot-delete";
                    WriteConfig(vmid, conf);
                }
                ConfigSection snap;
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    if (conf["lock"] != "snapshot-delete") throw new PveDie("encountered invalid lock, expected 'snapshot-delete'");
                    if (IsTemplate(conf)) throw new PveDie("you can't delete a snapshot if vm is a template");
                    if (!conf.Snapshots.TryGetValue(snapname, out snap!)) throw new PveDie($"snapshot '{snapname}' does not exist");
                    snap["snapstate"] = "delete";
                    WriteConfig(vmid, conf);
                }
                Midway();
                Delay(c);
                var force = c.Flag("force");
                var deletedVolumes = new List<string>();
                if (snap["vmstate"] is string vmstate)
                {
                    Node.FreeVolume(vmstate.Split(',')[0], c.Out);
                    if (!force) RemoveFromSnapshot(c, vmid, snapname, "vmstate");
                }
                foreach (var d in Drives(snap))
                {
                    if (d.Value.IsCdrom) continue;
                    try
                    {
                        DeleteVolumeSnapshot(d.Value.File, snapname, c.Out);
                        deletedVolumes.Add(d.Value.File);
                    }
                    catch (PveDie e) when (force)
                    {
                        // --force: the storage's error is a warning and the snapshot goes from the config anyway.
                        c.Out.Append(e.Message);
                    }
                    if (!force) RemoveFromSnapshot(c, vmid, snapname, d.Key);
                }
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    if (conf["lock"] != "snapshot-delete") throw new PveDie("encountered invalid lock, expected 'snapshot-delete'");
                    if (!conf.Snapshots.TryGetValue(snapname, out snap!)) throw new PveDie($"snapshot '{snapname}' does not exist");
                    var newParent = snap["parent"];
                    if (conf["parent"] == snapname) conf["parent"] = newParent;
                    foreach (var other in conf.Snapshots)
                    {
                        if (other.Key != snapname && other.Value["parent"] == snapname) other.Value["parent"] = newParent;
                    }
                    conf.Snapshots.Remove(snapname);
                    conf["lock"] = null;
                    // A volume only this snapshot still used becomes an unused disk (add_unused_volume; write_config
                    // drops the entry again for volumes the VM still has).
                    var attached = new HashSet<string>(Drives(conf.Main).Select(d => d.Value.File), StringComparer.Ordinal);
                    foreach (var volid in deletedVolumes.Where(v => !attached.Contains(v))) AddUnused(conf, volid);
                    WriteConfig(vmid, conf);
                }
                Runner.OnDeleteSnapshot(Node.Guest(vmid), snapname);
            });
        }

        /// <summary>
        /// snapshot_delete's remove_drive step (without --force): once a volume's snapshot is gone, the drive
        /// leaves the snapshot section (QemuConfig __snapshot_delete_remove_drive: vmstate is dropped, a disk
        /// becomes the section's unusedN), so a delete that fails half-way leaves an honest config.
        /// </summary>
        private void RemoveFromSnapshot(CommandContext c, int vmid, string snapname, string key)
        {
            using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                if (conf["lock"] != "snapshot-delete") throw new PveDie("encountered invalid lock, expected 'snapshot-delete'");
                if (!conf.Snapshots.TryGetValue(snapname, out var snap)) throw new PveDie($"snapshot '{snapname}' does not exist");
                if (key != "vmstate")
                {
                    if (!(snap[key] is string value) || !(DriveSpec.Parse(value) is DriveSpec d) || d.IsCdrom) return;
                    var holder = new SimVmConfig();
                    foreach (var kv in snap.Values.Where(kv => Regex.IsMatch(kv.Key, @"^unused\d+$"))) holder[kv.Key] = kv.Value;
                    AddUnused(holder, d.File);
                    foreach (var kv in holder.Main.Values) snap[kv.Key] = kv.Value;
                }
                snap[key] = null;
                WriteConfig(vmid, conf);
            }
        }

        /// <summary>
        /// The storage plugin's volume_snapshot_delete. A snapshot that the volume does not have (a snapshot
        /// cut off in its prepare step never reached the disks) fails with the storage tool's error.
        /// </summary>
        private void DeleteVolumeSnapshot(string volid, string snapname, StringBuilder output)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return;
            var st = Node.LoadStorage().Find(sid);
            if (st == null) return;
            var info = StorageConfig.ParseVolname(st, volname);
            var existed = Node.WithVolumes(sid, vols => vols.TryGetValue(volname, out var rec) && rec.Snapshots.Remove(snapname));
            if (!existed && Node.FindVolume(volid) != null) throw new PveDie(MissingSnapshotError(st, info, volname, snapname));
            if (st.Type == "lvmthin")
            {
                output.Append($"  Logical volume \"snap_{info.Name}_{snapname}\" successfully removed.\n");
            }
        }

        /// <summary>
        /// What the storage tool says about a snapshot that is not there, as run_command wraps it. LvmThinPlugin
        /// (errmsg "lvremove snapshot ... error") and ZFSPoolPlugin (errmsg "zfs error") are as in pve-storage; the
        /// tools' own texts (LVM's "Failed to find logical volume", zfs's and qemu-img's) are [UNVERIFIED].
        /// </summary>
        private static string MissingSnapshotError(StorageDef st, VolumeInfo info, string volname, string snapname)
        {
            switch (st.Type)
            {
                case "lvmthin":
                    var lv = $"{st.Get("vgname") ?? "pve"}/snap_{info.Name}_{snapname}";
                    return $"lvremove snapshot '{lv}' error:   Failed to find logical volume \"{lv}\"";
                case "zfspool":
                    return "zfs error: could not find any snapshots to destroy; check snapshot names.";
                default:
                    var path = StorageConfig.VolumePath(st, info);
                    return $"command '/usr/bin/qemu-img snapshot -d {snapname} {path}' failed: exit code 1";
            }
        }

        /// <summary>qm rollback (AbstractConfig snapshot_rollback): a running VM is stopped first.</summary>
        public int QmRollback(CommandContext c)
        {
            var vmid = Vmid(c);
            var snapname = c.Get("snapname")!;
            return Task(c, upidExit: true, () =>
            {
                ConfigSection snap;
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    var conf = Node.LoadConfig(vmid);
                    if (IsTemplate(conf)) throw new PveDie("you can't rollback if vm is a template");
                    if (!conf.Snapshots.TryGetValue(snapname, out snap!)) throw new PveDie($"snapshot '{snapname}' does not exist");
                    var storage = Node.LoadStorage();
                    foreach (var d in Drives(snap))
                    {
                        if (d.Value.IsCdrom) continue;
                        if (StorageConfig.TryParseVolumeId(d.Value.File, out var sid, out var vn) && storage.Find(sid) is StorageDef st && st.Type == "zfspool")
                        {
                            var rec = Node.FindVolume(d.Value.File);
                            if (rec != null && rec.Snapshots.Count > 0 && rec.Snapshots.Last() != snapname)
                                throw new PveDie($"can't rollback, '{snapname}' is not most recent snapshot on '{vn}'");
                        }
                    }
                    if (snap["snapstate"] is string state) throw new PveDie($"unable to rollback to incomplete snapshot (snapstate = {state})");
                    CheckLock(conf);
                    StopVm(vmid);
                    conf["lock"] = "rollback";
                    WriteConfig(vmid, conf);
                }
                Midway();
                Delay(c);
                foreach (var d in Drives(snap))
                {
                    if (d.Value.IsCdrom) continue;
                    RollbackVolume(d.Value.File, snapname, c.Out);
                }
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    var conf = Node.LoadConfig(vmid);
                    if (conf["lock"] != "rollback") throw new PveDie("got wrong lock");
                    snap = conf.Snapshots[snapname];
                    var newMain = new ConfigSection { Description = conf.Main.Description };
                    foreach (var kv in conf.Main.Values.Where(k => Regex.IsMatch(k.Key, @"^unused\d+$"))) newMain[kv.Key] = kv.Value;
                    var snapVolumes = new HashSet<string>(Drives(snap).Select(d => d.Value.File), StringComparer.Ordinal);
                    foreach (var d in Drives(conf.Main))
                    {
                        if (d.Value.IsCdrom || snapVolumes.Contains(d.Value.File)) continue;
                        var tmp = new SimVmConfig();
                        foreach (var kv in newMain.Values) tmp[kv.Key] = kv.Value;
                        AddUnused(tmp, d.Value.File);
                        foreach (var kv in tmp.Main.Values) newMain[kv.Key] = kv.Value;
                    }
                    foreach (var kv in snap.Values)
                    {
                        if (NotInSnapshot.Contains(kv.Key) || Regex.IsMatch(kv.Key, @"^unused\d+$")) continue;
                        if (kv.Key == "runningmachine" || kv.Key == "runningcpu") continue;
                        newMain[kv.Key] = kv.Value;
                    }
                    newMain["parent"] = snapname;
                    var rebuilt = new SimVmConfig();
                    foreach (var kv in newMain.Values) rebuilt[kv.Key] = kv.Value;
                    rebuilt.Main.Description = newMain.Description;
                    foreach (var s in conf.Snapshots) rebuilt.Snapshots[s.Key] = s.Value;
                    WriteConfig(vmid, rebuilt);
                    Runner.OnRollback(Node.Guest(vmid), snapname);
                    if (snap["vmstate"] != null)
                    {
                        Node.SetRuntime(vmid, new SimNode.Runtime { Pid = Node.NextPid(), StartedUnixMs = Node.Clock.UtcNow.ToUnixTimeMilliseconds() });
                    }
                }
                if (c.Flag("start") && Node.GetRuntime(vmid) == null) StartVm(c, vmid, false);
            });
        }

        private void RollbackVolume(string volid, string snapname, StringBuilder output)
        {
            if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) return;
            var st = Node.LoadStorage().Find(sid);
            if (st == null) return;
            if (st.Type == "lvmthin")
            {
                var info = StorageConfig.ParseVolname(st, volname);
                output.Append($"  Logical volume \"{info.Name}\" successfully removed.\n");
                output.Append($"  Logical volume \"{info.Name}\" created.\n");
            }
            if (st.Type == "zfspool")
            {
                Node.WithVolumes(sid, vols =>
                {
                    if (vols.TryGetValue(volname, out var rec))
                    {
                        var idx = rec.Snapshots.IndexOf(snapname);
                        if (idx >= 0) rec.Snapshots.RemoveRange(idx + 1, rec.Snapshots.Count - idx - 1);
                    }
                    return 0;
                });
            }
        }
    }
}
