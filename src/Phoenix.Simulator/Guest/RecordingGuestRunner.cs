using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator.Guest
{
    /// <summary>One command as the recording guest logged it.</summary>
    public sealed class RecordedGuestCommand
    {
        /// <summary>When it was asked for.</summary>
        public DateTimeOffset Time { get; set; }

        /// <summary>The pid the agent returned.</summary>
        public int Pid { get; set; }

        /// <summary>Program and arguments.</summary>
        public IReadOnlyList<string> Command { get; set; } = Array.Empty<string>();

        /// <summary>The standard input it was given, or null.</summary>
        public byte[]? Input { get; set; }

        /// <summary>"emulated" (a built-in like echo or cat ran on the guest's simulated files), "canned", or "recorded" (not run).</summary>
        public string Handling { get; set; } = "recorded";
    }

    /// <summary>
    /// The default guest: it never runs anything on the machine. Every command is logged with its
    /// standard input in the guest's state (<c>exec-log.jsonl</c> in the guest folder). A few
    /// shell built-ins (echo, printf, cat, true, false, test, mkdir, touch, rm, chmod, also inside
    /// <c>sh -c</c> with <c>&gt;</c>, <c>&gt;&gt;</c>, <c>&amp;&amp;</c> and <c>;</c>) are emulated on the guest's simulated files, so
    /// writing a file with <c>--pass-stdin -- sh -c 'cat &gt; /tmp/x'</c> and reading it back works.
    /// Anything else is answered from canned results (the fault plan's first, then <see cref="Responses"/>),
    /// or with exit code 0 and a note on standard error saying it was recorded, not run.
    /// </summary>
    public sealed class RecordingGuestRunner : GuestRunnerBase
    {
        /// <summary>The text the guest adds to standard error for commands it did not run.</summary>
        public const string NotRunNote = "phoenix-sim: recorded, not run (this simulated guest runs no commands): ";

        private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

        /// <summary>Canned answers, tried in order after the fault plan's.</summary>
        public IList<CannedGuestResult> Responses { get; } = new List<CannedGuestResult>();

        /// <summary>When false, commands that were not run get no note on standard error (the log still says so).</summary>
        public bool AnnounceNotRun { get; set; } = true;

        /// <inheritdoc />
        public override int StartExec(GuestExecRequest request)
        {
            var guest = request.Guest;
            var now = guest.Clock.UtcNow;
            var outcome = Decide(request);
            using (LockGuest(guest))
            {
                var pidPath = guest.GuestRoot + "/agent/last-pid";
                var last = guest.Store.ReadFile(pidPath) is byte[] b && int.TryParse(Encoding.ASCII.GetString(b).Trim(), out var p)
                    ? p
                    : 1000 + guest.VmId % 1000;
                var pid = last + 1;
                guest.Store.WriteFile(pidPath, Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture) + "\n"));

                var record = new JObject
                {
                    ["pid"] = pid,
                    ["started"] = now.ToUnixTimeMilliseconds(),
                    ["durationMs"] = (long)outcome.Duration.TotalMilliseconds,
                    ["exitcode"] = outcome.ExitCode,
                    ["out"] = System.Convert.ToBase64String(outcome.Out),
                    ["err"] = System.Convert.ToBase64String(outcome.Err),
                };
                guest.Store.WriteFile(ProcPath(guest, pid), Encoding.UTF8.GetBytes(record.ToString(Newtonsoft.Json.Formatting.None)));

                var log = new JObject
                {
                    ["time"] = now.ToString("o", CultureInfo.InvariantCulture),
                    ["pid"] = pid,
                    ["command"] = new JArray(request.Command.Cast<object>().ToArray()),
                    ["input"] = request.InputData == null ? null : System.Convert.ToBase64String(request.InputData),
                    ["handling"] = outcome.Handling,
                };
                var logPath = guest.GuestRoot + "/exec-log.jsonl";
                var existing = guest.Store.ReadFile(logPath) ?? Array.Empty<byte>();
                var line = Encoding.UTF8.GetBytes(log.ToString(Newtonsoft.Json.Formatting.None) + "\n");
                guest.Store.WriteFile(logPath, existing.Concat(line).ToArray());
                return pid;
            }
        }

        /// <inheritdoc />
        public override GuestExecStatus? GetExecStatus(GuestContext guest, int pid)
        {
            using (LockGuest(guest))
            {
                var raw = guest.Store.ReadFile(ProcPath(guest, pid));
                if (raw == null) return null;
                var rec = JObject.Parse(Encoding.UTF8.GetString(raw));
                var started = DateTimeOffset.FromUnixTimeMilliseconds(rec.Value<long>("started"));
                var duration = TimeSpan.FromMilliseconds(rec.Value<long>("durationMs"));
                if (guest.Clock.UtcNow < started + duration) return new GuestExecStatus { Exited = false };
                // Like qemu-ga, a process is forgotten once its exit has been reported.
                guest.Store.DeleteFile(ProcPath(guest, pid));
                return new GuestExecStatus
                {
                    Exited = true,
                    ExitCode = rec.Value<int>("exitcode"),
                    OutData = System.Convert.FromBase64String(rec.Value<string>("out") ?? ""),
                    ErrData = System.Convert.FromBase64String(rec.Value<string>("err") ?? ""),
                };
            }
        }

        /// <inheritdoc />
        public override void OnStop(GuestContext guest)
        {
            using (LockGuest(guest))
            {
                foreach (var f in guest.Store.ListFiles(guest.GuestRoot + "/agent").Where(f => f.Contains("/proc-")).ToList()) guest.Store.DeleteFile(f);
            }
        }

        /// <summary>The commands a guest was asked to run, oldest first.</summary>
        public static IReadOnlyList<RecordedGuestCommand> ReadLog(GuestContext guest)
        {
            var raw = guest.Store.ReadFile(guest.GuestRoot + "/exec-log.jsonl");
            if (raw == null) return Array.Empty<RecordedGuestCommand>();
            var res = new List<RecordedGuestCommand>();
            foreach (var line in Encoding.UTF8.GetString(raw).Split('\n'))
            {
                if (line.Trim().Length == 0) continue;
                var o = JObject.Parse(line);
                res.Add(new RecordedGuestCommand
                {
                    Time = DateTimeOffset.Parse(o.Value<string>("time") ?? "", CultureInfo.InvariantCulture),
                    Pid = o.Value<int>("pid"),
                    Command = (o["command"] as JArray)?.Select(t => t.ToString()).ToList() ?? new List<string>(),
                    Input = o.Value<string>("input") is string i ? System.Convert.FromBase64String(i) : null,
                    Handling = o.Value<string>("handling") ?? "recorded",
                });
            }
            return res;
        }

        private static string ProcPath(GuestContext guest, int pid) => guest.GuestRoot + "/agent/proc-" + pid.ToString(CultureInfo.InvariantCulture) + ".json";

        private static IDisposable LockGuest(GuestContext guest)
        {
            var path = "/var/lock/phoenix-sim/guest-" + guest.VmId.ToString(CultureInfo.InvariantCulture) + ".lock";
            var deadline = DateTime.UtcNow + LockTimeout;
            while (true)
            {
                var h = guest.Store.TryLock(path, shared: false);
                if (h != null) return h;
                if (DateTime.UtcNow > deadline) throw new GuestAgentException("guest agent busy");
                System.Threading.Thread.Sleep(5);
            }
        }

        private sealed class Outcome
        {
            public int ExitCode;
            public byte[] Out = Array.Empty<byte>();
            public byte[] Err = Array.Empty<byte>();
            public TimeSpan Duration;
            public string Handling = "recorded";
        }

        private Outcome Decide(GuestExecRequest request)
        {
            var line = string.Join(" ", request.Command);
            foreach (var canned in request.PlannedResults.Concat(Responses))
            {
                if (!Regex.IsMatch(line, canned.Pattern)) continue;
                return new Outcome
                {
                    ExitCode = canned.ExitCode,
                    Out = Encoding.UTF8.GetBytes(canned.Stdout),
                    Err = Encoding.UTF8.GetBytes(canned.Stderr),
                    Duration = canned.Duration,
                    Handling = "canned",
                };
            }
            if (request.Command.Count > 0)
            {
                var shell = new MiniShell(request.Guest);
                if (shell.TryRun(request.Command, request.InputData ?? Array.Empty<byte>(), out var exit, out var o, out var e))
                    return new Outcome { ExitCode = exit, Out = o, Err = e, Handling = "emulated" };
            }
            return new Outcome
            {
                ExitCode = 0,
                Err = AnnounceNotRun ? Encoding.UTF8.GetBytes(NotRunNote + line + "\n") : Array.Empty<byte>(),
                Handling = "recorded",
            };
        }

        /// <summary>
        /// The handful of commands the recording guest emulates on its simulated files. Scripts with
        /// anything else (pipes, substitutions, variables, other programs) are not run at all.
        /// </summary>
        private sealed class MiniShell
        {
            private static readonly HashSet<string> Known = new HashSet<string>(StringComparer.Ordinal)
            {
                "echo", "printf", "cat", "true", "false", "test", "[", "mkdir", "touch", "rm", "chmod", ":", "pwd", "whoami",
            };

            private static readonly HashSet<string> StandardDirs = new HashSet<string>(StringComparer.Ordinal)
            {
                "/", "/tmp", "/etc", "/var", "/usr", "/usr/local", "/opt", "/root", "/home", "/var/log", "/var/tmp", "/bin", "/usr/bin",
            };

            private readonly GuestContext _guest;

            public MiniShell(GuestContext guest) { _guest = guest; }

            public bool TryRun(IReadOnlyList<string> argv, byte[] stdin, out int exit, out byte[] stdout, out byte[] stderr)
            {
                exit = 0;
                stdout = Array.Empty<byte>();
                stderr = Array.Empty<byte>();
                var prog = argv[0].Substring(argv[0].LastIndexOf('/') + 1);
                List<Segment> segments;
                if ((prog == "sh" || prog == "bash" || prog == "dash") && argv.Count == 3 && argv[1] == "-c")
                {
                    if (!TryParseScript(argv[2], out segments)) return false;
                }
                else
                {
                    segments = new List<Segment> { new Segment { Words = argv.ToList(), Op = "" } };
                    segments[0].Words[0] = prog;
                }
                if (segments.Count == 0 || segments.Any(s => s.Words.Count == 0 || !Known.Contains(s.Words[0]))) return false;

                var outBuf = new List<byte>();
                var errBuf = new List<byte>();
                var last = 0;
                var skip = false;
                foreach (var seg in segments)
                {
                    if (!skip)
                    {
                        last = RunOne(seg, stdin, outBuf, errBuf);
                    }
                    skip = seg.Op == "&&" && last != 0 || seg.Op == "||" && last == 0;
                }
                exit = last;
                stdout = outBuf.ToArray();
                stderr = errBuf.ToArray();
                return true;
            }

            private sealed class Segment
            {
                public List<string> Words = new List<string>();
                public string? RedirectTarget;
                public bool Append;
                public string Op = "";
            }

            private static bool TryParseScript(string script, out List<Segment> segments)
            {
                var found = new List<Segment>();
                segments = found;
                var current = new Segment();
                var word = new StringBuilder();
                var inWord = false;
                string? pendingRedirect = null;

                void EndWord()
                {
                    if (!inWord) return;
                    if (pendingRedirect != null)
                    {
                        current.RedirectTarget = word.ToString();
                        current.Append = pendingRedirect == ">>";
                        pendingRedirect = null;
                    }
                    else current.Words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                void EndSegment(string op)
                {
                    EndWord();
                    current.Op = op;
                    if (current.Words.Count > 0) found.Add(current);
                    current = new Segment();
                }

                for (var i = 0; i < script.Length; i++)
                {
                    var c = script[i];
                    if (c == '\'')
                    {
                        var end = script.IndexOf('\'', i + 1);
                        if (end < 0) return false;
                        word.Append(script, i + 1, end - i - 1);
                        inWord = true;
                        i = end;
                    }
                    else if (c == '"')
                    {
                        var end = script.IndexOf('"', i + 1);
                        if (end < 0) return false;
                        var inner = script.Substring(i + 1, end - i - 1);
                        if (inner.IndexOf('$') >= 0 || inner.IndexOf('`') >= 0 || inner.IndexOf('\\') >= 0) return false;
                        word.Append(inner);
                        inWord = true;
                        i = end;
                    }
                    else if (c == '$' || c == '`' || c == '|' && !(i + 1 < script.Length && script[i + 1] == '|')
                        || c == '<' || c == '(' || c == ')' || c == '*' || c == '?' || c == '\\' || c == '~')
                    {
                        return false;
                    }
                    else if (c == '|' )
                    {
                        EndSegment("||");
                        i++;
                    }
                    else if (c == '&')
                    {
                        if (i + 1 < script.Length && script[i + 1] == '&')
                        {
                            EndSegment("&&");
                            i++;
                        }
                        else return false;
                    }
                    else if (c == ';' || c == '\n')
                    {
                        EndSegment(";");
                    }
                    else if (c == '>')
                    {
                        EndWord();
                        if (i + 1 < script.Length && script[i + 1] == '>')
                        {
                            pendingRedirect = ">>";
                            i++;
                        }
                        else pendingRedirect = ">";
                    }
                    else if (char.IsWhiteSpace(c))
                    {
                        EndWord();
                    }
                    else
                    {
                        word.Append(c);
                        inWord = true;
                    }
                }
                if (pendingRedirect != null && !inWord) return false;
                EndSegment("");
                return true;
            }

            private string Map(string guestPath)
            {
                var p = guestPath.StartsWith("/", StringComparison.Ordinal) ? guestPath : "/" + guestPath;
                return NodePath.Normalize(_guest.FilesRoot + p);
            }

            private bool IsDir(string guestPath)
            {
                var p = guestPath.TrimEnd('/');
                if (p.Length == 0) p = "/";
                return StandardDirs.Contains(p) || _guest.Store.ListFiles(Map(p)).Count > 0;
            }

            private int RunOne(Segment seg, byte[] stdin, List<byte> outBuf, List<byte> errBuf)
            {
                var w = seg.Words;
                var output = new List<byte>();
                var code = 0;
                void Err(string s) => errBuf.AddRange(Encoding.UTF8.GetBytes(s));
                switch (w[0])
                {
                    case "echo":
                    {
                        var args = w.Skip(1).ToList();
                        var newline = true;
                        if (args.Count > 0 && args[0] == "-n")
                        {
                            newline = false;
                            args.RemoveAt(0);
                        }
                        output.AddRange(Encoding.UTF8.GetBytes(string.Join(" ", args) + (newline ? "\n" : "")));
                        break;
                    }
                    case "printf":
                        if (w.Count > 1) output.AddRange(Encoding.UTF8.GetBytes(w[1].Replace("\\n", "\n").Replace("%s", string.Join(" ", w.Skip(2)))));
                        break;
                    case "cat":
                        if (w.Count == 1) output.AddRange(stdin);
                        foreach (var f in w.Skip(1))
                        {
                            var data = _guest.Store.ReadFile(Map(f));
                            if (data == null)
                            {
                                Err($"cat: {f}: No such file or directory\n");
                                code = 1;
                            }
                            else output.AddRange(data);
                        }
                        break;
                    case "true":
                    case ":":
                        break;
                    case "false":
                        code = 1;
                        break;
                    case "pwd":
                        output.AddRange(Encoding.UTF8.GetBytes("/\n"));
                        break;
                    case "whoami":
                        output.AddRange(Encoding.UTF8.GetBytes("root\n"));
                        break;
                    case "test":
                    case "[":
                    {
                        var args = w.Skip(1).ToList();
                        if (w[0] == "[" && args.Count > 0 && args[args.Count - 1] == "]") args.RemoveAt(args.Count - 1);
                        code = Test(args) ? 0 : 1;
                        break;
                    }
                    case "mkdir":
                        break;
                    case "touch":
                        foreach (var f in w.Skip(1).Where(a => !a.StartsWith("-", StringComparison.Ordinal)))
                        {
                            if (!_guest.Store.FileExists(Map(f))) _guest.Store.WriteFile(Map(f), Array.Empty<byte>());
                        }
                        break;
                    case "rm":
                        foreach (var f in w.Skip(1).Where(a => !a.StartsWith("-", StringComparison.Ordinal)))
                        {
                            if (!_guest.Store.DeleteFile(Map(f)) && !w.Skip(1).Any(a => a.StartsWith("-", StringComparison.Ordinal) && a.Contains("f")))
                            {
                                Err($"rm: cannot remove '{f}': No such file or directory\n");
                                code = 1;
                            }
                        }
                        break;
                    case "chmod":
                        if (w.Count >= 3 && Regex.IsMatch(w[1], "^[0-7]{3,4}$"))
                        {
                            var mode = System.Convert.ToInt32(w[1], 8);
                            foreach (var f in w.Skip(2))
                            {
                                var data = _guest.Store.ReadFile(Map(f));
                                if (data == null)
                                {
                                    Err($"chmod: cannot access '{f}': No such file or directory\n");
                                    code = 1;
                                }
                                else _guest.Store.WriteFile(Map(f), data, mode);
                            }
                        }
                        break;
                }
                if (seg.RedirectTarget != null)
                {
                    var target = Map(seg.RedirectTarget);
                    var existing = seg.Append ? _guest.Store.ReadFile(target) ?? Array.Empty<byte>() : Array.Empty<byte>();
                    var mode = _guest.Store.GetMode(target) ?? StoreDefaults.FileMode;
                    _guest.Store.WriteFile(target, existing.Concat(output).ToArray(), mode);
                }
                else outBuf.AddRange(output);
                return code;
            }

            private bool Test(List<string> args)
            {
                if (args.Count == 0) return false;
                if (args[0] == "!") return !Test(args.Skip(1).ToList());
                if (args.Count == 2)
                {
                    var f = args[1];
                    switch (args[0])
                    {
                        case "-f": return _guest.Store.FileExists(Map(f));
                        case "-e": return _guest.Store.FileExists(Map(f)) || IsDir(f);
                        case "-d": return IsDir(f);
                        case "-s": return (_guest.Store.GetSize(Map(f)) ?? 0) > 0;
                        case "-n": return f.Length > 0;
                        case "-z": return f.Length == 0;
                    }
                }
                if (args.Count == 3 && args[1] == "=") return args[0] == args[2];
                if (args.Count == 3 && args[1] == "!=") return args[0] != args[2];
                return args.Count == 1 && args[0].Length > 0;
            }
        }
    }
}
