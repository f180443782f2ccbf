using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Newtonsoft.Json.Linq;
using Phoenix.Simulator.Guest;

namespace Phoenix.Simulator.Faults
{
    /// <summary>
    /// Faults to inject into a simulated node. In a state folder the plan is the file
    /// <c>&lt;state&gt;/faults.json</c>, read again before every command so a test can change it while
    /// the fake host runs; in process it is <see cref="ProxmoxSimulator.Faults"/>. The JSON shape
    /// (every member optional; see FAULTS.md):
    /// <code>
    /// {
    ///   "latency": { "clone": 2.5, "start": 1, "*": 0.1 },            // seconds, per command kind
    ///   "agentStartupDelaySeconds": 5,
    ///   "guestExecPollSeconds": 1,
    ///   "failures": [ { "kind": "clone", "vmid": 101, "count": 2, "exitCode": 255,
    ///                   "stderr": "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout",
    ///                   "stdout": "" } ],
    ///   "lockHolds": [ { "vmid": 101, "lock": "backup", "seconds": 5 } ],
    ///   "drops": [ { "kind": "exec", "vmid": 101, "count": 1, "phase": "after" } ],   // or "before", "during"
    ///   "guestResults": [ { "pattern": "^apt-get ", "exitCode": 0, "stdout": "", "stderr": "",
    ///                       "durationSeconds": 3 } ],
    ///   "containers": [ { "vmid": 102, "name": "dns", "status": "running" } ],
    ///   "nodesDown": [ "pve2" ]
    /// }
    /// </code>
    /// Kinds are qm sub-commands (<c>clone</c>, <c>start</c>, <c>set</c>, <c>snapshot</c>, ...),
    /// <c>exec</c>, <c>exec-status</c> and <c>agent</c> for the guest agent, <c>cloudinit-update</c>,
    /// <c>cloudinit-dump</c>, <c>pvesm-status</c>, <c>pvesm-path</c>, <c>pvesh</c>, or <c>*</c> for all.
    /// Counters ("the next N invocations") restart whenever the plan changes.
    /// </summary>
    public sealed class FaultPlan
    {
        /// <summary>Extra time per command kind, in seconds (on the simulator's clock).</summary>
        public IDictionary<string, double> Latency { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

        /// <summary>Overrides the node's guest agent start-up delay.</summary>
        public double? AgentStartupDelaySeconds { get; set; }

        /// <summary>
        /// Overrides how often a synchronous <c>qm guest exec</c> asks the agent whether its command has
        /// exited (Proxmox: every second; the node's default is short so tests run fast).
        /// </summary>
        public double? GuestExecPollSeconds { get; set; }

        /// <summary>Commands that fail, as given, the next N times.</summary>
        public IList<FailureFault> Failures { get; } = new List<FailureFault>();

        /// <summary>VMs that carry a config lock for a while.</summary>
        public IList<LockHoldFault> LockHolds { get; } = new List<LockHoldFault>();

        /// <summary>Commands during which the connection drops.</summary>
        public IList<DropFault> Drops { get; } = new List<DropFault>();

        /// <summary>Canned answers for guest commands, tried before the guest runner's own.</summary>
        public IList<CannedGuestResult> GuestResults { get; } = new List<CannedGuestResult>();

        /// <summary>LXC containers to report in /cluster/resources (the real config depends on CT 102).</summary>
        public IList<SimulatedContainer> Containers { get; } = new List<SimulatedContainer>();

        /// <summary>
        /// Cluster nodes that are down: they answer nothing (their connections drop; the fake host stops their
        /// sshd), the others see them offline, and a cluster without a majority of its nodes up has no quorum.
        /// </summary>
        public ISet<string> NodesDown { get; } = new SortedSet<string>(StringComparer.Ordinal);

        /// <summary>Reads the JSON shape described on the class.</summary>
        public static FaultPlan Parse(string json)
        {
            var plan = new FaultPlan();
            var o = JObject.Parse(json);
            if (o["latency"] is JObject lat)
            {
                foreach (var p in lat.Properties()) plan.Latency[p.Name] = p.Value.Value<double>();
            }
            if (o["agentStartupDelaySeconds"] is JToken a && a.Type != JTokenType.Null) plan.AgentStartupDelaySeconds = a.Value<double>();
            if (o["guestExecPollSeconds"] is JToken poll && poll.Type != JTokenType.Null) plan.GuestExecPollSeconds = poll.Value<double>();
            foreach (var f in (o["failures"] as JArray ?? new JArray()).OfType<JObject>())
            {
                plan.Failures.Add(new FailureFault
                {
                    Kind = f.Value<string>("kind") ?? "*",
                    VmId = f.Value<int?>("vmid"),
                    Count = f.Value<int?>("count") ?? 1,
                    ExitCode = f.Value<int?>("exitCode") ?? 255,
                    Stderr = f.Value<string>("stderr") ?? "",
                    Stdout = f.Value<string>("stdout") ?? "",
                });
            }
            foreach (var h in (o["lockHolds"] as JArray ?? new JArray()).OfType<JObject>())
            {
                plan.LockHolds.Add(new LockHoldFault
                {
                    VmId = h.Value<int>("vmid"),
                    Lock = h.Value<string>("lock") ?? "backup",
                    Seconds = h.Value<double?>("seconds") ?? 10,
                });
            }
            foreach (var d in (o["drops"] as JArray ?? new JArray()).OfType<JObject>())
            {
                plan.Drops.Add(new DropFault
                {
                    Kind = d.Value<string>("kind") ?? "*",
                    VmId = d.Value<int?>("vmid"),
                    Count = d.Value<int?>("count") ?? 1,
                    Phase = ParsePhase(d.Value<string>("phase")),
                });
            }
            foreach (var g in (o["guestResults"] as JArray ?? new JArray()).OfType<JObject>())
            {
                plan.GuestResults.Add(new CannedGuestResult
                {
                    Pattern = g.Value<string>("pattern") ?? ".*",
                    ExitCode = g.Value<int?>("exitCode") ?? 0,
                    Stdout = g.Value<string>("stdout") ?? "",
                    Stderr = g.Value<string>("stderr") ?? "",
                    Duration = TimeSpan.FromSeconds(g.Value<double?>("durationSeconds") ?? 0),
                });
            }
            foreach (var n in (o["nodesDown"] as JArray ?? new JArray()).Select(t => t.ToString())) plan.NodesDown.Add(n);
            foreach (var c in (o["containers"] as JArray ?? new JArray()).OfType<JObject>())
            {
                plan.Containers.Add(new SimulatedContainer
                {
                    VmId = c.Value<int>("vmid"),
                    Name = c.Value<string>("name") ?? "CT" + c.Value<int>("vmid").ToString(CultureInfo.InvariantCulture),
                    Running = (c.Value<string>("status") ?? "running") == "running",
                });
            }
            return plan;
        }

        private static DropPhase ParsePhase(string? phase) => phase switch
        {
            "before" => DropPhase.Before,
            "during" => DropPhase.During,
            _ => DropPhase.After,
        };

        /// <summary>Writes the plan in the JSON shape described on the class.</summary>
        public string ToJson()
        {
            var o = new JObject();
            if (Latency.Count > 0)
                o["latency"] = new JObject(Latency.OrderBy(k => k.Key, StringComparer.Ordinal).Select(kv => new JProperty(kv.Key, kv.Value)));
            if (AgentStartupDelaySeconds.HasValue) o["agentStartupDelaySeconds"] = AgentStartupDelaySeconds.Value;
            if (GuestExecPollSeconds.HasValue) o["guestExecPollSeconds"] = GuestExecPollSeconds.Value;
            if (Failures.Count > 0)
                o["failures"] = new JArray(Failures.Select(f => new JObject
                {
                    ["kind"] = f.Kind, ["vmid"] = f.VmId, ["count"] = f.Count, ["exitCode"] = f.ExitCode, ["stderr"] = f.Stderr, ["stdout"] = f.Stdout,
                }));
            if (LockHolds.Count > 0)
                o["lockHolds"] = new JArray(LockHolds.Select(h => new JObject { ["vmid"] = h.VmId, ["lock"] = h.Lock, ["seconds"] = h.Seconds }));
            if (Drops.Count > 0)
                o["drops"] = new JArray(Drops.Select(d => new JObject
                {
                    ["kind"] = d.Kind, ["vmid"] = d.VmId, ["count"] = d.Count, ["phase"] = d.Phase.ToString().ToLowerInvariant(),
                }));
            if (GuestResults.Count > 0)
                o["guestResults"] = new JArray(GuestResults.Select(g => new JObject
                {
                    ["pattern"] = g.Pattern, ["exitCode"] = g.ExitCode, ["stdout"] = g.Stdout, ["stderr"] = g.Stderr,
                    ["durationSeconds"] = g.Duration.TotalSeconds,
                }));
            if (NodesDown.Count > 0) o["nodesDown"] = new JArray(NodesDown.Cast<object>().ToArray());
            if (Containers.Count > 0)
                o["containers"] = new JArray(Containers.Select(c =>
                    new JObject { ["vmid"] = c.VmId, ["name"] = c.Name, ["status"] = c.Running ? "running" : "stopped" }));
            return o.ToString(Newtonsoft.Json.Formatting.Indented);
        }
    }

    /// <summary>Fail the next <see cref="Count"/> commands of a kind with exactly this output.</summary>
    public sealed class FailureFault
    {
        /// <summary>Command kind, or "*".</summary>
        public string Kind { get; set; } = "*";

        /// <summary>Only for this VM (null: any).</summary>
        public int? VmId { get; set; }

        /// <summary>How many invocations fail.</summary>
        public int Count { get; set; } = 1;

        /// <summary>Exit code (Proxmox task errors exit 255).</summary>
        public int ExitCode { get; set; } = 255;

        /// <summary>Standard error, a newline is added when missing.</summary>
        public string Stderr { get; set; } = "";

        /// <summary>Standard output.</summary>
        public string Stdout { get; set; } = "";
    }

    /// <summary>Hold a VM's config lock (<c>lock: backup</c> in its config) for a while, then drop it.</summary>
    public sealed class LockHoldFault
    {
        /// <summary>The VM.</summary>
        public int VmId { get; set; }

        /// <summary>The lock value (backup, clone, snapshot, migrate, ...).</summary>
        public string Lock { get; set; } = "backup";

        /// <summary>How long, from the first command that sees this plan.</summary>
        public double Seconds { get; set; } = 10;
    }

    /// <summary>When a dropped connection happens relative to the command's work.</summary>
    public enum DropPhase
    {
        /// <summary>Before anything ran.</summary>
        Before,

        /// <summary>After the command did its work but before its answer arrives (the harder case).</summary>
        After,

        /// <summary>
        /// Part-way through, as a SIGKILL or a crashed node would cut it: the command leaves what Proxmox leaves at
        /// that point (qm snapshot: the snapshot in <c>snapstate: prepare</c> and <c>lock: snapshot</c>; qm clone:
        /// the new config with <c>lock: clone</c> and its first disk; qm delsnapshot: <c>snapstate: delete</c> and
        /// <c>lock: snapshot-delete</c>; qm rollback: <c>lock: rollback</c>; qm create: <c>lock: create</c>; qm migrate:
        /// <c>lock: migrate</c>), no cleanup runs, and the connection drops. Commands without such a point
        /// behave as <see cref="After"/>.
        /// </summary>
        During,
    }

    /// <summary>Drop the connection during the next <see cref="Count"/> commands of a kind.</summary>
    public sealed class DropFault
    {
        /// <summary>Command kind, or "*".</summary>
        public string Kind { get; set; } = "*";

        /// <summary>Only for this VM (null: any).</summary>
        public int? VmId { get; set; }

        /// <summary>How many times.</summary>
        public int Count { get; set; } = 1;

        /// <summary>Before or after the work.</summary>
        public DropPhase Phase { get; set; } = DropPhase.After;
    }

    /// <summary>An LXC container the node reports (the simulator runs no containers).</summary>
    public sealed class SimulatedContainer
    {
        /// <summary>The CT id.</summary>
        public int VmId { get; set; }

        /// <summary>Its hostname.</summary>
        public string Name { get; set; } = "";

        /// <summary>Running or stopped.</summary>
        public bool Running { get; set; } = true;
    }
}
