using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The fixed shell programs Phoenix runs in a guest through <c>qm guest exec</c>, and the
    /// argument lists around them. <c>qm guest exec</c> has no shell, so each program is
    /// <c>/bin/sh -c '&lt;constant&gt;' &lt;name&gt; &lt;args...&gt;</c>: the script text never changes, and
    /// every value (paths, names, the VM's spec) travels as an argument or on standard input,
    /// where no shell reads it as code. The <c>&lt;name&gt;</c> ($0) tells the programs apart in
    /// error messages and in recorded guest logs.
    /// </summary>
    internal static class GuestScripts
    {
        public const string Shell = "/bin/sh";

        public const string WriteName = "phoenix-write";
        public const string LaunchName = "phoenix-launch";
        public const string RunName = "phoenix-run";
        public const string PollName = "phoenix-poll";

        /// <summary>The first line of every poll answer, then the status.</summary>
        public const string StatusPrefix = "phoenix-status ";

        /// <summary>What the launcher prints when it started the feature.</summary>
        public const string StartedPrefix = "phoenix-started";

        /// <summary>What the launcher prints (with exit code 75) when the feature still runs from an earlier start.</summary>
        public const string BusyPrefix = "phoenix-busy";

        public const int BusyExitCode = 75;

        /// <summary>How many log bytes one poll brings at most (well under qemu-ga's 16 MiB per stream).</summary>
        public const int PollChunkBytes = 1024 * 1024;

        /// <summary>
        /// $1 = target file. Standard input becomes the file, atomically (written beside it, then
        /// renamed), readable by root only; the folder is made when missing.
        /// </summary>
        public const string Write =
            "umask 077 && mkdir -p -- \"${1%/*}\" && cat > \"$1.new\" && mv -f -- \"$1.new\" \"$1\"";

        /// <summary>
        /// $1 = <see cref="Run"/>'s text, $2 = log, $3 = status file, the rest = the command.
        /// Refuses (exit 75) while an earlier start still runs; clears the status, empties the log,
        /// and starts the runner in the background with no tie to the agent's pipes, so the agent
        /// call returns at once. Where systemd runs the guest, the runner goes into a scope of its
        /// own: an upgrade that restarts qemu-guest-agent then does not kill it with the agent's
        /// cgroup (a scope also keeps systemd from expanding $ in the arguments).
        /// </summary>
        public const string Launch =
            "r=$1 log=$2 st=$3; shift 3; " +
            "if [ -f \"$st.pid\" ] && [ ! -f \"$st\" ] && kill -0 \"$(cat \"$st.pid\")\" 2>/dev/null; then echo \"phoenix-busy $(cat \"$st.pid\")\"; exit 75; fi; " +
            "mkdir -p -- \"${log%/*}\" && rm -f -- \"$st\" \"$st.new\" \"$st.pid\" && : > \"$log\" || exit 1; " +
            "( if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then " +
            "systemd-run --scope --quiet --collect --unit \"phoenix-feature-$$\" /bin/sh -c \"$r\" phoenix-run \"$log\" \"$st\" \"$@\" || [ -f \"$st.pid\" ] || /bin/sh -c \"$r\" phoenix-run \"$log\" \"$st\" \"$@\"; " +
            "else /bin/sh -c \"$r\" phoenix-run \"$log\" \"$st\" \"$@\"; fi ) </dev/null >/dev/null 2>&1 & " +
            "echo \"phoenix-started $!\"";

        /// <summary>
        /// $1 = log, $2 = status file, the rest = the command. Records its pid, runs the command with
        /// stdout and stderr appended to the log, then writes the exit code to the status file
        /// atomically, so a reader sees either no status or the whole one.
        /// </summary>
        public const string Run =
            "echo \"$$\" > \"$2.pid\"; log=$1 st=$2; shift 2; \"$@\" </dev/null >>\"$log\" 2>&1; rc=$?; echo \"$rc\" > \"$st.new\" && mv -f -- \"$st.new\" \"$st\"";

        /// <summary>
        /// $1 = log, $2 = status file, $3 = bytes of the log already read, $4 = most bytes to send.
        /// First line: <c>phoenix-status &lt;exit code&gt;</c>, <c>running</c>, or <c>gone</c> (the
        /// runner died without a status: reboot, kill); then the log from the offset. The status is
        /// read before the log, so once it is there the log is complete.
        /// </summary>
        public const string Poll =
            "if [ -f \"$2\" ]; then echo \"phoenix-status $(cat -- \"$2\")\"; " +
            "elif [ -f \"$2.pid\" ] && ! kill -0 \"$(cat -- \"$2.pid\")\" 2>/dev/null && [ ! -f \"$2\" ]; then echo \"phoenix-status gone\"; " +
            "else echo \"phoenix-status running\"; fi; " +
            "tail -c \"+$(($3 + 1))\" -- \"$1\" 2>/dev/null | head -c \"$4\"";

        public static IReadOnlyList<string> WriteArgv(string path) => new[] { Shell, "-c", Write, WriteName, path };

        // What each program does, in words, for -WhatIf (the exact command goes to -Verbose). Kept beside the argument
        // lists so that a change to a program changes its description in the same place.

        /// <summary>What <see cref="WriteArgv"/> does with <paramref name="bytes"/> on standard input: <c>write /tmp/vm_context.json (990 bytes)</c>.</summary>
        public static string DescribeWrite(string path, long bytes) => $"write {path} ({Bytes(bytes)})";

        /// <summary>What <see cref="LaunchArgv"/> and the polls after it do: <c>run feature docker (feature_install_docker.sh, 13,027 bytes), follow its log</c>.</summary>
        public static string DescribeLaunch(string feature, string scriptFile, long scriptBytes) =>
            $"run feature {feature} ({scriptFile}, {Bytes(scriptBytes)}), follow its log";

        /// <summary>What one <see cref="PollArgv"/> does.</summary>
        public static string DescribePoll(string feature) => $"read the status and log of feature {feature}";

        private static string Bytes(long n) => n.ToString("N0", CultureInfo.InvariantCulture) + (n == 1 ? " byte" : " bytes");

        public static IReadOnlyList<string> LaunchArgv(string log, string status, IEnumerable<string> command)
        {
            var argv = new List<string> { Shell, "-c", Launch, LaunchName, Run, log, status };
            argv.AddRange(command);
            return argv;
        }

        public static IReadOnlyList<string> PollArgv(string log, string status, long offset, int maxBytes) => new[]
        {
            Shell, "-c", Poll, PollName, log, status,
            offset.ToString(CultureInfo.InvariantCulture), maxBytes.ToString(CultureInfo.InvariantCulture),
        };

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
