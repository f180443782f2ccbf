using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Phoenix.Simulator.Model
{
    /// <summary>A plain Proxmox `die` that the CLI prints to stderr (exit 255 unless told otherwise).</summary>
    internal class PveDie : Exception
    {
        public PveDie(string message, int exitCode = 255) : base(message.EndsWith("\n", StringComparison.Ordinal) ? message : message + "\n")
        {
            ExitCode = exitCode;
        }

        public int ExitCode { get; }
    }

    /// <summary>One storage definition of storage.cfg.</summary>
    internal sealed class StorageDef
    {
        public StorageDef(string type, string id)
        {
            Type = type;
            Id = id;
        }

        public string Type { get; }
        public string Id { get; }

        /// <summary>Other properties in the order they appeared (path, vgname, thinpool, pool, ...).</summary>
        public List<KeyValuePair<string, string>> Properties { get; } = new List<KeyValuePair<string, string>>();

        public string? Get(string key) => Properties.Where(p => p.Key == key).Select(p => p.Value).LastOrDefault();

        public HashSet<string> Content =>
            new HashSet<string>((Get("content") ?? "").Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

        public bool Disabled => Get("disable") is string d && d != "0";

        /// <summary>The nodes the storage is restricted to (`nodes pve1,pve2`), or null for every node.</summary>
        public IReadOnlyList<string>? Nodes =>
            Get("nodes") is string n ? n.Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries) : null;

        /// <summary>
        /// True for storages every node sees the same: `shared 1`, or a type that always is (pve-storage's
        /// shared types: nfs, cifs, glusterfs, cephfs, rbd, iscsi, zfs over iSCSI, pbs).
        /// </summary>
        public bool Shared => Get("shared") == "1" || SharedTypes.Contains(Type);

        private static readonly HashSet<string> SharedTypes = new HashSet<string>(StringComparer.Ordinal)
        {
            "nfs", "cifs", "glusterfs", "cephfs", "rbd", "iscsi", "iscsidirect", "zfs", "pbs",
        };

        /// <summary>
        /// A storage path with `{node}` in it names a folder per node (a simulator convention: the multi-node
        /// fake host gives each node's `local` its own real folder, since every node's `local` is its own disk).
        /// </summary>
        public static string ExpandNode(string path, string nodeName) => path.Replace("{node}", nodeName);

        /// <summary>storage_check_enabled with noerr: not disabled, and the node in `nodes` when that is set.</summary>
        public bool EnabledOn(string node) => !Disabled && (Nodes == null || Nodes.Contains(node));

        public bool IsFileBased => Type == "dir" || Type == "nfs" || Type == "cifs" || Type == "glusterfs" || Type == "cephfs" || Type == "btrfs";

        public string Path => Get("path") ?? (Type == "nfs" || Type == "cifs" ? "/mnt/pve/" + Id : "");

        /// <summary>The default image format of the storage.</summary>
        public string DefaultFormat => IsFileBased ? (Get("format") ?? "raw") : "raw";
    }

    /// <summary>What a volume name means on its storage (PVE::Storage parse_volname).</summary>
    internal sealed class VolumeInfo
    {
        public string VType = "images";
        public string Name = "";
        public int? OwnerVmid;
        public string? BaseName;
        public int? BaseVmid;
        public bool IsBase;
        public string Format = "raw";
    }

    /// <summary>/etc/pve/storage.cfg and the rules of the storage plugins the simulator knows.</summary>
    internal sealed class StorageConfig
    {
        public List<StorageDef> Storages { get; } = new List<StorageDef>();

        public static StorageConfig Parse(string text)
        {
            var cfg = new StorageConfig();
            StorageDef? current = null;
            foreach (var rawLine in text.Split('\n'))
            {
                var line = rawLine.TrimEnd('\r');
                if (line.Trim().Length == 0 || line.TrimStart().StartsWith("#", StringComparison.Ordinal))
                {
                    if (line.Trim().Length == 0) current = null;
                    continue;
                }
                var head = Regex.Match(line, @"^(\S+):\s*(\S+)\s*$");
                if (head.Success && !char.IsWhiteSpace(line[0]))
                {
                    current = new StorageDef(head.Groups[1].Value, head.Groups[2].Value);
                    cfg.Storages.Add(current);
                    continue;
                }
                if (current == null) continue;
                var prop = Regex.Match(line, @"^\s+(\S+)(?:\s+(.*\S))?\s*$");
                if (prop.Success)
                    current.Properties.Add(new KeyValuePair<string, string>(prop.Groups[1].Value, prop.Groups[2].Success ? prop.Groups[2].Value : "1"));
            }
            return cfg;
        }

        public string Write()
        {
            var sb = new StringBuilder();
            foreach (var s in Storages)
            {
                if (sb.Length > 0) sb.Append('\n');
                sb.Append(s.Type).Append(": ").Append(s.Id).Append('\n');
                foreach (var p in s.Properties)
                {
                    sb.Append('\t').Append(p.Key);
                    if (!(p.Key == "disable" && p.Value == "1")) sb.Append(' ').Append(p.Value);
                    sb.Append('\n');
                }
            }
            return sb.ToString();
        }

        public StorageDef? Find(string id) => Storages.FirstOrDefault(s => s.Id == id);

        /// <summary>storage_config: the storage or `storage 'x' does not exist`.</summary>
        public StorageDef Require(string id) => Find(id) ?? throw new PveDie($"storage '{id}' does not exist");

        /// <summary>storage_check_enabled (ST/Storage.pm 264-291): disabled, then not on the node's list.</summary>
        public StorageDef RequireEnabled(string id, string node)
        {
            var s = Require(id);
            if (s.Disabled) throw new PveDie($"storage '{id}' is disabled");
            if (s.Nodes != null && !s.Nodes.Contains(node)) throw new PveDie($"storage '{id}' is not available on node '{node}'");
            return s;
        }

        private static readonly Regex VolumeIdRe = new Regex(@"^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$", RegexOptions.IgnoreCase | RegexOptions.Compiled);

        /// <summary>parse_volume_id: (storage, volname) or null.</summary>
        public static bool TryParseVolumeId(string volid, out string storage, out string volname)
        {
            var m = VolumeIdRe.Match(volid);
            storage = m.Success ? m.Groups[1].Value : "";
            volname = m.Success ? m.Groups[2].Value : "";
            return m.Success;
        }

        /// <summary>parse_volname of the storage's plugin; dies with the plugin's message.</summary>
        public static VolumeInfo ParseVolname(StorageDef storage, string volname)
        {
            if (storage.IsFileBased) return ParseDirVolname(volname);
            if (storage.Type == "lvmthin" || storage.Type == "lvm")
            {
                if (!Regex.IsMatch(volname, @"^[a-z0-9][a-z0-9\-_.+]*$", RegexOptions.IgnoreCase) && storage.Type == "lvm")
                    throw new PveDie($"unable to parse lvm volume name '{volname}'");
                var m = Regex.Match(volname, @"^((vm|base)-(\d+)-\S+)$");
                if (m.Success && volname.IndexOf('/') < 0)
                    {
                        return new VolumeInfo
                        {
                            Name = m.Groups[1].Value, OwnerVmid = int.Parse(m.Groups[3].Value), IsBase = m.Groups[2].Value == "base", Format = "raw",
                        };
                    }
                throw new PveDie($"unable to parse lvm volume name '{volname}'");
            }
            if (storage.Type == "zfspool")
            {
                var m = Regex.Match(volname, @"^(((base|basevol)-(\d+)-\S+)/)?((base|basevol|vm|subvol)-(\d+)-\S+)$");
                if (m.Success)
                {
                    return new VolumeInfo
                    {
                        Name = m.Groups[5].Value,
                        OwnerVmid = int.Parse(m.Groups[7].Value),
                        BaseName = m.Groups[2].Success ? m.Groups[2].Value : null,
                        BaseVmid = m.Groups[4].Success ? int.Parse(m.Groups[4].Value) : (int?)null,
                        IsBase = m.Groups[6].Value == "base" || m.Groups[6].Value == "basevol",
                        Format = "raw",
                    };
                }
                throw new PveDie($"unable to parse zfs volume name '{volname}'");
            }
            throw new PveDie($"unable to parse volume name '{volname}'");
        }

        private static VolumeInfo ParseDirVolname(string volname)
        {
            Match m;
            if ((m = Regex.Match(volname, @"^(\d+)/(\S+)/(\d+)/(\S+)$")).Success)
            {
                ParseNameDir(m.Groups[2].Value, out _, out _);
                ParseNameDir(m.Groups[4].Value, out var fmt, out var isBase);
                return new VolumeInfo
                {
                    Name = m.Groups[4].Value, OwnerVmid = int.Parse(m.Groups[3].Value), BaseName = m.Groups[2].Value,
                    BaseVmid = int.Parse(m.Groups[1].Value), IsBase = isBase, Format = fmt,
                };
            }
            if ((m = Regex.Match(volname, @"^(\d+)/(\S+)$")).Success)
            {
                ParseNameDir(m.Groups[2].Value, out var fmt, out var isBase);
                return new VolumeInfo { Name = m.Groups[2].Value, OwnerVmid = int.Parse(m.Groups[1].Value), IsBase = isBase, Format = fmt };
            }
            if ((m = Regex.Match(volname, @"^iso/([^/]+\.(?:iso|img))$", RegexOptions.IgnoreCase)).Success)
                return new VolumeInfo { VType = "iso", Name = m.Groups[1].Value };
            if ((m = Regex.Match(volname, @"^vztmpl/([^/]+\.(?:tar\.(?:gz|xz|zst|bz2)|tgz))$")).Success)
                return new VolumeInfo { VType = "vztmpl", Name = m.Groups[1].Value };
            if ((m = Regex.Match(volname, @"^rootdir/(\d+)$")).Success)
                return new VolumeInfo { VType = "rootdir", Name = m.Groups[1].Value, OwnerVmid = int.Parse(m.Groups[1].Value) };
            if ((m = Regex.Match(volname, @"^backup/([^/]+\.(?:tgz|(?:(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2|xz))?)))$")).Success)
                return new VolumeInfo { VType = "backup", Name = m.Groups[1].Value };
            if ((m = Regex.Match(volname, @"^snippets/([^/]+)$")).Success)
                return new VolumeInfo { VType = "snippets", Name = m.Groups[1].Value };
            if ((m = Regex.Match(volname, @"^import/([^/]+\.(?:ova|ovf|qcow2|raw|vmdk))$")).Success)
                return new VolumeInfo { VType = "import", Name = m.Groups[1].Value };
            throw new PveDie($"unable to parse directory volume name '{volname}'");
        }

        private static void ParseNameDir(string name, out string format, out bool isBase)
        {
            var m = Regex.Match(name, @"^((base-)?[^/\s]+\.(raw|qcow2|vmdk|subvol))$");
            if (!m.Success) throw new PveDie($"unable to parse volume filename '{name}'");
            format = m.Groups[3].Value;
            isBase = m.Groups[2].Success;
        }

        /// <summary>PVE::Storage::path: the filesystem path of a volume (no existence check).</summary>
        public string VolumePath(string volid, string? snapname = null)
        {
            if (!TryParseVolumeId(volid, out var sid, out var volname))
                throw new PveDie($"unable to parse volume ID '{volid}'");
            var storage = Require(sid);
            var info = ParseVolname(storage, volname);
            return VolumePath(storage, info, snapname);
        }

        public static string VolumePath(StorageDef storage, VolumeInfo info, string? snapname = null)
        {
            if (storage.IsFileBased)
            {
                var p = storage.Path;
                switch (info.VType)
                {
                    case "images": return $"{p}/images/{info.OwnerVmid}/{info.Name}";
                    case "iso": return $"{p}/template/iso/{info.Name}";
                    case "vztmpl": return $"{p}/template/cache/{info.Name}";
                    case "backup": return $"{p}/dump/{info.Name}";
                    case "snippets": return $"{p}/snippets/{info.Name}";
                    case "import": return $"{p}/import/{info.Name}";
                    case "rootdir": return $"{p}/private/{info.Name}";
                }
            }
            if (storage.Type == "lvmthin" || storage.Type == "lvm")
            {
                var vg = storage.Get("vgname") ?? "pve";
                return snapname != null ? $"/dev/{vg}/snap_{info.Name}_{snapname}" : $"/dev/{vg}/{info.Name}";
            }
            if (storage.Type == "zfspool")
            {
                var pool = storage.Get("pool") ?? "rpool/data";
                return $"/dev/zvol/{pool}/{info.Name}";
            }
            return "/dev/null";
        }

        /// <summary>
        /// volume_has_feature for the plugins simulated. LVM-thin clones from bases and snapshots;
        /// a directory clones only from bases and snapshots only qcow2; ZFS clones only from bases.
        /// </summary>
        public static bool HasFeature(StorageDef storage, string feature, VolumeInfo info, string? snapname)
        {
            var key = snapname != null ? "snap" : info.IsBase ? "base" : "current";
            if (storage.Type == "lvmthin")
            {
                switch (feature)
                {
                    case "snapshot": return key == "current";
                    case "clone": return key == "base" || key == "snap";
                    case "template": return key == "current";
                    case "copy": return true;
                    default: return false;
                }
            }
            if (storage.Type == "lvm")
            {
                switch (feature)
                {
                    case "copy": return key == "base" || key == "current";
                    case "template": return key == "current";
                    default: return false;
                }
            }
            if (storage.Type == "zfspool")
            {
                switch (feature)
                {
                    case "snapshot": return key == "current" || key == "snap";
                    case "clone": return key == "base";
                    case "template": return key == "current";
                    case "copy": return key == "base" || key == "current";
                    default: return false;
                }
            }
            if (storage.IsFileBased)
            {
                var fmt = info.Format;
                switch (feature)
                {
                    case "snapshot": return (key == "current" || key == "snap") && fmt == "qcow2";
                    case "clone": return key == "base" && (fmt == "qcow2" || fmt == "raw" || fmt == "vmdk");
                    case "template": return key == "current";
                    case "copy":
                        if (key == "snap") return fmt == "qcow2";
                        return fmt == "qcow2" || fmt == "raw" || fmt == "vmdk";
                    default: return false;
                }
            }
            return false;
        }
    }
}
