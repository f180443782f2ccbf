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
        /// <summary>QemuServer.pm $fast_plug_option plus the cloud-init options: applied at once even on a running VM.</summary>
        private static readonly Regex FastPlug = new Regex(
            @"^(description|hookscript|lock|migrate_downtime|migrate_speed|name|onboot|protection|shares|startup|tags|vmstatestorage"
            + @"|ciuser|cipassword|citype|ciupgrade|sshkeys|nameserver|searchdomain|cicustom|ipconfig\d+)$", RegexOptions.Compiled);

        /// <summary>
        /// Whether a pending change (a new value, or with <paramref name="newValue"/> null a deletion) takes
        /// effect on a running VM with the default hotplug setting (network,disk,usb), as
        /// vmconfig_hotplug_pending decides (QemuServer.pm 4617-4900); the rest waits for the next start.
        /// </summary>
        private static bool HotPluggable(string key, SimVmConfig conf, string? newValue)
        {
            if (FastPlug.IsMatch(key) || Regex.IsMatch(key, @"^(net\d+|cpuunits|cpulimit)$")) return true;
            if (key == "balloon")
            {
                // Turning the balloon device on or off needs a restart; changing its target does not.
                var wasOn = conf["balloon"] != "0";
                var isOn = newValue != null && newValue != "0";
                return newValue == null ? wasOn : wasOn == isOn;
            }
            if (key == "agent")
            {
                // Only fstrim_cloned_disks changes live (vmconfig_update_agent).
                if (newValue == null || conf["agent"] == null) return false;
                var before = Formats.Agent.Parse(conf["agent"]!, out _, "agent");
                var after = Formats.Agent.Parse(newValue, out _, "agent");
                before.Remove("fstrim_cloned_disks");
                after.Remove("fstrim_cloned_disks");
                return before.Count == after.Count && before.All(kv => after.TryGetValue(kv.Key, out var v) && v == kv.Value);
            }
            if (!DriveSpec.IsDriveName(key) || key == "efidisk0" || key == "tpmstate0") return false;
            if (!Regex.IsMatch(key, @"^(ide|sata)\d+$")) return true;
            // IDE and SATA take no hot-plugged disk, but a CD-ROM's medium can be changed.
            return newValue != null && DriveSpec.Parse(newValue) is DriveSpec d && d.IsCdrom;
        }

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
                CheckBalloon(conf, param);
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
                    else if (opt == "boot")
                    {
                        SetPending(conf, opt, BootOrder(conf, param, delete, value));
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

                CleanupPending(conf);
                ApplyPending(vmid, conf, c.Out, hotplugOnly: running);
                WriteConfig(vmid, conf);
                if (addedCloudInit && !running) GenerateCloudInit(vmid, conf.Main, c.Out);
            }
            return 0;
        }

        /// <summary>
        /// $load_and_check_config (Qemu.pm 2240-2250): the balloon target may not exceed the memory the VM
        /// will have (the new memory, else the pending, else the current one).
        /// </summary>
        private static void CheckBalloon(SimVmConfig conf, SortedDictionary<string, string> param)
        {
            var newMemory = param.TryGetValue("memory", out var m) && m != "0" && m.Length > 0 ? m : null;
            if (newMemory == null && !param.ContainsKey("balloon")) return;
            var memory = newMemory ?? conf.Pending?["memory"] ?? conf["memory"];
            var section = new ConfigSection();
            if (memory != null) section["memory"] = memory;
            var maxmem = MemoryMiB(section);
            var balloon = param.TryGetValue("balloon", out var b) ? b : conf.Pending?["balloon"] ?? conf["balloon"];
            if (balloon != null && long.TryParse(balloon, NumberStyles.None, CultureInfo.InvariantCulture, out var bv) && bv > maxmem)
                throw new PveDie("balloon value too large (must be smaller than assigned memory)");
        }

        /// <summary>
        /// A new boot order (Qemu.pm 2526-2542): every device must exist (in the config, pending or this
        /// call) and not be deleted by it; the order is printed back with ';' (print_bootorder), and a
        /// legacy `bootdisk` goes into the pending deletions. A value without `order=` is kept as given.
        /// </summary>
        private static string BootOrder(SimVmConfig conf, SortedDictionary<string, string> param, List<string> delete, string value)
        {
            var boot = Formats.Boot.Parse(value, out _, "boot");
            if (!boot.TryGetValue("order", out var order) || order.Length == 0) return value;
            var devs = SchemaCheck.SplitList(order).ToList();
            foreach (var dev in devs)
            {
                var exists = conf[dev] != null || conf.Pending?[dev] != null || param.ContainsKey(dev);
                // The stray quote at the end is Proxmox's own.
                if (!exists || delete.Contains(dev)) throw new PveDie($"invalid bootorder: device '{dev}' does not exist'");
            }
            if (conf["bootdisk"] != null)
            {
                var deletes = conf.PendingDeletes();
                if (!deletes.ContainsKey("bootdisk")) deletes["bootdisk"] = false;
                conf.SetPendingDeletes(deletes);
            }
            return devs.Count == 0 ? "" : "order=" + string.Join(";", devs);
        }

        /// <summary>
        /// AbstractConfig cleanup_pending: a pending value equal to the current one is no change, and a
        /// pending deletion of an option that is not set is dropped.
        /// </summary>
        private static void CleanupPending(SimVmConfig conf)
        {
            if (conf.Pending == null) return;
            foreach (var kv in conf.Pending.Values.ToList())
            {
                if (kv.Key != "delete" && conf[kv.Key] == kv.Value) conf.Pending.Values.Remove(kv.Key);
            }
            if (conf.Pending.Description != null && conf.Pending.Description == conf.Main.Description) conf.Pending.Description = null;
            var deletes = conf.PendingDeletes();
            foreach (var key in deletes.Keys.ToList())
            {
                var set = key == "description" ? conf.Main.Description != null : conf[key] != null;
                if (!set) deletes.Remove(key);
            }
            conf.SetPendingDeletes(deletes);
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
