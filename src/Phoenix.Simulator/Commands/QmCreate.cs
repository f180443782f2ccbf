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
    /// <summary>qm create.</summary>
    internal sealed partial class NodeCommands
    {
        /// <summary>qm create: a new config, disks allocated, MAC addresses and identities generated.</summary>
        public int QmCreate(CommandContext c)
        {
            var vmid = Vmid(c);
            if (c.Get("archive") != null) throw new PveDie("restoring backups is not supported by the simulator");
            var notConfig = new HashSet<string>(NotConfigKeys.Concat(new[] { "storage", "start", "pool", "unique", "archive", "live-restore" }));
            var param = new SortedDictionary<string, string>(
                c.Param.Where(kv => !notConfig.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
            if (param.TryGetValue("sshkeys", out var keys)) ValidateSshKeys(PveText.UriUnescape(keys));
            CheckQuorum();
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
                    // check_vmid_unused: the ID must be free in the whole cluster, containers included.
                    if (Cluster.FindGuest(vmid) is var owner && owner != null)
                    {
                        var type = owner.Value.Type == "qemu" ? "VM" : "CT";
                        throw new PveDie($"unable to create VM {vmid} - {type} {vmid} already exists on node '{owner.Value.Node}'");
                    }
                    var conf = new SimVmConfig();
                    conf["lock"] = "create";
                    WriteConfig(vmid, conf);
                    try
                    {
                        Midway();
                        Delay(c);
                        foreach (var kv in param)
                        {
                            var value = kv.Value;
                            if (DriveSpec.IsDriveName(kv.Key)) value = CreateDisk(vmid, kv.Key, value, storageCfg, c.Out, out _);
                            else if (Regex.IsMatch(kv.Key, @"^net\d+$")) value = NormalizeNet(value);
                            else if (kv.Key == "cipassword" && !IsWindows(param.TryGetValue("ostype", out var os) ? os : null)
                                && !Regex.IsMatch(value, @"^\$(?:[156]|2[ay])(\$.+){2}")) value = EncryptPassword(value);
                            else if (kv.Key == "tags") value = UniqueTags(value);
                            else if (kv.Key == "vmgenid" && value == "1") value = Node.NewUuid();
                            if (kv.Key == "description") conf.Main.Description = value;
                            else conf[kv.Key] = value;
                        }
                        if (conf["smbios1"] == null) conf["smbios1"] = "uuid=" + Node.NewUuid();
                        if (conf["vmgenid"] == null) conf["vmgenid"] = Node.NewUuid();
                        conf["meta"] = "creation-qemu=9.2.0,ctime=" + Node.Clock.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                        conf["lock"] = null;
                        WriteConfig(vmid, conf);
                    }
                    catch (Exception e) when (!(e is CommandKilledException))
                    {
                        foreach (var d in Drives(Node.TryLoadConfig(vmid)?.Main ?? conf.Main)) Node.FreeVolume(d.Value.File, new StringBuilder());
                        DeleteConfig(vmid);
                        // create_vm: die "$emsg $err" (QS/API2/Qemu.pm 1545-1550).
                        if (e is PveDie die) throw new PveDie($"unable to create VM {vmid} - {die.Message}");
                        throw;
                    }
                }
                if (c.Flag("start")) StartVm(c, vmid, false);
            });
        }
    }
}
