using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The fixed shell programs Phoenix runs in a guest through <c>qm guest exec</c>, and the
    /// argument lists around them. <c>qm guest exec</c> has no shell, so each program is
    /// <c>/bin/sh -c '&lt;constant&gt;' &lt;name&gt; &lt;args...&gt;</c>: the script text never changes, and
    /// every value (paths, names, hashes, the VM's spec) travels as an argument or on standard input,
    /// where no shell reads it as code. The <c>&lt;name&gt;</c> ($0) tells the programs apart in
    /// error messages and in recorded guest logs.
    /// </summary>
    /// <remarks>
    /// <para>Two programs carry a VM's features: <see cref="Start"/> (one guest exec: the context file
    /// and every script on standard input, then the run started in the background, and the answer of a
    /// first poll: a run that ends within its wait needs nothing more) and <see cref="Poll"/> (one guest
    /// exec: the state of all the VM's features at once, after waiting in the guest, up to a bound, for the
    /// run to end). A re-run where everything is done costs one poll. The waits test the run's liveness with
    /// the shell's builtins only, so a tick costs the guest one <c>sleep</c>.</para>
    /// <para>In the guest's feature folder (root only, 0700): <c>feature_install_&lt;name&gt;.sh</c>,
    /// <c>&lt;name&gt;.log</c>, <c>&lt;name&gt;.status</c> (its exit code, written last),
    /// <c>&lt;name&gt;.run</c> (the run hash it was started with: it is in the current run), and
    /// <c>runner</c>: the run's pid, the boot id and the process's start time, so that a pid reused
    /// after a reboot or by another process never passes for the run.</para>
    /// </remarks>
    internal static class GuestScripts
    {
        public const string Shell = "/bin/sh";

        public const string StartName = "phoenix-start";
        public const string RunName = "phoenix-run";
        public const string PollName = "phoenix-poll";

        /// <summary>What the start prints when the run is under way: <c>phoenix-started &lt;pid&gt;</c>.</summary>
        public const string StartedPrefix = "phoenix-started";

        /// <summary>What the start prints (with exit code 75) when an earlier run still goes on.</summary>
        public const string BusyPrefix = "phoenix-busy";

        public const int BusyExitCode = 75;

        /// <summary>What the start prints (with exit code 77) when the context path is not a regular file of root's.</summary>
        public const string RefusedPrefix = "phoenix-refused";

        public const int RefusedExitCode = 77;

        /// <summary>The first line of every poll answer: <c>phoenix-poll 1</c> while the run goes on, <c>0</c> after.</summary>
        public const string PollHeader = "phoenix-poll";

        /// <summary>One line per feature: <c>phoenix-state &lt;name&gt; &lt;recorded hash|-&gt; &lt;exit code|running|gone|none&gt; &lt;run hash|-&gt;</c>.</summary>
        public const string StatePrefix = "phoenix-state";

        /// <summary>Before each log chunk: <c>phoenix-log &lt;name&gt; &lt;bytes&gt;</c>, then exactly that many bytes.</summary>
        public const string LogPrefix = "phoenix-log";

        /// <summary>How many log bytes one poll brings per feature at most (well under qemu-ga's 16 MiB per stream).</summary>
        public const int PollChunkBytes = 1024 * 1024;

        /// <summary>One tick of the poll's wait in the guest.</summary>
        public static readonly TimeSpan PollTick = TimeSpan.FromMilliseconds(100);

        // A feature's script in the guest's folder $d, for the feature named $f (FeatureRunner.ScriptPath).
        private const string ScriptFile = "$d/" + FeatureCatalog.FilePrefix + "$f" + FeatureCatalog.FileSuffix;

        // The identity of a process that survives pid reuse: pst prints a pid's start time (field 22 of
        // /proc/<pid>/stat, after the command name, which may hold spaces and parentheses); alive is true
        // when the runner file ($1: pid, boot id, start time) names a process of this boot that started
        // at that time. It sets p to the runner's pid.
        private const string StartTime =
            "pst() { x=$(cat \"/proc/$1/stat\" 2>/dev/null) || return 1; printf \"%s\\n\" \"${x##*) }\" | cut -d \" \" -f 20; }; ";

        // alive runs at every tick of a wait, so it uses the shell's builtins only (read, set, test): no fork, no
        // program started. It reads the same field as pst (the 20th after "<comm>) ") and sets x, y and q too.
        private const string Liveness =
            "alive() { [ -s \"$1\" ] && read -r p b t < \"$1\" && [ -n \"$t\" ] && read -r y < /proc/sys/kernel/random/boot_id && " +
            "[ \"$b\" = \"$y\" ] && read -r x < \"/proc/$p/stat\" && x=${x##*\") \"} && q=0 && " +
            "while [ \"$q\" -lt 19 ]; do x=${x#* }; q=$((q + 1)); done && [ \"${x%% *}\" = \"$t\" ]; } 2>/dev/null; ";

        /// <summary>
        /// $1 = <see cref="Run"/>'s text, $2 = feature folder, $3 = state file, $4 = context path, $5 = the
        /// context's bytes, $6 = the features, each <c>name run-hash bytes</c> and a comma (no new line in a
        /// command line: the host's logs keep one command a line), $7 = the time limit
        /// of one feature in seconds (0: none), $8 and $9 = <see cref="Poll"/>'s $3 and $4 (how long to wait for
        /// the run to end before answering, the most log bytes per feature), the rest = the command before
        /// <c>/bin/bash script</c>. Standard input: the context, then each script, back to back.
        /// Refuses (exit 75) while an earlier run still goes on. The context file is made in a fresh
        /// private folder beside its path (mktemp -d: root's, 0700) and renamed onto the path: rename
        /// replaces a file or a link without following it and never writes into a directory; a path
        /// that is anything but a regular file of root's (a directory, a link, another user's file) is
        /// refused (exit 77) and left as it is. Then the scripts, the logs emptied, the old exit codes
        /// removed, each feature's run hash written, and <see cref="Run"/> started in the background with
        /// no tie to the agent's pipes; where systemd runs the guest, in a scope of its own, so that an
        /// upgrade that restarts qemu-guest-agent does not kill it with the agent's cgroup. Answers
        /// <c>phoenix-started &lt;pid&gt;</c> once the run has recorded itself, then what <see cref="Poll"/> answers
        /// for the run's features with their logs from the start (offset 0), after waiting as it does: a run that
        /// ends within that wait costs no guest exec after the start.
        /// </summary>
        public const string Start =
            "r=$1 d=$2 s=$3 c=$4 n=$5 l=$6 m=$7 j=$8 v=$9; shift 9; z=$(umask); umask 077; " + Liveness +
            "if alive \"$d/runner\"; then echo \"phoenix-busy $p\"; exit 75; fi; " +
            "mkdir -p -- \"$d\" && chmod 700 -- \"$d\" && cat > \"$d/start.in\" || exit 1; " +
            "if [ -L \"$c\" ] || { [ -e \"$c\" ] && { [ ! -f \"$c\" ] || [ ! -O \"$c\" ]; }; }; then " +
            "rm -f -- \"$d/start.in\"; echo \"phoenix-refused $c\"; exit 77; fi; " +
            "t=$(mktemp -d -- \"${c%/*}/.phoenix-context.XXXXXX\") || exit 1; " +
            "if ! { head -c \"$n\" -- \"$d/start.in\" > \"$t/c\" && mv -fT -- \"$t/c\" \"$c\"; }; then " +
            "rm -rf -- \"$t\" \"$d/start.in\"; echo \"phoenix-refused $c\"; exit 77; fi; rmdir -- \"$t\"; " +
            "printf \"%s\" \"$l\" | tr \",\" \"\\n\" | { o=$n; while read -r f h k; do " +
            "tail -c \"+$((o + 1))\" -- \"$d/start.in\" | head -c \"$k\" > \"" + ScriptFile + ".new\" && " +
            "mv -f -- \"" + ScriptFile + ".new\" \"" + ScriptFile + "\" && rm -f -- \"$d/$f.status\" && : > \"$d/$f.log\" && " +
            "echo \"$h\" > \"$d/$f.run\" || exit 1; o=$((o + k)); done; } || exit 1; " +
            "rm -f -- \"$d/start.in\" \"$d/runner\"; " +
            "( if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then " +
            "systemd-run --scope --quiet --collect --unit \"phoenix-feature-$$\" /bin/sh -c \"$r\" phoenix-run \"$d\" \"$s\" \"$l\" \"$m\" \"$z\" \"$@\" || " +
            "[ -s \"$d/runner\" ] || /bin/sh -c \"$r\" phoenix-run \"$d\" \"$s\" \"$l\" \"$m\" \"$z\" \"$@\"; " +
            "else /bin/sh -c \"$r\" phoenix-run \"$d\" \"$s\" \"$l\" \"$m\" \"$z\" \"$@\"; fi ) </dev/null >/dev/null 2>&1 & " +
            "i=0; while [ ! -s \"$d/runner\" ] && [ \"$i\" -lt 300 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i + 1)); done; " +
            "if [ -s \"$d/runner\" ] && read -r p b t < \"$d/runner\"; then echo \"phoenix-started $p\"; else exit 1; fi; " +
            "w=$j k=$v o=$l; set --; while [ -n \"$o\" ]; do e=${o%%,*}; o=${o#*,}; set -- \"$@\" \"${e%% *}\" 0; done; " + PollBody;

        /// <summary>
        /// $1 = feature folder, $2 = state file, $3 = the features as the start got them (<c>name run-hash bytes,</c>;
        /// the byte count is passed over),
        /// $4 = the time limit of one feature in seconds (0: none), $5 = the umask the features run with
        /// (the agent's; Phoenix's own files are made under 077), the rest = the command before
        /// <c>/bin/bash script</c>. Records itself (pid, boot id, start time), then runs the features in
        /// order, each with its output appended to its log. One that succeeds is recorded in the state
        /// file (whole, by rename) before its exit code is written (by rename, so a reader sees no
        /// exit code or the whole one). After a failure, or a feature that ran longer than the time
        /// limit (the caller stopped following it), the later ones are dropped from the run (their run
        /// hash removed) and do not start.
        /// </summary>
        public const string Run =
            "d=$1 s=$2 l=$3 m=$4 z=$5; shift 5; umask 077; " + StartTime +
            "echo \"$$ $(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(pst $$)\" > \"$d/runner.new\" && mv -f -- \"$d/runner.new\" \"$d/runner\" || exit 1; " +
            "printf \"%s\" \"$l\" | tr \",\" \"\\n\" | { x=0; while read -r f h _; do " +
            "if [ \"$x\" != 0 ]; then rm -f -- \"$d/$f.run\"; continue; fi; a=$(date +%s); " +
            "( umask \"$z\"; exec \"$@\" " + FeatureContract.Interpreter + " \"" + ScriptFile + "\" ) </dev/null >>\"$d/$f.log\" 2>&1; x=$?; " +
            "if [ \"$x\" = 0 ]; then { if [ -f \"$s\" ]; then while read -r g e; do [ \"$g\" = \"$f\" ] || printf \"%s\\n\" \"$g${e:+ $e}\"; done < \"$s\"; " +
            "else echo \"" + FeatureStateFile.HeaderLine + "\"; fi; echo \"$f $h\"; } > \"$s.new\" && mv -f -- \"$s.new\" \"$s\"; fi; " +
            "echo \"$x\" > \"$d/$f.status.new\" && mv -f -- \"$d/$f.status.new\" \"$d/$f.status\"; " +
            "if [ \"$x\" = 0 ] && [ \"$m\" -gt 0 ] && [ $(($(date +%s) - a + 1)) -ge \"$m\" ]; then x=timeout; fi; " +
            "done; }; exit 0";

        /// <summary>
        /// $1 = feature folder, $2 = state file, $3 = how many ticks of 0.1 s to wait while the run goes on
        /// (0: answer at once), $4 = most log bytes to send per feature, the rest = pairs of feature name
        /// and log offset (the bytes already read; -1: no log). Only reads. First line:
        /// <c>phoenix-poll 1</c> while the run goes on, else <c>phoenix-poll 0</c>; then one
        /// <c>phoenix-state</c> line per feature: its recorded hash (from the state file), its exit code,
        /// <c>running</c>, <c>gone</c> (in a run that ended or died without its exit code: reboot, kill)
        /// or <c>none</c>, and the run hash it was started with; then each log from its offset, framed
        /// by <c>phoenix-log &lt;name&gt; &lt;bytes&gt;</c>. The states are read before the logs, so a feature
        /// whose exit code is there has its whole log in the answer.
        /// </summary>
        public const string Poll = "d=$1 s=$2 w=$3 k=$4; shift 4; " + Liveness + PollBody;

        // The poll's work once $d, $s, $w, $k and the pairs ("$@") are set and alive is defined (also the end of the start).
        private const string PollBody =
            "i=0; while [ \"$i\" -lt \"$w\" ] && alive \"$d/runner\"; do sleep 0.1 2>/dev/null || sleep 1; i=$((i + 1)); done; " +
            "if alive \"$d/runner\"; then u=1; else u=0; fi; echo \"phoenix-poll $u\"; " +
            "f=; for a do if [ -z \"$f\" ]; then f=$a; continue; fi; " +
            "h=; if [ -f \"$s\" ]; then while read -r g e; do [ \"$g\" = \"$f\" ] && h=$e; done < \"$s\"; fi; " +
            "r=; [ -f \"$d/$f.run\" ] && read -r r 2>/dev/null < \"$d/$f.run\"; " +
            "if [ -f \"$d/$f.status\" ]; then x=; read -r x 2>/dev/null < \"$d/$f.status\"; elif [ -z \"$r\" ]; then x=none; elif [ \"$u\" = 1 ]; then x=running; else x=gone; fi; " +
            "echo \"phoenix-state $f ${h:--} ${x:-gone} ${r:--}\"; f=; done; " +
            "f=; for a do if [ -z \"$f\" ]; then f=$a; continue; fi; " +
            "if [ \"$a\" -ge 0 ] && [ -f \"$d/$f.log\" ]; then z=$(wc -c < \"$d/$f.log\"); n=$((z - a)); " +
            "if [ \"$n\" -gt \"$k\" ]; then n=$k; fi; if [ \"$n\" -lt 0 ]; then n=0; fi; " +
            "echo \"phoenix-log $f $n\"; tail -c \"+$((a + 1))\" -- \"$d/$f.log\" | head -c \"$n\"; fi; f=; done";

        // What each program does, in words, for -WhatIf (the exact command goes to -Verbose). Kept beside the argument
        // lists so that a change to a program changes its description in the same place.

        /// <summary>
        /// What <see cref="StartArgv"/> and the polls after it do: <c>write /tmp/vm_context.json (990 bytes), run
        /// feature docker (13,027 bytes), follow its log</c>; with several features, in their order, <c>run features
        /// base_setup, docker (22,524 bytes), follow their logs</c> (the bytes of all their scripts), so that the line
        /// stays short. The script's file is named by the feature (<see cref="FeatureCatalog.FileNameFor"/>).
        /// </summary>
        public static string DescribeStart(string contextPath, long contextBytes, IReadOnlyList<StartItem> items)
        {
            var scripts = Bytes(items.Sum(i => (long)i.Script.Length));
            return items.Count == 1
                ? $"write {contextPath} ({Bytes(contextBytes)}), run feature {items[0].Name} ({scripts}), follow its log"
                : $"write {contextPath} ({Bytes(contextBytes)}), run features {string.Join(", ", items.Select(i => i.Name))} ({scripts}), follow their logs";
        }

        /// <summary>What one <see cref="PollArgv"/> does, waiting up to <paramref name="wait"/> (zero: it answers at once).</summary>
        public static string DescribePoll(IEnumerable<string> features, TimeSpan wait)
        {
            var names = string.Join(", ", features);
            return wait > TimeSpan.Zero
                ? $"wait up to {Proxmox.ProxmoxError.FormatDuration(wait)} for features {names} to end, and read their state and logs"
                : $"read the state of features {names}";
        }

        private static string Bytes(long n) => n.ToString("N0", CultureInfo.InvariantCulture) + (n == 1 ? " byte" : " bytes");

        /// <summary>One feature of a start: its name, run hash and script.</summary>
        public sealed class StartItem
        {
            public StartItem(string name, string runHash, byte[] script)
            {
                Name = name;
                RunHash = runHash;
                Script = script;
            }

            public string Name { get; }
            public string RunHash { get; }
            public byte[] Script { get; }
        }

        public static IReadOnlyList<string> StartArgv(string folder, string stateFile, string contextPath, int contextBytes,
            IEnumerable<StartItem> items, TimeSpan limit, TimeSpan wait, int maxBytes, IEnumerable<string> command)
        {
            var list = new StringBuilder();
            foreach (var i in items)
                list.Append(i.Name).Append(' ').Append(i.RunHash).Append(' ').Append(i.Script.Length.ToString(CultureInfo.InvariantCulture)).Append(',');
            var argv = new List<string>
            {
                Shell, "-c", Start, StartName, Run, folder, stateFile, contextPath, contextBytes.ToString(CultureInfo.InvariantCulture),
                list.ToString(), Seconds(limit), Ticks(wait), maxBytes.ToString(CultureInfo.InvariantCulture),
            };
            argv.AddRange(command);
            return argv;
        }

        /// <summary>The standard input of a start: the context, then the scripts, back to back.</summary>
        public static byte[] StartInput(byte[] context, IEnumerable<StartItem> items)
        {
            var all = new List<byte>(context);
            foreach (var i in items) all.AddRange(i.Script);
            return all.ToArray();
        }

        public static IReadOnlyList<string> PollArgv(string folder, string stateFile, TimeSpan wait, int maxBytes,
            IEnumerable<(string Name, long Offset)> features)
        {
            var argv = new List<string>
            {
                Shell, "-c", Poll, PollName, folder, stateFile, Ticks(wait), maxBytes.ToString(CultureInfo.InvariantCulture),
            };
            foreach (var (name, offset) in features)
            {
                argv.Add(name);
                argv.Add(offset.ToString(CultureInfo.InvariantCulture));
            }
            return argv;
        }

        // A wait in ticks of PollTick (0: answer at once).
        private static string Ticks(TimeSpan wait) =>
            (wait <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(wait.Ticks / (double)PollTick.Ticks)).ToString(CultureInfo.InvariantCulture);

        private static string Seconds(TimeSpan limit) =>
            limit <= TimeSpan.Zero || limit >= TimeSpan.FromDays(365) ? "0" : ((long)Math.Ceiling(limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// The bytes the guest printed. qm decodes the agent's base64 into bytes and prints them as
        /// if each byte were a character, so non-ASCII output arrives as one char per byte
        /// (U+0000-U+00FF). When that view is not valid UTF-8 (a qm that printed real characters),
        /// the text is taken as it is. A multi-byte character cut at the end of a chunk counts as valid.
        /// </summary>
        public static byte[] ToGuestBytes(string data)
        {
            if (string.IsNullOrEmpty(data)) return Array.Empty<byte>();
            var bytes = new byte[data.Length];
            for (var i = 0; i < data.Length; i++)
            {
                var c = data[i];
                if (c > '\u00FF') return Encoding.UTF8.GetBytes(data);
                bytes[i] = (byte)c;
            }
            try
            {
                new UTF8Encoding(false, true).GetDecoder().GetCharCount(bytes, 0, bytes.Length, flush: false);
                return bytes;
            }
            catch (DecoderFallbackException)
            {
                return Encoding.UTF8.GetBytes(data);
            }
        }
    }
}
