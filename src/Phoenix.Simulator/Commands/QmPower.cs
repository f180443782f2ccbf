using System;
using System.Collections.Generic;
using System.Linq;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    internal sealed partial class NodeCommands
    {
        /// <summary>qm start: task qmstart; template, lock, running checks; cloud-init regenerated on each start.</summary>
        public int QmStart(CommandContext c)
        {
            var vmid = Vmid(c);
            CheckQuorum();
            return Task(c, upidExit: true, () => StartVm(c, vmid, c.Flag("skiplock")));
        }

        internal void StartVm(CommandContext c, int vmid, bool skiplock)
        {
            using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
            {
                var conf = Node.LoadConfig(vmid);
                if (IsTemplate(conf)) throw new PveDie("you can't start a vm if it's a template");
                if (!skiplock && conf["lock"] != "suspended") CheckLock(conf);
                if (Node.GetRuntime(vmid) != null) throw new PveDie($"VM {vmid} already running");
                if (conf.Pending != null && (conf.Pending.Values.Count > 0 || conf.Pending.Description != null))
                {
                    ApplyPending(vmid, conf, c.Out, hotplugOnly: false);
                    WriteConfig(vmid, conf);
                }
                GenerateCloudInit(vmid, conf.Main, c.Out);
                Delay(c);
                Node.SetRuntime(vmid, new SimNode.Runtime
                {
                    Pid = Node.NextPid(),
                    StartedUnixMs = Node.Clock.UtcNow.ToUnixTimeMilliseconds(),
                    Status = "running",
                });
            }
        }

        /// <summary>qm stop: a stopped VM is a no-op.</summary>
        public int QmStop(CommandContext c)
        {
            var vmid = Vmid(c);
            return Task(c, upidExit: true, () =>
            {
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    var conf = Node.LoadConfig(vmid);
                    if (!c.Flag("skiplock")) CheckLock(conf);
                    Delay(c);
                    StopVm(vmid);
                }
            });
        }

        internal void StopVm(int vmid)
        {
            if (Node.GetRuntime(vmid) == null) return;
            Node.ClearRuntime(vmid);
            Runner.OnStop(Node.Guest(vmid));
        }

        /// <summary>
        /// qm shutdown. The guest takes the "shutdown" latency of the fault plan to power off; when that
        /// is longer than --timeout (default 60) the shutdown fails, or with --forceStop the VM is killed.
        /// </summary>
        public int QmShutdown(CommandContext c)
        {
            var vmid = Vmid(c);
            var rt0 = Node.GetRuntime(vmid);
            if (rt0 != null && rt0.Status == "paused")
            {
                if (!c.Flag("forceStop")) throw new PveDie("VM is paused - cannot shutdown");
                c.Err.Append("VM is paused - stop instead of shutdown\n");
            }
            return Task(c, upidExit: true, () =>
            {
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    var conf = Node.LoadConfig(vmid);
                    if (!c.Flag("skiplock")) CheckLock(conf);
                    if (Node.GetRuntime(vmid) == null) return;
                    var timeout = c.IntOpt("timeout") ?? 60;
                    var needed = LatencySeconds("shutdown");
                    SleepFor(c, Math.Min(needed, timeout));
                    if (needed > timeout)
                    {
                        if (!c.Flag("forceStop")) throw new PveDie("VM quit/powerdown failed - got timeout");
                        c.Out.Append("VM still running - terminating now with SIGTERM\n");
                    }
                    StopVm(vmid);
                }
            });
        }

        private void SleepFor(CommandContext c, double seconds)
        {
            if (seconds > 0) Node.Clock.Sleep(TimeSpan.FromSeconds(seconds), c.Inv.Ct);
        }

        /// <summary>qm destroy: pre-fork protection/running checks, then the task removes owned volumes.</summary>
        public int QmDestroy(CommandContext c)
        {
            var vmid = Vmid(c);
            var conf0 = Node.LoadConfig(vmid);
            if (conf0["protection"] == "1") throw new PveDie($"can't remove VM {vmid} - protection mode enabled");
            if (Node.GetRuntime(vmid) != null) throw new PveDie($"VM {vmid} is running - destroy failed");
            return Task(c, upidExit: true, () =>
            {
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    var conf = Node.LoadConfig(vmid);
                    if (!c.Flag("skiplock") && conf["lock"] != "suspended") CheckLock(conf);
                    if (IsTemplate(conf))
                    {
                        foreach (var d in Drives(conf.Main).Concat(UnusedDrives(conf.Main)))
                        {
                            if (d.Value.IsCdrom && !d.Value.IsCloudInit) continue;
                            if (Node.VolumeIsBaseAndUsed(d.Value.File)) throw new PveDie($"base volume '{d.Value.File}' is still in use by linked cloned");
                        }
                    }
                    Delay(c);
                    var storage = Node.LoadStorage();
                    var volids = new List<string>();
                    void Collect(ConfigSection s)
                    {
                        foreach (var d in Drives(s).Concat(UnusedDrives(s)))
                        {
                            if (d.Value.IsCdrom && !d.Value.IsCloudInit) continue;
                            if (!volids.Contains(d.Value.File)) volids.Add(d.Value.File);
                        }
                        if (s["vmstate"] is string vs && !volids.Contains(vs)) volids.Add(vs);
                    }
                    Collect(conf.Main);
                    if (conf.Pending != null) Collect(conf.Pending);
                    foreach (var snap in conf.Snapshots.Values) Collect(snap);
                    foreach (var volid in volids)
                    {
                        if (!StorageConfig.TryParseVolumeId(volid, out var sid, out var volname)) continue;
                        var st = storage.Find(sid);
                        if (st == null) continue;
                        VolumeInfo info;
                        try
                        {
                            info = StorageConfig.ParseVolname(st, volname);
                        }
                        catch (PveDie)
                        {
                            continue;
                        }
                        if (info.OwnerVmid != vmid) continue;
                        Node.FreeVolume(volid, c.Out);
                    }
                    DeleteConfig(vmid);
                    Node.ClearRuntime(vmid);
                    Runner.OnDestroy(Node.Guest(vmid));
                    Node.Store.DeleteTree($"/var/lib/phoenix-sim/cloudinit/{vmid}");
                    if (c.Flag("purge")) c.Out.Append($"purging VM {vmid} from related configurations..\n");
                }
            });
        }

        internal static IEnumerable<KeyValuePair<string, DriveSpec>> UnusedDrives(ConfigSection section)
        {
            foreach (var kv in section.Values.Where(k => System.Text.RegularExpressions.Regex.IsMatch(k.Key, @"^unused\d+$")).ToList())
            {
                yield return new KeyValuePair<string, DriveSpec>(kv.Key, new DriveSpec(kv.Value));
            }
        }

        /// <summary>qm template: pre-fork checks under the lock, then a task (exit 0 even if the task fails).</summary>
        public int QmTemplate(CommandContext c)
        {
            var vmid = Vmid(c);
            var disk = c.Get("disk");
            SimVmConfig conf;
            using (Node.LockConfig(vmid, c.Err, c.Inv.Ct))
            {
                conf = Node.LoadConfig(vmid);
                CheckLock(conf);
                if (conf.Snapshots.Count > 0) throw new PveDie("unable to create template, because VM contains snapshots");
                if (IsTemplate(conf) && disk == null) throw new PveDie("you can't convert a template to a template");
                if (Node.GetRuntime(vmid) != null) throw new PveDie("you can't convert a VM to template if VM is running");
                conf["template"] = "1";
                WriteConfig(vmid, conf);
            }
            return Task(c, upidExit: false, () =>
            {
                Delay(c);
                using (Node.LockConfig(vmid, c.Out, c.Inv.Ct))
                {
                    conf = Node.LoadConfig(vmid);
                    var storage = Node.LoadStorage();
                    foreach (var kv in Drives(conf.Main).ToList())
                    {
                        if (disk != null && kv.Key != disk) continue;
                        var d = kv.Value;
                        if (d.IsCdrom) continue;
                        if (!StorageConfig.TryParseVolumeId(d.File, out var sid, out var volname)) continue;
                        var st = storage.Require(sid);
                        var info = StorageConfig.ParseVolname(st, volname);
                        if (info.IsBase) continue;
                        if (!StorageConfig.HasFeature(st, "template", info, null))
                            throw new PveDie($"volume '{d.File}' does not support template/clone");
                        d.File = CreateBase(st, volname, info, c.Out);
                        conf[kv.Key] = d.ToString();
                        WriteConfig(vmid, conf);
                    }
                }
            });
        }

        /// <summary>The storage plugin's create_base: rename vm- to base-.</summary>
        private string CreateBase(StorageDef st, string volname, VolumeInfo info, System.Text.StringBuilder output)
        {
            var newName = "base-" + info.Name.Substring(3);
            string newVolname;
            if (st.IsFileBased) newVolname = $"{info.OwnerVmid}/{newName}";
            else newVolname = newName;
            Node.WithVolumes(st.Id, vols =>
            {
                if (vols.TryGetValue(volname, out var rec))
                {
                    vols.Remove(volname);
                    vols[newVolname] = rec;
                }
                return 0;
            });
            if (st.Type == "lvmthin" || st.Type == "lvm")
            {
                var vg = st.Get("vgname") ?? "pve";
                output.Append($"  Renamed \"{info.Name}\" to \"{newName}\" in volume group \"{vg}\"\n");
                output.Append($"  Logical volume {vg}/{newName} changed.\n");
            }
            return st.Id + ":" + newVolname;
        }
    }
}
