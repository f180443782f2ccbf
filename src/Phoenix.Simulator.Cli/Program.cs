using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Phoenix.Engine.Errors;
using Phoenix.Simulator;
using Phoenix.Simulator.Faults;

namespace Phoenix.Simulator.Cli
{
    /// <summary>
    /// phoenix-sim: the fake host's qm, pvesm and pvesh. `phoenix-sim qm list` runs `qm list` on the node
    /// kept in the folder named by PHOENIX_SIM_STATE (in a cluster, the member PHOENIX_SIM_NODE names);
    /// `phoenix-sim init [...]` seeds a new node or cluster there; `phoenix-sim nodes-down` prints the
    /// nodes the fault plan has down, one a line (the fake host's supervisor stops their sshd).
    /// </summary>
    internal static class Program
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        private static int Main(string[] args)
        {
            var state = Environment.GetEnvironmentVariable("PHOENIX_SIM_STATE");
            if (args.Length == 0 || args[0] == "--help" || args[0] == "-h")
            {
                Console.Error.Write(
                    "usage: phoenix-sim qm|pvesm|pvesh <args...>\n" +
                    "       phoenix-sim init [--node NAME] [--empty] [--local-path DIR] [--zfs-storage ID]... [--timezone TZ] [--agent-delay SECONDS]\n" +
                    "                        [--lock-timeout SECONDS] [--clone-lock-timeout SECONDS] [--container ID:NAME[:stopped]]\n" +
                    "                        [--cluster-node NAME]... [--node-address ADDRESS] [--shared-path DIR]\n" +
                    "                        [--storage-nodes ID=NODE[,NODE...]]... [--cdrom-vm ID[:NAME]]...\n" +
                    "       phoenix-sim nodes-down\n" +
                    "(the node lives in the folder named by PHOENIX_SIM_STATE; in a cluster PHOENIX_SIM_NODE names the node)\n");
                return 2;
            }
            if (string.IsNullOrEmpty(state))
            {
                Console.Error.Write("phoenix-sim: PHOENIX_SIM_STATE is not set (it names the simulated node's state folder)\n");
                return 2;
            }
            if (args[0] == "init") return Init(state!, args.Skip(1).ToList());
            if (args[0] == "nodes-down") return NodesDown(state!);
            if (args[0] == "serve") return SimServer.Serve(state!, Environment.GetEnvironmentVariable("PHOENIX_SIM_GUEST_RUNNER"), args.Skip(1).ToList());

            var reply = RunCommand(state!, Environment.GetEnvironmentVariable("PHOENIX_SIM_NODE"),
                Environment.GetEnvironmentVariable("PHOENIX_SIM_GUEST_RUNNER"),
                Environment.GetEnvironmentVariable("PHOENIX_SIM_DROP_KILLS_PARENT") == "1", Environment.ProcessId, args, ReadStdin);
            Write(Console.OpenStandardOutput(), reply.StdOut);
            Write(Console.OpenStandardError(), reply.StdErr);
            return reply.ExitCode;
        }

        /// <summary>What one qm/pvesh/pvesm command answers: its exit code and the exact bytes of its stdout and stderr.</summary>
        internal sealed class Reply
        {
            public Reply(int exitCode, string stdout, string stderr)
            {
                ExitCode = exitCode;
                StdOut = Utf8.GetBytes(stdout);
                StdErr = Utf8.GetBytes(stderr);
            }

            public int ExitCode { get; }

            public byte[] StdOut { get; }

            public byte[] StdErr { get; }
        }

        /// <summary>
        /// Runs one qm/pvesm/pvesh command on the node kept in <paramref name="state"/>, as the one-shot process and the
        /// resident one (<see cref="SimServer"/>) both do: a simulator made afresh from the state folder, the audit line,
        /// then the command. <paramref name="callerPid"/> is the process whose sshd session an injected dropped connection
        /// kills (with <paramref name="dropKillsParent"/>); <paramref name="stdin"/> is read only by a command that needs it.
        /// </summary>
        internal static Reply RunCommand(string state, string? node, string? runnerType, bool dropKillsParent, int callerPid,
            IReadOnlyList<string> args, Func<byte[]?> stdin)
        {
            var options = new SimulatorOptions { StateDirectory = state };
            if (!string.IsNullOrEmpty(node)) options.NodeName = node!;
            if (!string.IsNullOrEmpty(runnerType))
            {
                // The fake host plugs its isolating guest runner in here without changing this program.
                var type = Type.GetType(runnerType!, throwOnError: false);
                if (type == null || !typeof(Phoenix.Simulator.Guest.IGuestRunner).IsAssignableFrom(type))
                    return new Reply(2, "", $"phoenix-sim: PHOENIX_SIM_GUEST_RUNNER names no guest runner type: {runnerType}\n");
                options.GuestRunner = (Phoenix.Simulator.Guest.IGuestRunner)Activator.CreateInstance(type)!;
            }
            var sim = new ProxmoxSimulator(options);
            AppendAudit(state, args, sim.Cluster.IsCluster ? sim.Node.Name : null);
            try
            {
                var started = DateTimeOffset.UtcNow;
                var result = sim.ExecuteWithStdinReader(args, stdin, CancellationToken.None);
                AppendTimeline(state, args, started, result.ExitCode);
                return new Reply(result.ExitCode, result.StdOut, result.StdErr);
            }
            catch (PhoenixException e) when (e.Reason == "ConnectionLost")
            {
                // The fault plan asked for a dropped connection. Killing the sshd session that runs the caller
                // drops it for real; without that permission the closest we can do is die abruptly.
                if (dropKillsParent && KillParent(callerPid)) return new Reply(255, "", "");
                return new Reply(255, "", "phoenix-sim: connection dropped (injected fault)\n");
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // A simulator bug must still look like a failed remote command, not hang or dump a trace into stdout.
                return new Reply(255, "", $"phoenix-sim: internal error: {e.GetType().Name}: {e.Message}\n");
            }
        }

        /// <summary>
        /// One line per command in &lt;state&gt;/commands.log (and, on a cluster node, &lt;state&gt;/commands.&lt;node&gt;.log),
        /// quoted as Phoenix quotes for a shell, so tests can count what a run asked of the host (for example: a
        /// converged re-run changes nothing).
        /// </summary>
        private static void AppendAudit(string state, IReadOnlyList<string> args, string? clusterNode) =>
            // In a cluster every node's commands go to commands.log too, and each node's also to commands.<node>.log.
            AppendLine(state, clusterNode == null ? new[] { "commands.log" } : new[] { "commands.log", $"commands.{clusterNode}.log" }, Logged(args));

        /// <summary>
        /// When &lt;state&gt;/timeline.log exists (the benchmark makes it), one line per command: when it began and
        /// ended (Unix milliseconds), its exit code and the command, so a run's schedule can be read back.
        /// </summary>
        private static void AppendTimeline(string state, IReadOnlyList<string> args, DateTimeOffset started, int exitCode)
        {
            if (!File.Exists(Path.Combine(state, "timeline.log"))) return;
            AppendLine(state, new[] { "timeline.log" },
                $"{started.ToUnixTimeMilliseconds()} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {exitCode} {Logged(args)}");
        }

        // Appends one line to each of the state folder's logs named. Commands run in parallel processes, and FileMode.Append only
        // seeks to the end when the file is opened (it is not O_APPEND): two appends at once could overwrite each other's line. A
        // lock file beside the logs puts them one after the other; readers of the logs are not held up.
        private static void AppendLine(string state, IEnumerable<string> logs, string line)
        {
            var bytes = Utf8.GetBytes(line + "\n");
            using var logLock = IsolatedGuestRunner.OpenLocked(Path.Combine(state, "commands.log.lock"));
            foreach (var name in logs)
            {
                using var f = new FileStream(Path.Combine(state, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                f.Write(bytes, 0, bytes.Length);
            }
        }

        // A command as the logs show it, quoted as Phoenix quotes for a shell: secrets are not written, as Proxmox's own task log
        // shows `<hidden>` for them.
        private static string Logged(IReadOnlyList<string> args) => Phoenix.Engine.Transport.ShellQuote.Join(
            args.Select((a, i) => i > 0 && args[i - 1].StartsWith("--cipassword", StringComparison.Ordinal) ? "<hidden>" : a.Replace("\0", "")));

        private static byte[]? ReadStdin()
        {
            using var ms = new MemoryStream();
            Console.OpenStandardInput().CopyTo(ms);
            return ms.ToArray();
        }

        private static void Write(Stream stream, byte[] bytes)
        {
            if (bytes.Length == 0) return;
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush();
        }

        private static bool KillParent(int callerPid)
        {
            try
            {
                // Up the process tree from the caller to the sshd process that serves its connection: killing it
                // drops the whole SSH connection, as a network failure would (killing only the shell would not).
                var pid = callerPid;
                for (var depth = 0; depth < 16; depth++)
                {
                    var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
                    var open = stat.IndexOf('(');
                    var close = stat.LastIndexOf(')');
                    var comm = stat.Substring(open + 1, close - open - 1);
                    if (depth > 0 && comm == "sshd")
                    {
                        Process.GetProcessById(pid).Kill();
                        return true;
                    }
                    var fields = stat.Substring(close + 2).Split(' ');
                    pid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                    if (pid <= 1) return false;
                }
                return false;
            }
            catch (Exception e) when (e is IOException || e is InvalidOperationException || e is ArgumentException
                || e is System.ComponentModel.Win32Exception || e is UnauthorizedAccessException)
            {
                return false;
            }
        }

        /// <summary>The nodes faults.json has down, one a line (nothing when there is no plan).</summary>
        private static int NodesDown(string state)
        {
            var file = Path.Combine(state, "faults.json");
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                return 0;
            }
            if (text.Trim().Length == 0) return 0;
            try
            {
                foreach (var n in FaultPlan.Parse(text).NodesDown) Console.Out.Write(n + "\n");
            }
            catch (Newtonsoft.Json.JsonException e)
            {
                Console.Error.Write($"phoenix-sim nodes-down: {file}: {e.Message}\n");
                return 1;
            }
            return 0;
        }

        private static int Init(string state, List<string> args)
        {
            var options = new SimulatorOptions { StateDirectory = state };
            string? nodeAddress = null;
            for (var i = 0; i < args.Count; i++)
            {
                string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                try
                {
                    switch (args[i])
                    {
                        case "--node": options.NodeName = Next(); break;
                        case "--empty": options.Empty = true; break;
                        case "--local-path": options.LocalStoragePath = Next(); break;
                        case "--zfs-storage": options.ZfsStorages.Add(Next()); break;
                        case "--cluster-node": options.ClusterNodes.Add(Next()); break;
                        case "--storage-nodes":
                            var restricted = Next().Split('=', 2);
                            if (restricted.Length != 2) throw new ArgumentException("--storage-nodes needs ID=NODE[,NODE...]");
                            options.StorageNodes[restricted[0]] = restricted[1];
                            break;
                        case "--cdrom-vm":
                            var cdrom = Next().Split(':', 2);
                            options.CdromVms[int.Parse(cdrom[0], CultureInfo.InvariantCulture)] = cdrom.Length > 1 ? cdrom[1] : "iso" + cdrom[0];
                            break;
                        case "--node-address": nodeAddress = Next(); break;
                        case "--shared-path": options.SharedStoragePath = Next(); break;
                        case "--timezone": options.TimeZone = Next(); break;
                        case "--agent-delay": options.AgentStartupDelay = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                        case "--lock-timeout": options.ConfigLockTimeout = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                        case "--clone-lock-timeout": options.CloneLockTimeout = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                        case "--container":
                            var parts = Next().Split(':');
                            options.Containers.Add(new SimulatedContainer
                            {
                                VmId = int.Parse(parts[0], CultureInfo.InvariantCulture),
                                Name = parts.Length > 1 ? parts[1] : "CT" + parts[0],
                                Running = !(parts.Length > 2 && parts[2] == "stopped"),
                            });
                            break;
                        default:
                            Console.Error.Write($"phoenix-sim init: unknown option '{args[i]}'\n");
                            return 2;
                    }
                }
                catch (Exception e) when (e is ArgumentException || e is FormatException)
                {
                    Console.Error.Write($"phoenix-sim init: {e.Message}\n");
                    return 2;
                }
            }
            if (nodeAddress != null)
            {
                foreach (var n in options.ClusterNodes.DefaultIfEmpty(options.NodeName)) options.NodeAddresses[n] = nodeAddress;
            }
            var sim = new ProxmoxSimulator(options);
            var nodes = string.Join(",", sim.Cluster.NodeNames.Select(n => "\"" + n + "\""));
            Console.Out.Write($"{{\"node\":\"{sim.Node.Name}\",\"nodes\":[{nodes}],\"stateDir\":\"{sim.Store.StateDirectory}\"}}\n");
            return 0;
        }
    }
}
