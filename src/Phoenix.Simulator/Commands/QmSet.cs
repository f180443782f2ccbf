using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.Cli;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class CommandEngine
    {
        private static readonly Regex NewDiskRe = new Regex(@"^(([^/:\s]+):)?(\d+(\.\d+)?)$", RegexOptions.Compiled);

        /// <summary>Options that take effect at once on a running VM (fast-plug and hot-plug defaults).</summary>
        private static bool HotPluggable(string key) =>
            Regex.IsMatch(key, @"^(name|description|tags|onboot|startup|protection|lock|hookscript|vmstatestorage|shares|ciuser|cipassword|citype|ciupgrade|sshkeys|nameserver|searchdomain|cicustom|ipconfig\d+|net\d+|unused\d+)$")
            || DriveSpec.IsDriveName(key);

        private static readonly HashSet<string> NotConfigKeys = new HashSet<string>(StringComparer.Ordinal)
        {
            "vmid", "digest", "skiplock", "delete", "revert", "force", "background_delay", "skip_cloud_init", "import-working-storage",
        };

        /// <summary>qm set (update_vm_api, synchronous): validation, then lock, `update VM ...`, apply.</summary>
        public int QmSet(CommandContext c)
        {
            var vmid = Vmid(c);
            var param = new SortedDictionary<string, string>(c.Param.Where(kv => kv.Key != "vmid" && kv.Key != "digest").ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
            var paramarr = string.Join(" ", param.Select(kv => "-" + kv.Key + " " + (kv.Key == "cipassword" ? "<hidden>" : kv.Value)));
            var skiplock = param.ContainsKey("skiplock") && param["skiplock"] == "1";
            param.TryGetValue("delete", out var deleteStr);
            param.TryGetValue("revert", out var revertStr);
            var force = param.TryGetValue("force", out var f) && f == "1";
            foreach (var k in new[] { "skiplock", "delete", "revert", "force" }) param.Remove(k);

            if (param.TryGetValue("sshkeys", out var keys)) ValidateSshKeys(PveText.UriUnescape(keys));

            if (string.IsNullOrEmpty(deleteStr) && string.IsNullOrEmpty(revertStr) && param.Count == 0) throw new PveDie("no options specified");

            if (param.TryGetValue("cdrom", out var cdrom))
            {
                param["ide2"] = cdrom.Contains("media=") ? cdrom : cdrom + ",media=cdrom";
                param.Remove("cdrom");
            }

            var revert = new List<string>();
            foreach (var opt in SchemaCheck.SplitList(revertStr ?? ""))
            {
                if (!c.Def.Props.ContainsKey(opt) || NotConfigKeys.Contains(opt)) throw new ParamException("revert", $"unknown option '{opt}'");
                if (param.ContainsKey(opt)) throw new ParamException("delete", $"you can't use '-{opt}' and -revert {opt}' at the same time");
                revert.Add(opt);
            }
            var delete = new List<string>();
            foreach (var raw in SchemaCheck.SplitList(deleteStr ?? ""))
            {
                var opt = raw == "cdrom" ? "ide2" : raw;
                if (param.ContainsKey(opt)) throw new ParamException("delete", $"you can't use '-{opt}' and -delete {opt}' at the same time");
                if (revert.Contains(opt)) throw new ParamException("revert", $"you can't use '-delete {opt}' and -revert {opt}' at the same time");
                if (!OptionExists(c, opt)) throw new ParamException("delete", $"unknown option '{opt}'");
                delete.Add(opt);
            }

            CheckDriveParams(param);
            foreach (var key in param.Keys.ToList())
            {
                if (Regex.IsMatch(key, @"^net\d+$")) param[key] = NormalizeNet(param[key]);
                else if (key == "vmgenid" && param[key] == "1") param[key] = Node.NewUuid();
            }
            var storageCfg = Node.LoadStorage();
            CheckStorageAccess(storageCfg, param);

            using (Node.LockConfig(vmid, c.Err, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                if (!skiplock) CheckLock(conf);
                foreach (var opt in revert)
                {
                    if (conf[opt] != null) param[opt] = conf[opt]!;
                    else if (conf.Pending?[opt] != null) delete.Add(opt);
                }
                c.Out.Append("update VM ").Append(vmid.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(paramarr).Append('\n');
                Delay(c);

                var running = Node.GetRuntime(vmid) != null;
                var addedCloudInit = false;

                foreach (var opt in delete)
                {
                    var val = conf[opt] ?? conf.Pending?[opt];
                    if (val == null && !(opt == "description" && (conf.Main.Description != null || conf.Pending?.Description != null)))
                    {
                        c.Err.Append($"cannot delete '{opt}' - not set in current configuration!\n");
                        continue;
                    }
                    conf.Pending?.Values.Remove(opt);
                    if (Regex.IsMatch(opt, @"^unused\d+$"))
                    {
                        if (conf["protection"] == "1") throw new PveDie($"can't remove unused disk '{val}' - protection mode enabled");
                        Node.FreeVolume(val!, c.Out);
                        conf[opt] = null;
                        continue;
                    }
                    if (opt == "tags")
                    {
                        conf[opt] = null;
                        continue;
                    }
                    var deletes = conf.PendingDeletes();
                    deletes[opt] = force;
                    conf.SetPendingDeletes(deletes);
                }

                foreach (var kv in param)
                {
                    var opt = kv.Key;
                    var value = kv.Value;
                    if (conf.Pending?[opt] == value) continue;
                    if (DriveSpec.IsDriveName(opt))
                    {
                        var created = CreateDisk(vmid, opt, value, storageCfg, c.Out, out var isCloudInit);
                        if (isCloudInit) addedCloudInit = true;
                        SetPending(conf, opt, created);
                    }
                    else if (opt == "cipassword")
                    {
                        if (!IsWindows(conf["ostype"]) && !Regex.IsMatch(value, @"^\$(?:[156]|2[ay])(\$.+){2}"))
                            value = EncryptPassword(value);
                        conf["cipassword"] = value;
                    }
                    else if (opt == "tags")
                    {
                        SetPending(conf, opt, UniqueTags(value));
                    }
                    else if (opt == "description")
                    {
                        conf.Pending ??= new ConfigSection();
                        conf.Pending.Description = value;
                        var deletes = conf.PendingDeletes();
                        if (deletes.Remove(opt)) conf.SetPendingDeletes(deletes);
                    }
                    else
                    {
                        SetPending(conf, opt, value);
                    }
                }

                ApplyPending(vmid, conf, c.Out, hotplugOnly: running);
                Node.WriteConfig(vmid, conf);
                if (addedCloudInit && !running) GenerateCloudInit(vmid, conf.Main, c.Out);
            }
            return 0;
        }

        private static bool IsWindows(string? ostype) => ostype != null && Regex.IsMatch(ostype, "^(wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11)$");

        private static bool OptionExists(CommandContext c, string opt) =>
            (c.Def.Props.ContainsKey(opt) && !NotConfigKeys.Contains(opt)) || Regex.IsMatch(opt, @"^unused\d+$");

        private static void SetPending(VmConfig conf, string opt, string value)
        {
            conf.Pending ??= new ConfigSection();
            conf.Pending[opt] = value;
            var deletes = conf.PendingDeletes();
            if (deletes.Remove(opt)) conf.SetPendingDeletes(deletes);
        }

        /// <summary>get_unique_tags: split, lower-case, sort, de-duplicate, join with ';'.</summary>
        private static string UniqueTags(string value) =>
            string.Join(";", SchemaCheck.SplitList(value).Select(t => t.ToLowerInvariant()).Distinct().OrderBy(t => t, StringComparer.Ordinal));

        private static void ValidateSshKeys(string raw)
        {
            foreach (var line in raw.Split('\n'))
            {
                if (line.Trim().Length == 0) continue;
                if (!LooksLikeSshKey(line.Trim())) throw new PveDie("SSH public key validation error");
            }
        }

        private static bool LooksLikeSshKey(string line)
        {
            var m = Regex.Match(line, @"(?:^|\s)(ssh-rsa|ssh-dss|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)");
            if (!m.Success) return false;
            try
            {
                var blob = System.Convert.FromBase64String(m.Groups[2].Value);
                if (blob.Length < 4) return false;
                var len = (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3];
                return len > 0 && 4 + len <= blob.Length && Encoding.ASCII.GetString(blob, 4, len) == m.Groups[1].Value;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private string NormalizeNet(string value)
        {
            var net = NetSpec.Parse(value, out _);
            if (net == null) return value;
            net.Mac ??= Node.NewMac();
            return net.ToString();
        }

        /// <summary>$check_drive_param: parse each drive, ISO images need media=cdrom, print normalised.</summary>
        private void CheckDriveParams(SortedDictionary<string, string> param)
        {
            var storageCfg = Node.LoadStorage();
            foreach (var key in param.Keys.Where(DriveSpec.IsDriveName).ToList())
            {
                var d = DriveSpec.Parse(param[key]);
                if (d == null) throw new ParamException(key, "unable to parse drive options");
                if (d["import-from"] != null)
                {
                    var m = NewDiskRe.Match(d.File);
                    if (!m.Success || m.Groups[3].Value != "0")
                        throw new ParamException(key, "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>");
                }
                if (StorageConfig.TryParseVolumeId(d.File, out var sid, out var volname) && !NewDiskRe.IsMatch(d.File) && volname != "cloudinit")
                {
                    if (storageCfg.Find(sid) is StorageDef st)
                    {
                        try
                        {
                            var info = StorageConfig.ParseVolname(st, volname);
                            if (info.VType == "iso" && !d.IsCdrom) throw new ParamException(key, "explicit 'media=cdrom' is required for iso images");
                        }
                        catch (PveDie)
                        {
                        }
                    }
                }
                param[key] = d.ToString();
            }
        }

        /// <summary>$check_storage_access for new disks and existing volumes.</summary>
        private static void CheckStorageAccess(StorageConfig cfg, SortedDictionary<string, string> param)
        {
            foreach (var key in param.Keys.Where(DriveSpec.IsDriveName))
            {
                var d = DriveSpec.Parse(param[key])!;
                var volid = d.File;
                StorageConfig.TryParseVolumeId(volid, out var sid, out var volname);
                if (volid == "none" || volid == "cloudinit" || volname == "cloudinit" || volid == "cdrom") continue;
                var m = NewDiskRe.Match(volid);
                if (!d.IsCdrom && m.Success)
                {
                    var storeid = m.Groups[2].Success ? m.Groups[2].Value : null;
                    if (storeid == null) throw new PveDie("no storage ID specified (and no default storage)");
                    var st = cfg.Require(storeid);
                    if (!st.Content.Contains("images")) throw new ParamException("storage", $"storage '{storeid}' does not support vm images");
                    continue;
                }
                if (sid.Length > 0)
                {
                    var st = cfg.Require(sid);
                    var info = StorageConfig.ParseVolname(st, volname);
                    if (info.VType != "images" && info.VType != "iso") throw new ParamException(key, "content type needs to be 'images' or 'iso'");
                }
            }
        }

        /// <summary>create_disks for one drive: allocate `storage:size`, `storage:cloudinit`, or import.</summary>
        private string CreateDisk(int vmid, string opt, string value, StorageConfig cfg, StringBuilder output, out bool isCloudInit)
        {
            isCloudInit = false;
            var d = DriveSpec.Parse(value)!;
            StorageConfig.TryParseVolumeId(d.File, out var sid, out var volname);
            if (volname == "cloudinit")
            {
                var st = cfg.Require(sid);
                var fmt = st.IsFileBased ? d["format"] ?? "qcow2" : "raw";
                var name = st.IsFileBased ? $"vm-{vmid}-cloudinit.{fmt}" : $"vm-{vmid}-cloudinit";
                d.File = Node.AllocVolume(st, vmid, fmt, name, 4 * 1024 * 1024, output);
                d["format"] = null;
                d["media"] = "cdrom";
                isCloudInit = true;
                var res = d.ToString();
                output.Append($"{opt}: successfully created disk '{res}'\n");
                return res;
            }
            var m = NewDiskRe.Match(d.File);
            if (!d.IsCdrom && m.Success && m.Groups[2].Success)
            {
                var st = cfg.Require(m.Groups[2].Value);
                long size;
                if (d["import-from"] is string source)
                {
                    size = ImportSourceSize(cfg, source);
                    d.File = Node.AllocVolume(st, vmid, d["format"], null, size, output);
                    TransferProgress(output, size);
                    d["import-from"] = null;
                }
                else
                {
                    size = (long)(double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) * 1024 * 1024 * 1024);
                    d.File = Node.AllocVolume(st, vmid, d["format"], null, size, output);
                }
                d["format"] = null;
                d["size"] = PveText.FormatSize(size);
                var res = d.ToString();
                output.Append($"{opt}: successfully created disk '{res}'\n");
                return res;
            }
            if (d.IsCloudInit) isCloudInit = true;
            return d.ToString();
        }

        private long ImportSourceSize(StorageConfig cfg, string source)
        {
            string path = source;
            if (StorageConfig.TryParseVolumeId(source, out var sid, out _)) path = cfg.VolumePath(source);
            else if (!source.StartsWith("/", StringComparison.Ordinal)) throw new PveDie($"source '{source}' is not a path or volume ID");
            if (StorageConfig.TryParseVolumeId(source, out _, out _) && Node.FindVolume(source) is SimNode.VolumeRecord rec) return rec.Size;
            var data = Node.Store.ReadFile(path);
            if (data == null) throw new PveDie($"{source}: non-existent or non-regular file");
            return ImageVirtualSize(data);
        }

        /// <summary>The virtual size of a qcow2 image (from its header), or the file size of a raw one.</summary>
        internal static long ImageVirtualSize(byte[] data)
        {
            if (data.Length >= 32 && data[0] == 'Q' && data[1] == 'F' && data[2] == 'I' && data[3] == 0xfb)
            {
                long size = 0;
                for (var i = 24; i < 32; i++) size = (size << 8) | data[i];
                return size;
            }
            return data.LongLength;
        }

        internal static void TransferProgress(StringBuilder output, long total)
        {
            var t = (double)total;
            foreach (var pct in new[] { 0d, 25, 50, 75, 100 })
            {
                var done = t * pct / 100;
                output.Append("transferred ").Append(PveText.RenderBytes(done)).Append(" of ").Append(PveText.RenderBytes(t))
                      .Append(" (").Append(PveText.F(pct, 2)).Append("%)\n");
            }
        }

        /// <summary>vmconfig_apply_pending (or, for a running VM, the hot-pluggable part of it).</summary>
        internal void ApplyPending(int vmid, VmConfig conf, StringBuilder output, bool hotplugOnly)
        {
            if (conf.Pending == null) return;
            var deletes = conf.PendingDeletes();
            foreach (var del in deletes.ToList())
            {
                if (hotplugOnly && !HotPluggable(del.Key)) continue;
                var old = conf[del.Key];
                if (DriveSpec.IsDriveName(del.Key) && old != null && DriveSpec.Parse(old) is DriveSpec od)
                {
                    if (od.IsCloudInit) Node.FreeVolume(od.File, output);
                    else if (!od.IsCdrom)
                    {
                        if (del.Value) Node.FreeVolume(od.File, output);
                        else AddUnused(conf, od.File);
                    }
                }
                if (del.Key == "description") conf.Main.Description = null;
                conf[del.Key] = null;
                deletes.Remove(del.Key);
            }
            conf.SetPendingDeletes(deletes);
            foreach (var kv in conf.Pending.Values.ToList())
            {
                if (kv.Key == "delete") continue;
                if (hotplugOnly && !HotPluggable(kv.Key)) continue;
                var old = conf[kv.Key];
                if (DriveSpec.IsDriveName(kv.Key) && old != null && DriveSpec.Parse(old) is DriveSpec od && DriveSpec.Parse(kv.Value) is DriveSpec nd && od.File != nd.File)
                {
                    if (od.IsCloudInit) Node.FreeVolume(od.File, output);
                    else if (!od.IsCdrom) AddUnused(conf, od.File);
                }
                conf[kv.Key] = kv.Value;
                conf.Pending.Values.Remove(kv.Key);
            }
            if (conf.Pending.Description != null && (!hotplugOnly || HotPluggable("description")))
            {
                conf.Main.Description = conf.Pending.Description.Length > 0 ? conf.Pending.Description : null;
                conf.Pending.Description = null;
            }
            // Re-adding a volume removes its unusedN entry (write_vm_config).
            var used = new HashSet<string>(Drives(conf.Main).Select(d => d.Value.File), StringComparer.Ordinal);
            foreach (var k in conf.Main.Values.Keys.Where(k => k.StartsWith("unused", StringComparison.Ordinal)).ToList())
            {
                if (used.Contains(conf[k]!)) conf[k] = null;
            }
            if (conf.Pending.Values.Count == 0 && conf.Pending.Description == null) conf.Pending = null;
        }

        private static void AddUnused(VmConfig conf, string volid)
        {
            string? key = null;
            for (var i = 255; i >= 0; i--)
            {
                var test = "unused" + i.ToString(CultureInfo.InvariantCulture);
                if (conf[test] is string v)
                {
                    if (v == volid) return;
                }
                else key = test;
            }
            if (key == null) throw new PveDie("Too many unused volumes - please delete them first.");
            conf[key] = volid;
        }

        /// <summary>qm create: a new config, disks allocated, MAC addresses and identities generated.</summary>
        public int QmCreate(CommandContext c)
        {
            var vmid = Vmid(c);
            if (c.Get("archive") != null) throw new PveDie("restoring backups is not supported by the simulator");
            var param = new SortedDictionary<string, string>(c.Param.Where(kv => !NotConfigKeys.Contains(kv.Key) && kv.Key != "storage" && kv.Key != "start" && kv.Key != "pool" && kv.Key != "unique" && kv.Key != "archive" && kv.Key != "live-restore").ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
            if (param.TryGetValue("sshkeys", out var keys)) ValidateSshKeys(PveText.UriUnescape(keys));
            if (c.Get("pool") is string pool) throw new HttpException(403, $"Permission check failed (pool '{pool}' does not exist)");
            CheckDriveParams(param);
            var storageCfg = Node.LoadStorage();
            var defaultStorage = c.Get("storage");
            foreach (var key in param.Keys.Where(DriveSpec.IsDriveName).ToList())
            {
                var d = DriveSpec.Parse(param[key])!;
                var m = NewDiskRe.Match(d.File);
                if (m.Success && !m.Groups[2].Success && defaultStorage != null) param[key] = defaultStorage + ":" + param[key];
            }
            CheckStorageAccess(storageCfg, param);

            return Task(c, upidExit: true, () =>
            {
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct, TimeSpan.FromSeconds(5)))
                {
                    if (Node.ConfigExists(vmid) || Node.Store.FileExists(Node.LxcConfigPath(vmid)))
                    {
                        var type = Node.ConfigExists(vmid) ? "VM" : "CT";
                        throw new PveDie($"unable to create VM {vmid} - {type} {vmid} already exists on node '{Node.Name}'");
                    }
                    var conf = new VmConfig();
                    conf["lock"] = "create";
                    Node.WriteConfig(vmid, conf);
                    try
                    {
                        Delay(c);
                        foreach (var kv in param)
                        {
                            var value = kv.Value;
                            if (DriveSpec.IsDriveName(kv.Key)) value = CreateDisk(vmid, kv.Key, value, storageCfg, c.Out, out _);
                            else if (Regex.IsMatch(kv.Key, @"^net\d+$")) value = NormalizeNet(value);
                            else if (kv.Key == "cipassword" && !IsWindows(param.TryGetValue("ostype", out var os) ? os : null) && !Regex.IsMatch(value, @"^\$(?:[156]|2[ay])(\$.+){2}")) value = EncryptPassword(value);
                            else if (kv.Key == "tags") value = UniqueTags(value);
                            else if (kv.Key == "vmgenid" && value == "1") value = Node.NewUuid();
                            if (kv.Key == "description") conf.Main.Description = value;
                            else conf[kv.Key] = value;
                        }
                        if (conf["smbios1"] == null) conf["smbios1"] = "uuid=" + Node.NewUuid();
                        if (conf["vmgenid"] == null) conf["vmgenid"] = Node.NewUuid();
                        conf["meta"] = "creation-qemu=9.2.0,ctime=" + Node.Clock.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                        conf["lock"] = null;
                        Node.WriteConfig(vmid, conf);
                    }
                    catch
                    {
                        foreach (var d in Drives(Node.TryLoadConfig(vmid)?.Main ?? conf.Main)) Node.FreeVolume(d.Value.File, new StringBuilder());
                        Node.DeleteConfig(vmid);
                        throw;
                    }
                }
                if (c.Flag("start")) StartVm(c, vmid, false);
            });
        }

        /// <summary>qm disk import (importdisk): the image becomes an unused disk of the VM.</summary>
        public int QmImportDisk(CommandContext c)
        {
            var vmid = Vmid(c);
            var source = c.Get("source")!;
            var storeid = c.Get("storage")!;
            var conf = Node.LoadConfig(vmid);
            CheckLock(conf);
            var data = Node.Store.ReadFile(source);
            if (data == null) throw new PveDie($"{source}: non-existent or non-regular file");
            var cfg = Node.LoadStorage();
            var st = cfg.RequireEnabled(storeid);
            if (!st.Content.Contains("images")) throw new PveDie($"storage {storeid} does not support vm images");
            c.Out.Append($"importing disk '{source}' to VM {vmid} ...\n");
            Delay(c);
            var size = ImageVirtualSize(data);
            string driveId;
            using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
            {
                conf = Node.LoadConfig(vmid);
                var volid = Node.AllocVolume(st, vmid, c.Get("format"), null, size, c.Out);
                TransferProgress(c.Out, size);
                var target = c.Get("target-disk");
                if (target != null && DriveSpec.IsDriveName(target))
                {
                    driveId = target;
                    if (conf[target] is string old && DriveSpec.Parse(old) is DriveSpec od && !od.IsCdrom) AddUnused(conf, od.File);
                    conf[target] = volid + ",size=" + PveText.FormatSize(size);
                }
                else
                {
                    AddUnused(conf, volid);
                    driveId = conf.Main.Values.First(kv => kv.Key.StartsWith("unused", StringComparison.Ordinal) && kv.Value == volid).Key;
                }
                Node.WriteConfig(vmid, conf);
            }
            c.Out.Append($"{driveId}: successfully imported disk '{conf[driveId]}'\n");
            return 0;
        }

        /// <summary>qm disk resize (resize): grow only; LVM prints its own lines.</summary>
        public int QmResize(CommandContext c)
        {
            var vmid = Vmid(c);
            var disk = c.Get("disk")!;
            var sizeStr = c.Get("size")!;
            using (Node.LockConfig(vmid, c.Err, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                if (!c.Flag("skiplock")) CheckLock(conf);
                if (conf[disk] == null) throw new PveDie($"disk '{disk}' does not exist");
                var d = DriveSpec.Parse(conf[disk]!)!;
                if (d.IsCdrom) throw new PveDie("you can't resize a cdrom");
                var rec = Node.FindVolume(d.File);
                var oldSize = rec?.Size ?? d.SizeBytes;
                var m = Regex.Match(sizeStr, @"^(\+)?(\d+(\.\d+)?)([KMGT])?$");
                var ext = PveText.ParseSize(m.Groups[2].Value + m.Groups[4].Value) ?? 0;
                var newSize = m.Groups[1].Success ? oldSize + ext : ext;
                if (newSize < oldSize) throw new PveDie("shrinking disks is not supported");
                if (newSize == oldSize) return 0;
                Delay(c);
                if (StorageConfig.TryParseVolumeId(d.File, out var sid, out var volname))
                {
                    var st = Node.LoadStorage().Require(sid);
                    var info = StorageConfig.ParseVolname(st, volname);
                    if (info.IsBase) throw new PveDie("can't resize volume: base volume");
                    Node.WithVolumes(sid, vols =>
                    {
                        if (vols.TryGetValue(volname, out var r)) r.Size = newSize;
                        return 0;
                    });
                    if (st.Type == "lvmthin" || st.Type == "lvm")
                    {
                        var vg = st.Get("vgname") ?? "pve";
                        c.Out.Append($"  Size of logical volume {vg}/{info.Name} changed from {LvmSize(oldSize)} ({oldSize / (4 * 1024 * 1024)} extents) to {LvmSize(newSize)} ({newSize / (4 * 1024 * 1024)} extents).\n");
                        c.Out.Append($"  Logical volume {vg}/{info.Name} successfully resized.\n");
                    }
                }
                d["size"] = PveText.FormatSize(newSize);
                conf[disk] = d.ToString();
                Node.WriteConfig(vmid, conf);
            }
            return 0;
        }

        private static string LvmSize(long bytes)
        {
            string[] units = { "MiB", "GiB", "TiB" };
            var v = bytes / (1024d * 1024);
            var u = 0;
            while (v >= 1024 && u < units.Length - 1)
            {
                v /= 1024;
                u++;
            }
            return PveText.F(v, 2) + " " + units[u];
        }
    }
}
