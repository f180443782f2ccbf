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
        private static readonly HashSet<string> NotCloned = new HashSet<string>(StringComparer.Ordinal)
        {
            "parent", "snaptime", "vmstate", "snapstate", "runningcpu", "runningmachine", "running-nets-host-mtu",
        };

        private sealed class ClonePlan
        {
            public SimVmConfig Source = new SimVmConfig();
            public ConfigSection Old = new ConfigSection();
            public SimVmConfig New = new SimVmConfig();
            public SortedDictionary<string, DriveSpec> Drives = new SortedDictionary<string, DriveSpec>(StringComparer.Ordinal);
            public HashSet<string> Full = new HashSet<string>(StringComparer.Ordinal);
        }

        /// <summary>qm clone (Qemu.pm clone_vm): checks before the task and again inside it, under the locks.</summary>
        public int QmClone(CommandContext c)
        {
            var vmid = Vmid(c);
            var newid = Vmid(c, "newid");
            var target = c.Get("target");
            if (target != null && (target == Node.Name || target == "localhost")) target = null;
            // check_running first (QemuConfig assert_config_exists_on_node): a clone runs on the source's node.
            if (!Node.ConfigExists(vmid)) throw new PveDie($"unable to find configuration file for VM {vmid} on node '{Node.Name}'");
            var running = Node.GetRuntime(vmid) != null;

            LoadAndCheckClone(c, vmid, newid, target, running);

            return Task(c, upidExit: true, () =>
            {
                var timeout = Node.Settings.CloneLockTimeout;
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct, timeout, shared: !running))
                using (Node.LockConfig(newid, c.Out, c.Inv.Ct, timeout))
                {
                    var plan = LoadAndCheckClone(c, vmid, newid, target, running);
                    CloneWork(c, vmid, newid, plan, running);
                }
            });
        }

        private ClonePlan LoadAndCheckClone(CommandContext c, int vmid, int newid, string? target, bool running)
        {
            if (c.Get("pool") is string pool) throw new HttpException(403, $"Permission check failed (pool '{pool}' does not exist)");
            if (target != null && Cluster.Member(target) == null) throw new PveDie($"no such cluster node '{target}'");
            var storageCfg = Node.LoadStorage();
            var storage = c.Get("storage");
            if (storage != null)
            {
                var st = storageCfg.RequireEnabled(storage, Node.Name);
                if (!st.Content.Contains("images")) throw new ParamException("storage", $"storage '{storage}' does not support vm images");
                if (target != null)
                {
                    storageCfg.RequireEnabled(storage, target);
                    if (!st.Shared) throw new PveDie($"can't clone to non-shared storage '{storage}'");
                }
            }
            CheckQuorum();
            var plan = new ClonePlan { Source = Node.LoadConfig(vmid) };
            CheckLock(plan.Source);
            if ((Node.GetRuntime(vmid) != null) != running) throw new PveDie("unexpected state change");
            var snapname = c.Get("snapname");
            if (snapname != null && !plan.Source.Snapshots.ContainsKey(snapname)) throw new PveDie($"snapshot '{snapname}' does not exist");
            var full = c.Get("full") is string fs ? fs == "1" : !IsTemplate(plan.Source);
            if (storage != null && !full) throw new PveDie("parameter 'storage' not allowed for linked clones");
            if (c.Get("format") != null && !full) throw new PveDie("parameter 'format' not allowed for linked clones");
            plan.Old = snapname != null ? plan.Source.Snapshots[snapname] : plan.Source.Main;
            // $check_storage_access_clone: every disk and CD-ROM image (not 'none', not the host's 'cdrom') on
            // a shared storage, checked on the source's storages (so --storage does not get round it).
            var sharedVm = Drives(plan.Old).All(d => !StorageConfig.TryParseVolumeId(d.Value.File, out var sid, out _) || storageCfg.Require(sid).Shared);
            if (target != null && !sharedVm) throw new PveDie($"can't clone VM to node '{target}' (VM uses local storage)");
            if (Node.ConfigExists(newid)) throw new PveDie($"unable to create VM {newid}: config file already exists");

            plan.New["lock"] = "clone";
            var keys = plan.Old.Values.Keys.ToList();
            if (plan.Old.Description != null) keys.Add("description");
            foreach (var opt in keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                if (NotCloned.Contains(opt) || Regex.IsMatch(opt, @"^unused\d+$")) continue;
                if (opt == "description")
                {
                    plan.New.Main.Description = plan.Old.Description;
                    continue;
                }
                var value = plan.Old[opt]!;
                if (full && running && snapname == null && opt == "tpmstate0") throw new PveDie("cannot clone TPM state while VM is running");
                if (Regex.IsMatch(opt, @"^net\d+$"))
                {
                    var net = NetSpec.Parse(value, out _);
                    if (net != null)
                    {
                        net.Mac = Node.NewMac();
                        value = net.ToString();
                    }
                    plan.New[opt] = value;
                }
                else if (DriveSpec.IsDriveName(opt))
                {
                    var drive = DriveSpec.Parse(value) ?? throw new PveDie($"unable to parse drive options for '{opt}'");
                    if (drive.IsCdrom && !drive.IsCloudInit)
                    {
                        plan.New[opt] = value;
                        continue;
                    }
                    var volid = drive.File;
                    var msg = "clone feature is not supported for" + (snapname != null ? " a snapshot of" : "") + $" '{volid}' ({opt})";
                    if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) throw new PveDie("Full " + msg);
                    var st = storageCfg.Require(sid);
                    var info = StorageConfig.ParseVolname(st, volname);
                    if (full || drive.IsCloudInit || opt == "tpmstate0")
                    {
                        if (!StorageConfig.HasFeature(st, "copy", info, snapname)) throw new PveDie("Full " + msg);
                        plan.Full.Add(opt);
                    }
                    else
                    {
                        if (!StorageConfig.HasFeature(st, "clone", info, snapname)) throw new PveDie("Linked " + msg);
                    }
                    plan.Drives[opt] = drive;
                }
                else
                {
                    plan.New[opt] = value;
                }
            }
            return plan;
        }

        private void CloneWork(CommandContext c, int vmid, int newid, ClonePlan plan, bool running)
        {
            var output = c.Out;
            var snapname = c.Get("snapname");
            output.Append($"creating a clone of VM {vmid} with ID {newid}\n");
            var newconf = plan.New;
            var smbios = newconf["smbios1"] ?? "";
            var smbiosParts = smbios.Split(',').Where(p => p.Length > 0 && !p.StartsWith("uuid=", StringComparison.Ordinal)).ToList();
            smbiosParts.Insert(0, "uuid=" + Node.NewUuid());
            newconf["smbios1"] = string.Join(",", smbiosParts);
            if (newconf["vmgenid"] != null) newconf["vmgenid"] = Node.NewUuid();
            newconf["template"] = null;
            newconf["name"] = c.Get("name") ?? "Copy-of-VM-" + (plan.Old["name"] ?? vmid.ToString(CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(c.Get("description"))) newconf.Main.Description = c.Get("description");

            // pmxcfs refuses a config for an ID that another node (or a container) has: EEXIST on the rename
            // that ends file_set_contents (pmxcfs memdb.c memdb_rename, pve-common File.pm 97-100).
            if (Cluster.FindGuest(newid) is var other && other != null && !(other.Value.Type == "qemu" && other.Value.Node == Node.Name))
                throw new PveDie($"close (rename) atomic file '/etc/pve/{Node.CfsPath(newid)}' failed: File exists");
            WriteRawConfig(newid, "# qmclone temporary file\nlock: clone\n");
            var newVolumes = new List<string>();
            try
            {
                Delay(c);
                var storageCfg = Node.LoadStorage();
                foreach (var kv in plan.Drives)
                {
                    var newDrive = CloneDisk(c, vmid, newid, kv.Key, kv.Value, plan.Full.Contains(kv.Key), snapname, storageCfg, newVolumes);
                    newconf[kv.Key] = newDrive.ToString();
                    WriteConfig(newid, newconf);
                    Midway();
                }
                Midway();
                newconf["lock"] = null;
                if (snapname == null && plan.Source.Pending != null && plan.Source.Pending.Values.Count > 0)
                {
                    var pending = string.Join(",", plan.Source.Pending.Values.Keys.OrderBy(k => k, StringComparer.Ordinal));
                    output.Append($"found pending changes for '{pending}', discarding for clone\n");
                }
                WriteConfig(newid, newconf);
                var target = c.Get("target") is string t && t != Node.Name && t != "localhost" ? t : null;
                if (target != null)
                {
                    // With --target the finished config moves into the target's folder: that node owns the VM now.
                    Cluster.Node(target).WriteRawConfig(newid, Node.ReadConfigText(newid)!);
                    Node.DeleteConfig(newid);
                }
                Runner.OnClone(Node.Guest(vmid), snapname, Node.Guest(newid));
            }
            catch (Exception e) when (e is PveDie || e is ParamException)
            {
                foreach (var volid in newVolumes) Node.FreeVolume(volid, new StringBuilder());
                DeleteConfig(newid);
                var msg = e is PveDie d ? d.Message : ((ParamException)e).Render();
                throw new PveDie("clone failed: " + msg);
            }
        }

        /// <summary>clone_disk: a full copy, a linked clone, or a fresh cloud-init volume.</summary>
        private DriveSpec CloneDisk(CommandContext c, int vmid, int newid, string opt, DriveSpec drive, bool full, string? snapname,
            StorageConfig cfg, List<string> newVolumes)
        {
            var output = c.Out;
            StorageConfig.TryParseVolumeId(drive.File, out var sid, out var volname);
            var src = cfg.Require(sid);
            var info = StorageConfig.ParseVolname(src, volname);
            var result = DriveSpec.Parse(drive.ToString())!;
            if (!full)
            {
                output.Append($"create linked clone of drive {opt} ({drive.File})\n");
                string newVolname;
                if (src.Type == "lvmthin")
                {
                    var parent = snapname != null ? volname + "@" + snapname : volname;
                    var vid = Node.AllocVolume(src, newid, "raw", null, SourceSize(drive), output, parent: parent);
                    newVolname = vid.Substring(sid.Length + 1);
                }
                else if (src.IsFileBased)
                {
                    var file = FreeName(src, newid, "qcow2");
                    newVolname = $"{info.OwnerVmid}/{info.Name}/{newid}/{file}";
                    var size = SourceSize(drive);
                    Node.WithVolumes(src.Id, vols =>
                    {
                        vols[newVolname] = new SimNode.VolumeRecord { Size = size, Format = "qcow2", Parent = volname };
                        return 0;
                    });
                    var basePath = $"../{info.OwnerVmid}/{info.Name}";
                    output.Append($"clone {volname}: images, {file}, {newid} to {file} (base={basePath})\n");
                    output.Append($"Formatting '{src.Path}/images/{newid}/{file}', fmt=qcow2 cluster_size=65536 extended_l2=off compression_type=zlib")
                        .Append($" size={size} backing_file={basePath} backing_fmt={info.Format} lazy_refcounts=off refcount_bits=16\n");
                }
                else
                {
                    var name = FreeName(src, newid, "raw");
                    newVolname = $"{info.Name}/{name}";
                    var size = SourceSize(drive);
                    Node.WithVolumes(src.Id, vols =>
                    {
                        vols[newVolname] = new SimNode.VolumeRecord { Size = size, Format = "raw", Parent = volname };
                        return 0;
                    });
                }
                var newVolid = sid + ":" + newVolname;
                newVolumes.Add(newVolid);
                result.File = newVolid;
                return result;
            }

            output.Append($"create full clone of drive {opt} ({drive.File})\n");
            var targetStorage = c.Get("storage") is string ts ? cfg.Require(ts) : src;
            var format = c.Get("format") ?? (targetStorage.IsFileBased ? (src.IsFileBased ? info.Format : "raw") : "raw");
            if (!targetStorage.IsFileBased && format != "raw")
            {
                output.Append($"format '{format}' is not supported by the target storage '{targetStorage.Id}' - using 'raw' instead\n");
                format = "raw";
            }
            if (drive.IsCloudInit)
            {
                var name = targetStorage.IsFileBased ? $"vm-{newid}-cloudinit.{format}" : $"vm-{newid}-cloudinit";
                var vid = Node.AllocVolume(targetStorage, newid, format, name, 4 * 1024 * 1024, output);
                newVolumes.Add(vid);
                output.Append($"allocated target volume '{vid}'\n");
                result.File = vid;
                result["size"] = "4M";
                return result;
            }
            var bytes = SourceSize(drive);
            var newvid = Node.AllocVolume(targetStorage, newid, format, null, bytes, output);
            newVolumes.Add(newvid);
            output.Append($"allocated target volume '{newvid}'\n");
            TransferProgress(output, bytes);
            result.File = newvid;
            return result;
        }

        private long SourceSize(DriveSpec drive) => Node.FindVolume(drive.File)?.Size ?? drive.SizeBytes;

        private string FreeName(StorageDef st, int vmid, string fmt)
        {
            var vols = Node.LoadVolumes(st.Id);
            for (var n = 0; ; n++)
            {
                var name = st.IsFileBased ? $"vm-{vmid}-disk-{n}.{fmt}" : $"vm-{vmid}-disk-{n}";
                if (!vols.Keys.Any(k => k == name || k.EndsWith("/" + name, StringComparison.Ordinal))) return name;
            }
        }
    }
}
