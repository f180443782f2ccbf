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
    /// <summary>The checks and normalisations that qm set and qm create share (drives, nets, tags, keys).</summary>
    internal sealed partial class NodeCommands
    {
        private static readonly Regex NewDiskRe = new Regex(@"^(([^/:\s]+):)?(\d+(\.\d+)?)$", RegexOptions.Compiled);

        private static bool IsWindows(string? ostype) => ostype != null && Regex.IsMatch(ostype, "^(wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11)$");

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
            const string KeyTypes = @"ssh-rsa|ssh-dss|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)"
                + @"|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com";
            var m = Regex.Match(line, @"(?:^|\s)(" + KeyTypes + @")\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)");
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

        /// <summary>
        /// create_disks for one drive: allocate `storage:size`, `storage:cloudinit`, or import. vdisk_alloc activates
        /// the storage first, which needs it enabled on this node (storage_check_enabled).
        /// </summary>
        private string CreateDisk(int vmid, string opt, string value, StorageConfig cfg, StringBuilder output, out bool isCloudInit)
        {
            isCloudInit = false;
            var d = DriveSpec.Parse(value)!;
            StorageConfig.TryParseVolumeId(d.File, out var sid, out var volname);
            if (volname == "cloudinit")
            {
                var st = cfg.RequireEnabled(sid, Node.Name);
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
                var st = cfg.RequireEnabled(m.Groups[2].Value, Node.Name);
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
    }
}
