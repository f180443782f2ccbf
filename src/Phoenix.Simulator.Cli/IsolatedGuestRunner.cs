using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Phoenix.Simulator.Guest;
using YamlDotNet.RepresentationModel;

namespace Phoenix.Simulator.Cli
{
    /// <summary>
    /// The fake host's guest: `qm guest exec` really runs the command, inside the VM's own mount
    /// namespace (guest/enter-guest.sh: overlays of /etc, /var, /opt, /usr/local, /root, /home on
    /// per-VM folders and a private /tmp), with recording stand-ins for what needs the internet or an
    /// init system first on its PATH. All commands of one VM share that one namespace, as a VM's
    /// processes share its disk, until the VM is stopped, rolled back, destroyed or cloned over: then
    /// its processes are killed. Processes are started detached and tracked in the guest folder,
    /// because every `qm` call is a new process. Needs root on Linux; elsewhere the recording guest
    /// answers instead (and says so), so nothing ever runs on the machine itself.
    /// </summary>
    public sealed class IsolatedGuestRunner : GuestRunnerBase
    {
        private static readonly Regex CicustomUser = new Regex(@"^cicustom:.*\buser=([^,\s]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        private static readonly Regex CiUser = new Regex(@"^ciuser:\s*(\S+)", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        private static readonly Regex SafeUser = new Regex(@"^[a-z_][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant);
        private readonly RecordingGuestRunner _fallback = new RecordingGuestRunner();
        private readonly string _guestDir = Path.Combine(AppContext.BaseDirectory, "guest");
        private readonly string _toolsDir = Path.Combine(AppContext.BaseDirectory, "guest-tools");

        [DllImport("libc", EntryPoint = "geteuid")]
        private static extern uint GetEuid();

        /// <summary>True where guests can be isolated: Linux, root, unshare present.</summary>
        public static bool CanIsolate =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && GetEuid() == 0 && (File.Exists("/usr/bin/unshare") || File.Exists("/bin/unshare"));

        /// <inheritdoc />
        public override int StartExec(GuestExecRequest request)
        {
            var guest = request.Guest;
            if (!CanIsolate || guest.GuestDirectory == null || request.Command.Count == 0 ||
                request.PlannedResults.Any(c => Regex.IsMatch(string.Join(" ", request.Command), c.Pattern)))
            {
                return Fallback(request);
            }

            var procs = Path.Combine(guest.GuestDirectory, "procs");
            Directory.CreateDirectory(procs);
            var pid = NextPid(guest.GuestDirectory);
            var proc = Path.Combine(procs, pid.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(proc);
            File.WriteAllText(Path.Combine(proc, "runner"), "isolated\n");
            if (request.InputData != null) File.WriteAllBytes(Path.Combine(proc, "in"), request.InputData);

            var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
            // In a session of its own; guest-proc.sh lets go of this process's standard streams (the SSH channel of
            // the qm call) first thing, so a command still running after `qm guest exec --synchronous 0` returned
            // does not hold the caller's session open.
            foreach (var a in new[] { "-f", "bash", Path.Combine(_guestDir, "guest-proc.sh"), proc, Path.Combine(guest.GuestDirectory, "fs"), _toolsDir, "--" })
                start.ArgumentList.Add(a);
            foreach (var a in request.Command) start.ArgumentList.Add(a);
            start.Environment["PHOENIX_GUEST_USERS"] = string.Join(" ", CloudInitUsers(guest));
            using (var p = Process.Start(start)!)
            {
                p.WaitForExit();
            }
            return pid;
        }

        /// <inheritdoc />
        public override GuestExecStatus? GetExecStatus(GuestContext guest, int pid)
        {
            if (guest.GuestDirectory == null) return _fallback.GetExecStatus(guest, pid);
            var proc = Path.Combine(guest.GuestDirectory, "procs", pid.ToString(CultureInfo.InvariantCulture));
            if (!File.Exists(Path.Combine(proc, "runner"))) return _fallback.GetExecStatus(guest, pid);
            var exit = Path.Combine(proc, "exit");
            // guest-proc.sh writes the status line in one write: without its newline it is not all there yet.
            var code = File.Exists(exit) ? File.ReadAllText(exit) : "";
            if (!code.EndsWith("\n", StringComparison.Ordinal)) return new GuestExecStatus { Exited = false };
            var status = new GuestExecStatus
            {
                Exited = true,
                ExitCode = int.Parse(code.Trim(), CultureInfo.InvariantCulture),
                OutData = File.ReadAllBytes(Path.Combine(proc, "out")),
                ErrData = File.ReadAllBytes(Path.Combine(proc, "err")),
            };
            // Like qemu-ga, a process is forgotten once its exit has been reported.
            Directory.Delete(proc, recursive: true);
            return status;
        }

        /// <summary>
        /// Powering off ends every process of the guest; its files stay. Its agent goes too: the one that starts with the
        /// VM knows none of the old pids, so exec-status answers <c>Agent error: Invalid parameter 'pid'</c> for them,
        /// also for a process the stop killed (not its exit 137).
        /// </summary>
        public override void OnStop(GuestContext guest)
        {
            StopGuest(guest);
            ForgetProcesses(guest);
            _fallback.OnStop(guest);
            base.OnStop(guest);
        }

        /// <inheritdoc />
        public override void OnRollback(GuestContext guest, string snapshot)
        {
            // The guest's processes end (and its overlays are unmounted) before its files are replaced under them.
            StopGuest(guest);
            base.OnRollback(guest, snapshot);
        }

        /// <inheritdoc />
        public override void OnClone(GuestContext source, string? snapshot, GuestContext target)
        {
            StopGuest(target);
            base.OnClone(source, snapshot, target);
        }

        /// <inheritdoc />
        public override void OnDestroy(GuestContext guest)
        {
            StopGuest(guest);
            base.OnDestroy(guest);
        }

        // Kills every process in the guest's mount namespace (guest/enter-guest.sh --stop), so the next command
        // makes a new one over the guest's files, as a VM started again sees its disk.
        private void StopGuest(GuestContext guest)
        {
            if (!CanIsolate || guest.GuestDirectory == null || !Directory.Exists(guest.GuestDirectory)) return;
            var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(_guestDir, "enter-guest.sh"), "--stop", Path.Combine(guest.GuestDirectory, "fs") })
                start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            p.StandardOutput.ReadToEnd();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"The fake guest of VM {guest.VmId} could not be stopped (exit code {p.ExitCode}): {err.Trim()}");
        }

        // The procs folder is moved aside in one rename, then deleted: the wrapper of a process the stop killed (guest-proc.sh,
        // outside the guest) may still be writing its exit status, to a path that no longer exists.
        private static void ForgetProcesses(GuestContext guest)
        {
            if (guest.GuestDirectory == null) return;
            var procs = Path.Combine(guest.GuestDirectory, "procs");
            if (!Directory.Exists(procs)) return;
            var gone = Path.Combine(guest.GuestDirectory, "procs.gone-" + Guid.NewGuid().ToString("N"));
            Directory.Move(procs, gone);
            try
            {
                Directory.Delete(gone, recursive: true);
            }
            catch (IOException)
            {
                // Left behind, it is never read: exec-status looks in procs only.
            }
        }

        private int Fallback(GuestExecRequest request) => _fallback.StartExec(request);

        // Pids are shared with the recording guest (canned results), so one counter serves both.
        private static int NextPid(string guestDirectory)
        {
            var agent = Path.Combine(guestDirectory, "agent");
            Directory.CreateDirectory(agent);
            using var lockFile = OpenLocked(Path.Combine(agent, "pid.lock"));
            var path = Path.Combine(agent, "last-pid");
            var last = File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var p) ? p : 2000;
            var next = last + 1;
            File.WriteAllText(path, next.ToString(CultureInfo.InvariantCulture) + "\n");
            return next;
        }

        /// <summary>Opens (creates) <paramref name="path"/> for this process alone, waiting up to 5 s while another holds it.</summary>
        internal static FileStream OpenLocked(string path)
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException) when (i < 200)
                {
                    Thread.Sleep(25);
                }
            }
        }

        /// <summary>
        /// The users cloud-init would create at first boot: from the VM's user-data snippet (cicustom
        /// user=...), else its ciuser. The fake guest has no cloud-init, so enter-guest.sh makes them.
        /// </summary>
        private static IReadOnlyList<string> CloudInitUsers(GuestContext guest)
        {
            var users = new List<string>();
            var conf = guest.Store.ReadFile($"/etc/pve/nodes/{guest.NodeName}/qemu-server/{guest.VmId.ToString(CultureInfo.InvariantCulture)}.conf");
            if (conf == null) return users;
            var text = Encoding.UTF8.GetString(conf);
            var main = text.Split(new[] { "\n[" }, StringSplitOptions.None)[0];
            var m = CicustomUser.Match(main);
            if (m.Success && ReadSnippet(guest, m.Groups[1].Value) is string yaml)
            {
                try
                {
                    var stream = new YamlStream();
                    stream.Load(new StringReader(yaml));
                    if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root &&
                        root.Children.TryGetValue(new YamlScalarNode("users"), out var list) && list is YamlSequenceNode seq)
                    {
                        foreach (var item in seq.Children.OfType<YamlMappingNode>())
                            if (item.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode s && s.Value != null)
                                users.Add(s.Value);
                    }
                }
                catch (YamlDotNet.Core.YamlException)
                {
                    // A snippet cloud-init could not read makes no users either.
                }
            }
            var ci = CiUser.Match(main);
            if (users.Count == 0 && ci.Success) users.Add(ci.Groups[1].Value);
            return users.Where(u => SafeUser.IsMatch(u)).ToList();
        }

        private static string? ReadSnippet(GuestContext guest, string volid)
        {
            var colon = volid.IndexOf(':');
            if (colon <= 0) return null;
            var storage = volid.Substring(0, colon);
            var cfg = guest.Store.ReadFile("/etc/pve/storage.cfg");
            if (cfg == null) return null;
            string? path = null;
            var inSection = false;
            foreach (var line in Encoding.UTF8.GetString(cfg).Split('\n'))
            {
                if (line.Length > 0 && !char.IsWhiteSpace(line[0])) inSection = line.Trim() == "dir: " + storage;
                else if (inSection && line.Trim().StartsWith("path ", StringComparison.Ordinal)) path = line.Trim().Substring(5).Trim();
            }
            if (path == null) return null;
            var data = guest.Store.ReadFile(path + "/" + volid.Substring(colon + 1));
            return data == null ? null : Encoding.UTF8.GetString(data);
        }
    }
}
