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
    /// <summary>Applying a VM's [PENDING] section (qm set, qm start, disk import).</summary>
    internal sealed partial class NodeCommands
    {
        /// <summary>vmconfig_apply_pending (or, for a running VM, the hot-pluggable part of it).</summary>
        internal void ApplyPending(int vmid, SimVmConfig conf, StringBuilder output, bool hotplugOnly)
        {
            if (conf.Pending == null) return;
            var deletes = conf.PendingDeletes();
            foreach (var del in deletes.ToList())
            {
                if (hotplugOnly && !HotPluggable(del.Key, conf, null)) continue;
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
                if (hotplugOnly && !HotPluggable(kv.Key, conf, kv.Value)) continue;
                var old = conf[kv.Key];
                if (DriveSpec.IsDriveName(kv.Key) && old != null && DriveSpec.Parse(old) is DriveSpec od
                    && DriveSpec.Parse(kv.Value) is DriveSpec nd && od.File != nd.File)
                {
                    if (od.IsCloudInit) Node.FreeVolume(od.File, output);
                    else if (!od.IsCdrom) AddUnused(conf, od.File);
                }
                conf[kv.Key] = kv.Value;
                conf.Pending.Values.Remove(kv.Key);
            }
            if (conf.Pending.Description != null && (!hotplugOnly || HotPluggable("description", conf, conf.Pending.Description)))
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

        private static void AddUnused(SimVmConfig conf, string volid)
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
    }
}
