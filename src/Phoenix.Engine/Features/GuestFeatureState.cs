using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Phoenix.Engine.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>Where one feature is in its guest, as one poll (<see cref="GuestScripts.Poll"/>) saw it.</summary>
    internal sealed class GuestFeatureState
    {
        public GuestFeatureState(string name, string? recorded, string state, string? runHash)
        {
            Name = name;
            Recorded = recorded;
            State = state;
            RunHash = runHash;
            if (int.TryParse(state, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code)) ExitCode = code;
        }

        public string Name { get; }

        /// <summary>The run hash the guest's state file records for it (it succeeded with that script and context), or null.</summary>
        public string? Recorded { get; }

        /// <summary>Its exit code, <c>running</c>, <c>gone</c> or <c>none</c>, as the guest said.</summary>
        public string State { get; }

        /// <summary>The run hash it was last started with, or null.</summary>
        public string? RunHash { get; }

        /// <summary>The exit code of its last start, when that start has ended.</summary>
        public int? ExitCode { get; }

        public bool IsRunning => State == "running";

        public bool IsGone => State == "gone";

        public bool IsNone => State == "none";

        /// <summary>The state of a feature the guest did not mention: nothing known.</summary>
        public static GuestFeatureState Unknown(string name) => new GuestFeatureState(name, null, "none", null);
    }

    /// <summary>One answer of <see cref="GuestScripts.Poll"/>: whether the run goes on, each feature's state, and new log bytes.</summary>
    internal sealed class GuestPollAnswer
    {
        private readonly Dictionary<string, GuestFeatureState> _states = new Dictionary<string, GuestFeatureState>(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> _logs = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        /// <summary>True while the guest's run of features goes on (its runner is alive: same boot, same process).</summary>
        public bool RunnerAlive { get; private set; }

        public GuestFeatureState this[string name] => _states.TryGetValue(name, out var s) ? s : GuestFeatureState.Unknown(name);

        /// <summary>The log bytes the answer carried for <paramref name="name"/> (empty when none).</summary>
        public byte[] Log(string name) => _logs.TryGetValue(name, out var b) ? b : Array.Empty<byte>();

        /// <summary>
        /// Parses the poll's output (bytes as the guest printed them), or returns null when it does not begin with
        /// the poll's header line (a guest that did not run the program). Throws <see cref="FormatException"/> when
        /// it begins like a poll answer but is cut or malformed.
        /// </summary>
        public static GuestPollAnswer? Parse(byte[] bytes)
        {
            var pos = 0;
            var header = ReadLine(bytes, ref pos);
            if (header == null || !header.StartsWith(GuestScripts.PollHeader + " ", StringComparison.Ordinal)) return null;
            var answer = new GuestPollAnswer { RunnerAlive = header.Substring(GuestScripts.PollHeader.Length + 1).Trim() == "1" };
            while (pos < bytes.Length)
            {
                var line = ReadLine(bytes, ref pos) ?? throw new FormatException("the answer ends in the middle of a line");
                var words = line.Split(' ');
                if (words[0] == GuestScripts.StatePrefix && words.Length == 5)
                {
                    answer._states[words[1]] = new GuestFeatureState(words[1], Hash(words[2]), words[3], Hash(words[4]));
                }
                else if (words[0] == GuestScripts.LogPrefix && words.Length == 3 &&
                         int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    if (pos + length > bytes.Length)
                        throw new FormatException($"the log of {words[1]} should have {length} bytes, the answer has {bytes.Length - pos}");
                    var chunk = new byte[length];
                    Array.Copy(bytes, pos, chunk, 0, length);
                    answer._logs[words[1]] = chunk;
                    pos += length;
                }
                else
                {
                    throw new FormatException($"unexpected line '{(line.Length > 200 ? line.Substring(0, 200) + "..." : line)}'");
                }
            }
            return answer;
        }

        private static string? Hash(string word) => Hex.IsSha256(word) ? word : null;

        private static string? ReadLine(byte[] bytes, ref int pos)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', pos);
            if (end < 0) return null;
            var line = Encoding.UTF8.GetString(bytes, pos, end - pos);
            pos = end + 1;
            return line;
        }
    }
}
