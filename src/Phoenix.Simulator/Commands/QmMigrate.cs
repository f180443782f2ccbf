using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    /// <summary>
    /// qm migrate, offline (QS/API2/Qemu.pm migrate_vm 5560-5700, QS/QemuMigrate.pm, GC/AbstractMigrate.pm):
    /// the local disks are copied to the target node, the config moves there, the local copies are freed.
    /// A running VM (live migration) is not simulated.
    /// </summary>
    internal sealed partial class NodeCommands
    {
        /// <summary>The checks before the task, then the migration task itself.</summary>
        public int QmMigrate(CommandContext c)
        {
            var vmid = Vmid(c);
            var target = c.Get("target")!;
            if (target == Node.Name) throw new ParamException("target", "target is local node.");
            CheckQuorum();
            var member = Cluster.Member(target) ?? throw new PveDie($"no such cluster node '{target}'");
            var conf = Node.LoadConfig(vmid);
            CheckLock(conf);
            if (Node.GetRuntime(vmid) != null)
            {
                if (!c.Flag("online")) throw new PveDie("can't migrate running VM without --online");
                throw new PveDie("live migration is not simulated: stop the VM first (the simulator migrates offline only)");
            }
            if (c.Flag("online")) c.Err.Append("VM isn't running. Doing offline migration instead.\n");
            var storageCfg = Node.LoadStorage();
            var targetStorage = c.Get("targetstorage");
            if (targetStorage != null)
            {
                // Proxmox takes a storage map (`a:b,c:d`); the simulator maps every local disk to one storage.
                if (!Regex.IsMatch(targetStorage, @"^[a-z][a-z0-9\-_.]*[a-z0-9]$", RegexOptions.IgnoreCase))
                    throw new PveDie("the simulator takes --targetstorage as one storage ID only");
                var st = storageCfg.RequireEnabled(targetStorage, target);
                if (!st.Content.Contains("images")) throw new PveDie($"storage '{targetStorage}' does not support vm images");
            }
            else
            {
                // check_storage_availability (QemuServer.pm 2234-2258): the current config's volumes, on both nodes.
                foreach (var d in Drives(conf.Main))
                {
                    if (!StorageConfig.TryParseVolumeId(d.Value.File, out var sid, out var volname)) continue;
                    var st = storageCfg.RequireEnabled(sid, Node.Name);
                    storageCfg.RequireEnabled(sid, target);
                    var vtype = StorageConfig.ParseVolname(st, volname).VType;
                    if (!st.Content.Contains(vtype)) throw new PveDie($"{d.Value.File}: content type '{vtype}' is not available on storage '{sid}'");
                }
            }
            return Task(c, upidExit: true, () => new Migration(this, c, vmid, member, targetStorage).Run());
        }

        /// <summary>One offline migration: its log lines, what it copied, and its cleanup.</summary>
        private sealed class Migration
        {
            private readonly NodeCommands _cmd;
            private readonly CommandContext _c;
            private readonly int _vmid;
            private readonly SimClusterMember _target;
            private readonly string? _targetStorage;
            private readonly DateTimeOffset _start;
            private readonly SortedDictionary<string, LocalVolume> _local = new SortedDictionary<string, LocalVolume>(StringComparer.Ordinal);
            private readonly Dictionary<string, string> _copied = new Dictionary<string, string>(StringComparer.Ordinal);

            public Migration(NodeCommands cmd, CommandContext c, int vmid, SimClusterMember target, string? targetStorage)
            {
                _cmd = cmd;
                _c = c;
                _vmid = vmid;
                _target = target;
                _targetStorage = targetStorage;
                _start = cmd.Clock.UtcNow;
            }

            private SimNode Node => _cmd.Node;

            private SimNode TargetNode => _cmd.Cluster.Node(_target.Name);

            private sealed class LocalVolume
            {
                public string Ref = "attached";
                public string TargetStorage = "";
                public bool CloudInit;
                public bool VmState;
            }

            /// <summary>AbstractMigrate msg2text: every line `YYYY-MM-DD HH:MM:SS [ERROR: ]msg`, in the node's time zone.</summary>
            private void Log(string message, bool error = false)
            {
                var stamp = TimeZoneInfo.ConvertTime(_cmd.Clock.UtcNow, _cmd.NodeTimeZone()).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                foreach (var line in message.TrimEnd('\n').Split('\n'))
                {
                    _c.Out.Append(stamp).Append(error ? " ERROR: " : " ").Append(line).Append('\n');
                }
            }

            private string Duration()
            {
                var d = _cmd.Clock.UtcNow - _start;
                return $"{(int)d.TotalHours:00}:{d.Minutes:00}:{d.Seconds:00}";
            }

            public void Run()
            {
                try
                {
                    using (Node.LockConfig(_vmid, _c.Out, _c.Inv.Ct))
                    {
                        Prepare();
                        Phase1();
                        Phase3();
                    }
                }
                catch (PveDie e)
                {
                    Log($"migration aborted (duration {Duration()}): {e.Message.TrimEnd('\n')}", error: true);
                    throw new PveDie("migration aborted");
                }
                Log($"migration finished successfully (duration {Duration()})");
            }

            /// <summary>QemuMigrate prepare: the config again, every volume's storage on both nodes, the SSH test.</summary>
            private void Prepare()
            {
                var conf = Node.LoadConfig(_vmid);
                CheckLock(conf);
                if (Node.GetRuntime(_vmid) != null) throw new PveDie("can't migrate running VM without --online");
                var cfg = Node.LoadStorage();
                foreach (var volid in VolumeRefs(conf).Keys)
                {
                    if (!StorageConfig.TryParseVolumeId(volid, out var sid, out _)) continue;
                    var st = cfg.RequireEnabled(sid, Node.Name);
                    CheckOnTarget(cfg, st.Shared ? sid : _targetStorage ?? sid, volid);
                }
                if (!_cmd.IsOnline(_target.Name)) throw new PveDie("Can't connect to destination address using public key");
            }

            /// <summary>target_storage_check_available: enabled on the target node and holding that content type.</summary>
            private void CheckOnTarget(StorageConfig cfg, string targetSid, string volid)
            {
                var tst = cfg.RequireEnabled(targetSid, _target.Name);
                StorageConfig.TryParseVolumeId(volid, out var sid, out var volname);
                var vtype = StorageConfig.ParseVolname(cfg.Require(sid), volname).VType;
                if (!tst.Content.Contains(vtype)) throw new PveDie($"{volid}: content type '{vtype}' is not available on storage '{targetSid}'");
            }

            private void Phase1()
            {
                Log($"starting migration of VM {_vmid} to node '{_target.Name}' ({_target.Address})");
                var conf = Node.LoadConfig(_vmid);
                conf["lock"] = "migrate";
                _cmd.WriteConfig(_vmid, conf);
                _cmd.Midway();
                try
                {
                    ScanLocalVolumes(conf);
                    _cmd.Delay(_c);
                    CopyLocalVolumes();
                }
                catch (PveDie e)
                {
                    Log(e.Message, error: true);
                    Log("aborting phase 1 - cleanup resources");
                    conf = Node.LoadConfig(_vmid);
                    conf["lock"] = null;
                    _cmd.WriteConfig(_vmid, conf);
                    foreach (var copy in _copied.Values) TargetNode.FreeVolume(copy, new System.Text.StringBuilder());
                    throw;
                }
            }

            /// <summary>
            /// PVE::QemuServer::foreach_volid: each volume once, with what refers to it (the VM, a snapshot, an
            /// unused entry, pending, vmstate) and whether every reference is a CD-ROM.
            /// </summary>
            private static SortedDictionary<string, VolumeAttr> VolumeRefs(SimVmConfig conf)
            {
                var res = new SortedDictionary<string, VolumeAttr>(StringComparer.Ordinal);
                void Add(string key, string volid, bool cdrom, bool cloudInit, string? snapshot, bool pending)
                {
                    if (!res.TryGetValue(volid, out var a)) res[volid] = a = new VolumeAttr();
                    a.Cdrom &= cdrom;
                    a.CloudInit |= cloudInit;
                    if (Regex.IsMatch(key, @"^unused\d+$")) a.Unused = true;
                    if (!a.Unused && snapshot == null && !pending) a.Attached = true;
                    if (snapshot != null) a.Snapshots.Add(snapshot);
                    if (pending) a.Pending = true;
                    if (key == "vmstate") a.VmState = true;
                    if (key == "tpmstate0") a.TpmState = true;
                }
                void Section(ConfigSection s, string? snapshot, bool pending)
                {
                    foreach (var d in Drives(s)) Add(d.Key, d.Value.File, d.Value.IsCdrom, d.Value.IsCloudInit, snapshot, pending);
                    foreach (var d in UnusedDrives(s)) Add(d.Key, d.Value.File, false, false, snapshot, pending);
                    if (s["vmstate"] is string vs) Add("vmstate", vs.Split(',')[0], false, false, snapshot, pending);
                }
                Section(conf.Main, null, false);
                if (conf.Pending != null) Section(conf.Pending, null, true);
                foreach (var s in conf.Snapshots) Section(s.Value, s.Key, false);
                return res;
            }

            private sealed class VolumeAttr
            {
                public bool Cdrom = true;
                public bool CloudInit;
                public bool Unused;
                public bool Attached;
                public bool Pending;
                public bool VmState;
                public bool TpmState;
                public SortedSet<string> Snapshots = new SortedSet<string>(StringComparer.Ordinal);
            }

            /// <summary>QemuMigrate scan_local_volumes (370-606): which disks go along, and what stops the migration.</summary>
            private void ScanLocalVolumes(SimVmConfig conf)
            {
                var cfg = Node.LoadStorage();
                var errors = new SortedDictionary<string, string>(StringComparer.Ordinal);
                var other = new List<string>();
                foreach (var kv in VolumeRefs(conf))
                {
                    try
                    {
                        TestVolume(cfg, kv.Key, kv.Value, other);
                    }
                    catch (PveDie e)
                    {
                        errors[kv.Key] = e.Message.TrimEnd('\n');
                    }
                }
                foreach (var kv in _local)
                {
                    var vol = kv.Key;
                    switch (kv.Value.Ref)
                    {
                        case "unused": Log($"found local disk '{vol}' (unused)"); break;
                        case "snapshot": Log($"found local disk '{vol}' (referenced by snapshot(s))"); break;
                        case "pending": Log($"found local disk '{vol}' (pending change)"); break;
                        case "generated": Log($"found generated disk '{vol}' (in current VM config)"); break;
                        default: Log($"found local disk '{vol}' (attached)"); break;
                    }
                }
                foreach (var e in errors) Log($"can't migrate local disk '{e.Key}': {e.Value}");
                foreach (var e in other) Log(e);
                if (errors.Count > 0 || other.Count > 0) throw new PveDie("Problem found while scanning volumes - can't migrate VM - check log");
                foreach (var volid in _local.Keys)
                {
                    StorageConfig.TryParseVolumeId(volid, out var sid, out var volname);
                    var st = cfg.Require(sid);
                    if (!Regex.IsMatch(st.Type, "^(dir|btrfs|zfspool|lvmthin|lvm)$"))
                        throw new PveDie($"Problem found while scanning volumes - can't migrate '{volid}' - storage type '{st.Type}' not supported");
                    // A die without a newline: Perl adds where it happened (the line of qemu-server 9.2.6).
                    if (StorageConfig.ParseVolname(st, volname).BaseName is string baseName)
                    {
                        throw new PveDie($"Problem found while scanning volumes - can't migrate '{volid}' as it's a clone of '{baseName}'"
                            + " at /usr/share/perl5/PVE/QemuMigrate.pm line 586.");
                    }
                }
            }

            private void TestVolume(StorageConfig cfg, string volid, VolumeAttr attr, List<string> other)
            {
                if (attr.Cdrom && volid == "cdrom")
                {
                    other.Add("can't migrate local cdrom drive" + (attr.Snapshots.Count > 0 && !attr.Attached
                        ? " (referenced in snapshot - " + string.Join(", ", attr.Snapshots) + ")" : ""));
                    return;
                }
                if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) throw new PveDie("local file/device");
                var st = cfg.RequireEnabled(sid, Node.Name);
                var targetSid = st.Shared ? sid : _targetStorage ?? sid;
                CheckOnTarget(cfg, targetSid, volid);
                if (st.Shared) return;
                var local = new LocalVolume { TargetStorage = targetSid, CloudInit = attr.CloudInit, VmState = attr.VmState };
                // The last reference that applies names it (pending < snapshot < unused < attached < generated).
                if (attr.Pending) local.Ref = "pending";
                if (attr.Snapshots.Count > 0) local.Ref = "snapshot";
                if (attr.Unused) local.Ref = "unused";
                if (attr.Attached) local.Ref = "attached";
                if (attr.TpmState) local.Ref = "generated";
                _local[volid] = local;
                var info = StorageConfig.ParseVolname(st, volname);
                if (attr.Cdrom)
                {
                    if (Regex.IsMatch(volid, @"vm-\d+-cloudinit"))
                    {
                        local.Ref = "generated";
                        return;
                    }
                    throw new PveDie("local cdrom image");
                }
                if (info.OwnerVmid != _vmid) throw new PveDie($"owned by other VM (owner = VM {info.OwnerVmid})");
                if (attr.VmState) return;
                if (attr.Snapshots.Count > 0 && !(st.Type == "zfspool" || (st.Type == "btrfs" && info.Format == "raw") || info.Format == "qcow2"))
                    throw new PveDie("non-migratable snapshot exists");
                if (Node.VolumeIsBaseAndUsed(volid)) throw new PveDie("referenced by linked clone(s)");
            }

            /// <summary>sync_offline_local_volumes: each local disk copied with storage_migrate, its name kept.</summary>
            private void CopyLocalVolumes()
            {
                if (_local.Count > 0) Log("copying local disk images");
                var cfg = TargetNode.LoadStorage();
                foreach (var kv in _local)
                {
                    StorageConfig.TryParseVolumeId(kv.Key, out var sid, out var volname);
                    var source = Node.LoadStorage().Require(sid);
                    var dest = cfg.Require(kv.Value.TargetStorage);
                    var rec = Node.FindVolume(kv.Key) ?? new SimNode.VolumeRecord();
                    var output = new System.Text.StringBuilder();
                    string newVolid;
                    if (dest.Type == source.Type)
                    {
                        // Same plugin: the same volume name on the target (storage_migrate, ST/Storage.pm 917-1075).
                        TargetNode.WithVolumes(dest.Id, vols =>
                        {
                            if (vols.ContainsKey(volname)) throw new PveDie($"volume '{dest.Id}:{volname}' already exists");
                            vols[volname] = new SimNode.VolumeRecord
                            {
                                Size = rec.Size, Format = rec.Format, Parent = rec.Parent,
                                Snapshots = source.Type == "zfspool" || rec.Format == "qcow2" ? rec.Snapshots.ToList() : new List<string>(),
                            };
                            return 0;
                        });
                        newVolid = dest.Id + ":" + volname;
                        if (dest.Type == "lvmthin" || dest.Type == "lvm")
                            output.Append($"  Logical volume \"{StorageConfig.ParseVolname(dest, volname).Name}\" created.\n");
                    }
                    else
                    {
                        // Another plugin: a new name there, except that cloud-init and vmstate volumes keep theirs.
                        var format = dest.IsFileBased ? rec.Format : "raw";
                        var plain = Regex.Replace(StorageConfig.ParseVolname(source, volname).Name, @"\.(raw|qcow2|vmdk)$", "");
                        var keepName = kv.Value.CloudInit || kv.Value.VmState ? (dest.IsFileBased ? $"{plain}.{format}" : plain) : null;
                        newVolid = TargetNode.AllocVolume(dest, _vmid, format, keepName, rec.Size, output);
                    }
                    _copied[kv.Key] = newVolid;
                    // The storage tools' own lines on the target ([UNVERIFIED] text), each logged.
                    foreach (var line in output.ToString().Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries)) Log(line);
                    Log($"successfully imported '{newVolid}'");
                    Log($"volume '{kv.Key}' is '{newVolid}' on the target");
                }
            }

            /// <summary>
            /// phase3_cleanup: new volume IDs into the config, the config moved to the target (it owns the VM from
            /// now on), the local copies freed, the migrate lock cleared on the target (`qm unlock` there).
            /// </summary>
            private void Phase3()
            {
                var conf = Node.LoadConfig(_vmid);
                if (_copied.Any(kv => kv.Key != kv.Value))
                {
                    var text = conf.Write();
                    foreach (var kv in _copied.Where(kv => kv.Key != kv.Value))
                        text = Regex.Replace(text, "(?m)(: |=)" + Regex.Escape(kv.Key) + "(?=,|$)", "${1}" + kv.Value.Replace("$", "$$"));
                    conf = SimVmConfig.Parse(text);
                    _cmd.WriteConfig(_vmid, conf);
                }
                TargetNode.WriteRawConfig(_vmid, conf.Write());
                Node.DeleteConfig(_vmid);
                Node.Store.DeleteTree($"/var/lib/phoenix-sim/cloudinit/{_vmid}");
                foreach (var volid in _local.Keys) Node.FreeVolume(volid, _c.Out);
                var moved = TargetNode.LoadConfig(_vmid);
                moved["lock"] = null;
                TargetNode.WriteConfig(_vmid, moved);
            }
        }
    }
}
