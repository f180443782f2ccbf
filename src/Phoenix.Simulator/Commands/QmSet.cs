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
    /// <summary>qm set: update_vm_api in its synchronous form.</summary>
    internal sealed partial class NodeCommands
    {
        /// <summary>Options that take effect at once on a running VM (fast-plug and hot-plug defaults).</summary>
        private static bool HotPluggable(string key) =>
            Regex.IsMatch(key, @"^(name|description|tags|onboot|startup|protection|lock|hookscript|vmstatestorage|shares"
                + @"|ciuser|cipassword|citype|ciupgrade|sshkeys|nameserver|searchdomain|cicustom|ipconfig\d+|net\d+|unused\d+)$")
            || DriveSpec.IsDriveName(key);

        private static readonly HashSet<string> NotConfigKeys = new HashSet<string>(StringComparer.Ordinal)
        {
            "vmid", "digest", "skiplock", "delete", "revert", "force", "background_delay", "skip_cloud_init", "import-working-storage",
        };

        /// <summary>qm set (update_vm_api, synchronous): validation, then lock, `update VM ...`, apply.</summary>
        public int QmSet(CommandContext c)
        {
            var vmid = Vmid(c);
            var param = new SortedDictionary<string, string>(
                c.Param.Where(kv => kv.Key != "vmid" && kv.Key != "digest").ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
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

        private static bool OptionExists(CommandContext c, string opt) =>
            (c.Def.Props.ContainsKey(opt) && !NotConfigKeys.Contains(opt)) || Regex.IsMatch(opt, @"^unused\d+$");

        private static void SetPending(SimVmConfig conf, string opt, string value)
        {
            conf.Pending ??= new ConfigSection();
            conf.Pending[opt] = value;
            var deletes = conf.PendingDeletes();
            if (deletes.Remove(opt)) conf.SetPendingDeletes(deletes);
        }
    }
}
