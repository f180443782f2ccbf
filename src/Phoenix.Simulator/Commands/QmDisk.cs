using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    /// <summary>qm disk import and qm disk resize.</summary>
    internal sealed partial class NodeCommands
    {
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
            var st = cfg.RequireEnabled(storeid, Node.Name);
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
                WriteConfig(vmid, conf);
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
                        const long Extent = 4 * 1024 * 1024;
                        c.Out.Append($"  Size of logical volume {vg}/{info.Name} changed from {LvmSize(oldSize)} ({oldSize / Extent} extents)")
                            .Append($" to {LvmSize(newSize)} ({newSize / Extent} extents).\n");
                        c.Out.Append($"  Logical volume {vg}/{info.Name} successfully resized.\n");
                    }
                }
                d["size"] = PveText.FormatSize(newSize);
                conf[disk] = d.ToString();
                WriteConfig(vmid, conf);
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
