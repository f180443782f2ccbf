using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Transport;
using Phoenix.Simulator.ApiSchema;
using Phoenix.Simulator.Commands;
using Phoenix.Simulator.Faults;
using Phoenix.Simulator.Guest;
using Phoenix.Simulator.Model;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator
{
    /// <summary>
    /// A simulated Proxmox VE node that answers <c>qm</c>, <c>pvesm</c> and <c>pvesh</c> with the outputs,
    /// error strings and exit codes of proxmox-behaviour.md. Thread-safe; with a state folder, several
    /// processes can share one node. A node may be one of a simulated cluster (<see cref="Cluster"/>):
    /// <see cref="ForNode"/> gives the simulator of another member, over the same state and faults.
    /// </summary>
    public sealed class ProxmoxSimulator
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);
        private readonly FaultSource _faultSource;

        /// <summary>Opens (and seeds, when new) a node or cluster as the options say.</summary>
        public ProxmoxSimulator(SimulatorOptions? options = null)
        {
            Options = options ?? new SimulatorOptions();
            var root = Options.StateDirectory != null ? new FolderStateStore(Options.StateDirectory) : (IStateStore)new MemoryStateStore();
            Cluster = SimCluster.Open(root, Options);
            Node = Cluster.Node(Cluster.LocalNodeName(Options.NodeName));
            GuestRunner = Options.GuestRunner ?? new RecordingGuestRunner();
            _faultSource = new FaultSource { Plan = Options.Faults };
        }

        private ProxmoxSimulator(ProxmoxSimulator other, SimNode node)
        {
            Options = other.Options;
            Cluster = other.Cluster;
            Node = node;
            GuestRunner = other.GuestRunner;
            _faultSource = other._faultSource;
        }

        /// <summary>The options the node was opened with.</summary>
        public SimulatorOptions Options { get; }

        /// <summary>The cluster the node belongs to (a lone node is a cluster of one without corosync).</summary>
        public SimCluster Cluster { get; }

        /// <summary>The node.</summary>
        public SimNode Node { get; }

        /// <summary>The node's files (in a cluster, its view: /etc/pve shared, its own files apart).</summary>
        public IStateStore Store => Node.Store;

        /// <summary>What runs guest commands.</summary>
        public IGuestRunner GuestRunner { get; }

        /// <summary>The simulator of another node of the cluster: same state, same guest runner, same fault plan.</summary>
        public ProxmoxSimulator ForNode(string nodeName)
        {
            if (Cluster.Member(nodeName) == null) throw new ArgumentException($"'{nodeName}' is not a node of this cluster.", nameof(nodeName));
            return nodeName == Node.Name ? this : new ProxmoxSimulator(this, Cluster.Node(nodeName));
        }

        /// <summary>
        /// The in-process fault plan, one for all nodes of the cluster. Setting it (again) re-arms its
        /// counters. A state folder's faults.json, when present, wins over this.
        /// </summary>
        public FaultPlan? Faults
        {
            get
            {
                lock (_faultSource) return _faultSource.Plan;
            }
            set
            {
                lock (_faultSource)
                {
                    _faultSource.Plan = value;
                    _faultSource.Revision++;
                }
            }
        }

        private sealed class FaultSource
        {
            public FaultPlan? Plan;
            public int Revision;
        }

        /// <summary>The path of the fault plan file in a state folder (null in memory).</summary>
        public string? FaultsFile => Cluster.Root.StateDirectory == null ? null : Path.Combine(Cluster.Root.StateDirectory, "faults.json");

        /// <summary>The commands a VM's recording guest was asked to run.</summary>
        public IReadOnlyList<RecordedGuestCommand> GuestLog(int vmid) => RecordingGuestRunner.ReadLog(Node.Guest(vmid));

        /// <summary>
        /// Runs one command line given as arguments (no shell): argv[0] is qm, pvesm or pvesh. Anything else
        /// answers like a shell that does not know it (exit 127). An injected dropped connection throws
        /// <see cref="PhoenixException"/> with kind ConnectionError and reason ConnectionLost.
        /// </summary>
        public CommandResult Execute(IReadOnlyList<string> argv, byte[]? stdin, CancellationToken cancellationToken)
            => ExecuteWithStdinReader(argv, () => stdin, cancellationToken);

        /// <summary>As <see cref="Execute(IReadOnlyList{string}, byte[], CancellationToken)"/>, reading stdin only when a command needs it.</summary>
        public CommandResult ExecuteWithStdinReader(IReadOnlyList<string> argv, Func<byte[]?> stdin, CancellationToken cancellationToken)
        {
            if (argv == null || argv.Count == 0) throw new ArgumentException("A command needs a program.", nameof(argv));
            var program = argv[0].Substring(argv[0].LastIndexOf('/') + 1);
            if (!CommandTable.Programs.TryGetValue(program, out var tree))
                return new CommandResult(127, "", $"sh: 1: {argv[0]}: not found\n");

            var inv = new Invocation(stdin, cancellationToken);
            var plan = EffectivePlan(out var generation);
            // A node that is down answers nothing: its connections drop (the fake host stops its sshd).
            if (plan != null && plan.NodesDown.Contains(Node.Name))
            {
                throw new PhoenixException(PhoenixErrorKind.ConnectionError, "ConnectionLost",
                    $"The simulated node '{Node.Name}' is down (injected fault); '{string.Join(" ", argv.Take(3))}' got no answer.", "simulator");
            }
            ApplyLockHolds(plan, generation);
            var exit = 255;
            DropFault? dropAfter = null;
            NodeCommands? commands = null;
            try
            {
                var args = argv.Skip(1).ToList();
                if (args.Count > 0 && args[0] == "help") return Help(program, tree, args.Skip(1).ToList());
                var resolved = Resolve(program, tree, args, inv);
                if (resolved == null) return new CommandResult(255, inv.Out.ToString(), inv.Err.ToString());
                var (def, rest) = resolved.Value;
                inv.Current = def;
                var (param, extra) = ArgParser.Parse(def, rest, inv.Err);
                foreach (var fp in def.FileParams)
                {
                    if (!param.TryGetValue(fp, out var file)) continue;
                    var data = Store.ReadFile(file.StartsWith("/", StringComparison.Ordinal) ? file : "/root/" + file);
                    if (data == null) throw new PveDie($"can't open '{file}' - No such file or directory", 2);
                    param[fp] = Internal.PveText.UriEscape(data);
                }
                var vmid = param.TryGetValue("vmid", out var v) && int.TryParse(v, out var vi) ? vi : (int?)null;
                if (plan != null)
                {
                    var failure = TakeFailure(plan, generation, def.Kind, vmid);
                    if (failure != null)
                    {
                        var err = failure.Stderr.Length == 0 || failure.Stderr.EndsWith("\n", StringComparison.Ordinal)
                            ? failure.Stderr
                            : failure.Stderr + "\n";
                        return new CommandResult(failure.ExitCode, failure.Stdout, err);
                    }
                    var drop = TakeDrop(plan, generation, def.Kind, vmid);
                    if (drop != null && drop.Phase == DropPhase.Before) throw Dropped(argv);
                    dropAfter = drop;
                }
                ArgParser.Validate(def, param);
                commands = new NodeCommands(Node, GuestRunner, plan, def.Kind) { KillMidway = dropAfter?.Phase == DropPhase.During };
                exit = def.Run(commands, new CommandContext(def, param, extra, inv));
            }
            catch (CommandKilledException)
            {
                throw Dropped(argv);
            }
            catch (ParamException e)
            {
                inv.Err.Append(e.Render());
                if (inv.Current != null) inv.Err.Append(inv.Current.Usage());
                exit = 255;
            }
            catch (HttpException e)
            {
                inv.Err.Append(e.Render());
                if (e.Code == 400 && inv.Current != null) inv.Err.Append(inv.Current.Usage());
                exit = 255;
            }
            catch (PveDie e)
            {
                inv.Err.Append(e.Message);
                exit = e.ExitCode;
            }
            commands?.SpendStartLatency(cancellationToken);
            if (dropAfter != null) throw Dropped(argv);
            return new CommandResult(exit, inv.Out.ToString(), inv.Err.ToString());
        }

        private static PhoenixException Dropped(IReadOnlyList<string> argv) =>
            new PhoenixException(PhoenixErrorKind.ConnectionError, "ConnectionLost",
                $"The connection to the simulated host was lost during '{string.Join(" ", argv.Take(3))}' (injected fault).", "simulator");

        /// <summary>CLIHandler resolve_cmd: unique prefixes, one level of aliases, usage errors.</summary>
        private static (CommandDef, List<string>)? Resolve(string program, CommandTree tree, List<string> args, Invocation inv)
        {
            var def = tree;
            var cmdstr = program;
            var aliased = false;
            for (var i = 0; i < args.Count; i++)
            {
                var cmd = Expand(def, args[i]) ?? args[i];
                cmdstr += " " + cmd;
                if (!def.Entries.TryGetValue(cmd, out var entry))
                {
                    Abort(inv, program, tree, $"unknown command '{cmdstr}'");
                    return null;
                }
                switch (entry)
                {
                    case CommandDef d:
                        return (d, args.Skip(i + 1).ToList());
                    case CommandAlias a when !aliased:
                        aliased = true;
                        args = args.Take(i).Concat(a.Target.Split(' ')).Concat(args.Skip(i + 1)).ToList();
                        def = tree;
                        cmdstr = program;
                        i = -1;
                        continue;
                    case CommandTree sub:
                        def = sub;
                        continue;
                }
            }
            if (args.Count == 0)
            {
                Abort(inv, program, tree, "no command specified");
                return null;
            }
            inv.Err.Append("ERROR: incomplete command '").Append(cmdstr).Append("'\n");
            inv.Err.Append("USAGE: ").Append(program).Append(" <COMMAND> [ARGS] [OPTIONS]\n\n");
            inv.Err.Append(CommandTable.UsageListing(def, cmdstr, "       ", ""));
            return null;
        }

        /// <summary>CLIHandler's help command (short form): the listing, or one command's usage line.</summary>
        private static CommandResult Help(string program, CommandTree tree, List<string> args)
        {
            if (args.Count == 0)
                return new CommandResult(0, $"USAGE: {program} <COMMAND> [ARGS] [OPTIONS]\n\n" + CommandTable.UsageListing(tree, program, "       ", "\n"), "");
            object entry = tree;
            foreach (var a in args)
            {
                if (!(entry is CommandTree t)) break;
                var name = Expand(t, a);
                if (name == null || !t.Entries.TryGetValue(name, out entry!))
                    return new CommandResult(255, "", $"ERROR: unknown command '{program} {string.Join(" ", args)}'\n");
                if (entry is CommandAlias alias) entry = alias.Target.Split(' ').Aggregate((object)tree, (o, w) => ((CommandTree)o).Entries[w]);
            }
            if (entry is CommandDef def) return new CommandResult(0, "USAGE: " + def.Usage(), "");
            return new CommandResult(0, "USAGE: " + CommandTable.UsageListing((CommandTree)entry, program, "       ", "").TrimStart(' '), "");
        }

        private static string? Expand(CommandTree def, string cmd)
        {
            if (def.Entries.ContainsKey(cmd)) return cmd;
            var hits = def.Entries.Where(e => !(e.Value is CommandAlias) && e.Key.StartsWith(cmd, StringComparison.Ordinal)).Select(e => e.Key).ToList();
            return hits.Count == 1 ? hits[0] : null;
        }

        private static void Abort(Invocation inv, string program, CommandTree tree, string message)
        {
            inv.Err.Append("ERROR: ").Append(message).Append('\n');
            inv.Err.Append("USAGE: ").Append(program).Append(" <COMMAND> [ARGS] [OPTIONS]\n\n");
            inv.Err.Append(CommandTable.UsageListing(tree, program, "       ", "\n"));
        }

        // ---- faults ----

        private FaultPlan? EffectivePlan(out string generation)
        {
            if (FaultsFile != null && File.Exists(FaultsFile))
            {
                try
                {
                    var text = File.ReadAllText(FaultsFile);
                    generation = "file:" + Sha1(text) + ":" + File.GetLastWriteTimeUtc(FaultsFile).Ticks.ToString(CultureInfo.InvariantCulture);
                    return text.Trim().Length == 0 ? null : FaultPlan.Parse(text);
                }
                catch (IOException)
                {
                }
            }
            lock (_faultSource)
            {
                var plan = _faultSource.Plan;
                generation = plan == null ? "none" : "mem:" + _faultSource.Revision.ToString(CultureInfo.InvariantCulture) + ":" + Sha1(plan.ToJson());
                return plan;
            }
        }

        private static string Sha1(string text)
        {
            using (var sha = SHA1.Create())
                return string.Concat(sha.ComputeHash(Utf8.GetBytes(text)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        }

        /// <summary>The fault counters, one set for every node of the cluster.</summary>
        private const string FaultStatePath = "/var/lib/phoenix-sim/cluster/faults-state.json";

        private T WithFaultState<T>(string generation, Func<JObject, T> change)
        {
            using (Node.InternalLock("faults", clusterWide: true))
            {
                var raw = Store.ReadFile(FaultStatePath);
                var state = raw == null ? new JObject() : JObject.Parse(Utf8.GetString(raw));
                if (state.Value<string>("generation") != generation) state = new JObject { ["generation"] = generation };
                var res = change(state);
                Store.WriteFile(FaultStatePath, Utf8.GetBytes(state.ToString(Newtonsoft.Json.Formatting.None)));
                return res;
            }
        }

        private static bool Matches(string ruleKind, int? ruleVmid, string kind, int? vmid) =>
            (ruleKind == "*" || ruleKind == kind) && (!ruleVmid.HasValue || ruleVmid == vmid);

        private FailureFault? TakeFailure(FaultPlan plan, string generation, string kind, int? vmid)
        {
            if (plan.Failures.Count == 0) return null;
            return WithFaultState(generation, state =>
            {
                if (!(state["failures"] is JObject used))
                {
                    used = new JObject();
                    state["failures"] = used;
                }
                for (var i = 0; i < plan.Failures.Count; i++)
                {
                    var f = plan.Failures[i];
                    if (!Matches(f.Kind, f.VmId, kind, vmid)) continue;
                    var key = "f" + i.ToString(CultureInfo.InvariantCulture);
                    var n = used.Value<int?>(key) ?? 0;
                    if (n >= f.Count) continue;
                    used[key] = n + 1;
                    return f;
                }
                return null;
            });
        }

        private DropFault? TakeDrop(FaultPlan plan, string generation, string kind, int? vmid)
        {
            if (plan.Drops.Count == 0) return null;
            return WithFaultState(generation, state =>
            {
                if (!(state["drops"] is JObject used))
                {
                    used = new JObject();
                    state["drops"] = used;
                }
                for (var i = 0; i < plan.Drops.Count; i++)
                {
                    var d = plan.Drops[i];
                    if (!Matches(d.Kind, d.VmId, kind, vmid)) continue;
                    var key = "d" + i.ToString(CultureInfo.InvariantCulture);
                    var n = used.Value<int?>(key) ?? 0;
                    if (n >= d.Count) continue;
                    used[key] = n + 1;
                    return d;
                }
                return null;
            });
        }

        /// <summary>Puts `lock: x` into a held VM's config when a hold starts and takes it out when it ends.</summary>
        private void ApplyLockHolds(FaultPlan? plan, string generation)
        {
            if (plan == null || plan.LockHolds.Count == 0) return;
            var now = Node.Clock.UtcNow.ToUnixTimeMilliseconds();
            WithFaultState(generation, state =>
            {
                if (!(state["holds"] is JObject holds))
                {
                    holds = new JObject();
                    state["holds"] = holds;
                }
                for (var i = 0; i < plan.LockHolds.Count; i++)
                {
                    var h = plan.LockHolds[i];
                    var key = "h" + i.ToString(CultureInfo.InvariantCulture);
                    var rec = holds[key] as JObject;
                    if (rec != null && rec.Value<bool>("released")) continue;
                    if (rec != null && now < rec.Value<long>("until")) continue;
                    // The hold is taken on the node that owns the VM, under that node's config lock.
                    var owner = Cluster.FindGuest(h.VmId) is var g && g?.Type == "qemu" ? Cluster.Node(g.Value.Node) : null;
                    if (owner == null) continue;
                    using (var vmLock = owner.Store.TryLock(SimNode.LockPath(h.VmId), shared: false))
                    {
                        if (vmLock == null) continue;
                        var conf = owner.TryLoadConfig(h.VmId);
                        if (conf == null) continue;
                        if (rec == null)
                        {
                            conf["lock"] = h.Lock;
                            owner.WriteConfig(h.VmId, conf);
                            holds[key] = new JObject { ["until"] = now + (long)(h.Seconds * 1000), ["released"] = false };
                        }
                        else
                        {
                            if (conf["lock"] == h.Lock)
                            {
                                conf["lock"] = null;
                                owner.WriteConfig(h.VmId, conf);
                            }
                            rec["released"] = true;
                        }
                    }
                }
                return 0;
            });
        }
    }
}
