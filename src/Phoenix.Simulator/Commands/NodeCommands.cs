using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Faults;
using Phoenix.Simulator.Guest;
using Phoenix.Simulator.Internal;
using Phoenix.Simulator.Model;

namespace Phoenix.Simulator.Commands
{
    /// <summary>
    /// The qm, pvesm and pvesh commands as one simulated node runs them (each command is a method in
    /// the partial file named after it; this file holds what they share). An instance lives for one
    /// command run: it carries the effective fault plan and the command kind, so latency can be
    /// applied where Proxmox spends its time (inside the locks of a task), not just at the start.
    /// </summary>
    internal sealed partial class NodeCommands
    {
        public NodeCommands(SimNode node, IGuestRunner runner, FaultPlan? faults, string kind)
        {
            Node = node;
            Runner = runner;
            Faults = faults;
            Kind = kind;
        }

        public SimNode Node { get; }
        public IGuestRunner Runner { get; }
        public FaultPlan? Faults { get; }
        public string Kind { get; }
        private bool _delayed;

        private ISimulatorClock Clock => Node.Clock;

        /// <summary>An injected drop in phase "during": the command dies at its <see cref="Midway"/> point.</summary>
        public bool KillMidway { get; set; }

        /// <summary>
        /// The point where a killed command leaves its half-done state (config locks, prepared snapshots):
        /// with <see cref="KillMidway"/> the command ends here, without cleanup, as a SIGKILL would end it.
        /// </summary>
        internal void Midway()
        {
            if (KillMidway) throw new CommandKilledException();
        }

        // ---- generic mechanics ----

        /// <summary>
        /// A worker task run synchronously as in the CLI: its output goes to stdout, its error (newlines
        /// turned into spaces) to stderr; exit 255 on error for commands with $upid_exit, else 0.
        /// </summary>
        private static int Task(CommandContext c, bool upidExit, Action work)
        {
            try
            {
                work();
                return 0;
            }
            catch (PveDie e)
            {
                c.Err.Append(TaskError(e.Message));
                return upidExit ? 255 : 0;
            }
            catch (ParamException e)
            {
                c.Err.Append(TaskError(e.Render()));
                return upidExit ? 255 : 0;
            }
            catch (HttpException e)
            {
                c.Err.Append(TaskError(e.Render()));
                return upidExit ? 255 : 0;
            }
        }

        /// <summary>chomp, then every remaining newline becomes a space.</summary>
        private static string TaskError(string message)
        {
            if (message.EndsWith("\n", StringComparison.Ordinal)) message = message.Substring(0, message.Length - 1);
            return message.Replace("\n", " ") + "\n";
        }

        /// <summary>The injected latency of this command kind, spent once.</summary>
        internal void Delay(CommandContext c)
        {
            if (_delayed) return;
            _delayed = true;
            var seconds = LatencySeconds(Kind);
            if (seconds > 0) Clock.Sleep(TimeSpan.FromSeconds(seconds), c.Inv.Ct);
        }

        /// <summary>
        /// A command that ends without having spent its latency (a check failed before its work: no such VM,
        /// agent not running) still paid for starting the program, as a real node pays its Perl start:
        /// it spends the <c>*</c> latency.
        /// </summary>
        internal void SpendStartLatency(System.Threading.CancellationToken ct)
        {
            if (_delayed || Faults == null) return;
            _delayed = true;
            if (Faults.Latency.TryGetValue("*", out var s) && s > 0) Clock.Sleep(TimeSpan.FromSeconds(s), ct);
        }

        internal double LatencySeconds(string kind)
        {
            if (Faults == null) return 0;
            if (Faults.Latency.TryGetValue(kind, out var s)) return s;
            return Faults.Latency.TryGetValue("*", out var all) ? all : 0;
        }

        private static int Vmid(CommandContext c, string key = "vmid") => c.Int(key);

        private static void CheckLock(SimVmConfig conf)
        {
            if (conf["lock"] is string l) throw new PveDie($"VM is locked ({l})");
        }

        private static bool IsTemplate(SimVmConfig conf) => conf["template"] == "1";

        // ---- drives ----

        /// <summary>foreach_volume order: ide, sata, scsi, virtio, efidisk0, tpmstate0.</summary>
        internal static IEnumerable<KeyValuePair<string, DriveSpec>> Drives(ConfigSection section)
        {
            foreach (var name in DriveSpec.AllDriveNames())
            {
                if (section[name] is string v && DriveSpec.Parse(v) is DriveSpec d && d.File != "none")
                    yield return new KeyValuePair<string, DriveSpec>(name, d);
            }
        }

        /// <summary>The size of the disk the VM boots from (bootdisk_size).</summary>
        internal static long BootDiskSize(ConfigSection conf)
        {
            var order = new List<string>();
            if (conf["boot"] is string boot)
            {
                var m = Regex.Match(boot, @"(?:^|,)order=([^,]+)");
                if (m.Success) order.AddRange(m.Groups[1].Value.Split(';'));
            }
            if (order.Count == 0 && conf["bootdisk"] is string bd) order.Add(bd);
            if (order.Count == 0) order.AddRange(DriveSpec.AllDriveNames());
            foreach (var dev in order)
            {
                if (!DriveSpec.IsDriveName(dev) || !(conf[dev] is string v)) continue;
                var d = DriveSpec.Parse(v);
                if (d == null || d.IsCdrom) continue;
                return d.SizeBytes;
            }
            return 0;
        }

        internal static long MemoryMiB(ConfigSection conf)
        {
            var mem = conf["memory"];
            if (mem == null) return 512;
            var m = Regex.Match(mem, @"(?:^|,)(?:current=)?(\d+)(?:,|$)");
            return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 512;
        }

        /// <summary>The config with pending changes applied (load_current_config without 'current').</summary>
        internal static ConfigSection WithPending(SimVmConfig conf)
        {
            var res = conf.Main.Clone();
            if (conf.Pending != null)
            {
                foreach (var kv in conf.Pending.Values)
                {
                    if (kv.Key == "delete") continue;
                    res.Values[kv.Key] = kv.Value;
                }
                if (conf.Pending.Description != null) res.Description = conf.Pending.Description;
                foreach (var del in conf.PendingDeletes().Keys)
                {
                    if (del == "description") res.Description = null;
                    else res.Values.Remove(del);
                }
            }
            return res;
        }

        // ---- guest agent ----

        internal TimeSpan AgentStartupDelay =>
            Faults?.AgentStartupDelaySeconds is double s ? TimeSpan.FromSeconds(s) : Node.Settings.AgentStartupDelay;

        /// <summary>How often a synchronous qm guest exec polls guest-exec-status (fault plans may override).</summary>
        internal TimeSpan GuestExecPollInterval =>
            Faults?.GuestExecPollSeconds is double s ? TimeSpan.FromSeconds(s) : Node.Settings.GuestExecPollInterval;

        /// <summary>assert_agent_available: configured, VM running, agent answering a ping.</summary>
        internal void AssertAgentAvailable(int vmid, SimVmConfig conf)
        {
            if (conf["agent"] == null) throw new PveDie("No QEMU guest agent configured");
            var rt = Node.GetRuntime(vmid);
            if (rt == null) throw new PveDie($"VM {vmid} is not running");
            if (!AgentEnabled(conf)) throw new PveDie("QEMU guest agent is not running");
            var up = DateTimeOffset.FromUnixTimeMilliseconds(rt.StartedUnixMs) + AgentStartupDelay;
            if (Clock.UtcNow < up || rt.Status != "running") throw new PveDie("QEMU guest agent is not running");
        }

        internal static bool AgentEnabled(SimVmConfig conf)
        {
            var agent = conf["agent"];
            if (agent == null) return false;
            var parsed = Formats.Agent.Parse(agent, out var err, "agent");
            if (err != null) return false;
            return parsed.TryGetValue("enabled", out var en) && en == "1";
        }

        internal bool AgentAnswers(int vmid, SimVmConfig conf)
        {
            try
            {
                AssertAgentAvailable(vmid, conf);
                return true;
            }
            catch (PveDie)
            {
                return false;
            }
        }

        // ---- misc ----

        internal static string Secret => "**********";

        /// <summary>PVE::Tools::encrypt_pw: SHA-256 crypt with a salt from the current time.</summary>
        internal string EncryptPassword(string password)
        {
            var salt = ShaCrypt.ProxmoxSalt(Clock.UtcNow.ToUnixTimeSeconds());
            return ShaCrypt.Sha256Crypt(password, salt);
        }

        internal TimeZoneInfo NodeTimeZone()
        {
            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(Node.Settings.TimeZone);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException || e is InvalidTimeZoneException)
            {
                return TimeZoneInfo.Utc;
            }
        }

        internal static string Pad(string s, int width) => s.Length >= width ? s : s + new string(' ', width - s.Length);

        internal static string PadLeft(string s, int width) => s.Length >= width ? s : new string(' ', width - s.Length) + s;
    }

    /// <summary>Thrown at <see cref="NodeCommands.Midway"/> when the fault plan kills the command there.</summary>
    internal sealed class CommandKilledException : Exception
    {
        public CommandKilledException() : base("The command was killed part-way (injected fault).") { }
    }
}
