using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The guest's record of the features that succeeded there, <see cref="Path"/>: one line
    /// <c>&lt;name&gt; &lt;run hash&gt;</c> per feature, the hash covering the script and the context it ran with
    /// (<see cref="RunHash(byte[], VmSpec)"/>: the fields its header says it reads, or the whole context). A later run skips a feature whose hash is unchanged. The guest's run of the
    /// features writes it (whole, by rename) as each one succeeds, before its exit code, so a run that
    /// Phoenix stopped following (a killed deploy) still records what it finished; Phoenix reads it with the
    /// read-only poll (<see cref="GuestScripts.Poll"/>), so -WhatIf reads it for real.
    /// </summary>
    public static class FeatureStateFile
    {
        /// <summary>Where the record lives in the guest.</summary>
        public const string Path = "/var/lib/phoenix/features.state";

        /// <summary>The comment line the file starts with (the guest's run writes it too when it makes the file).</summary>
        internal const string HeaderLine = "# Phoenix: features that succeeded here, with the hash of their script and context";

        private const string Header = HeaderLine + "\n";

        /// <summary>
        /// The hash recorded for a run: SHA-256 over the script's bytes and the context JSON, so that a
        /// changed script or a changed spec runs the feature again.
        /// </summary>
        public static string RunHash(byte[] script, string contextJson)
        {
            if (script == null) throw new ArgumentNullException(nameof(script));
            return Hex.Sha256("phoenix-feature-run-1\n" + Hex.Sha256(script) + "\n" + (contextJson ?? ""));
        }

        /// <summary>
        /// The hash recorded for a run of <paramref name="script"/> on <paramref name="spec"/>'s VM: over the script and what
        /// it receives. A script whose header names the context fields it reads (<c># Context: timezone</c>) receives, as far
        /// as it uses them, those values and its environment (<see cref="FeatureRunner.FeatureEnvironment"/>: the VM's ID, name
        /// and user name), so only a change to one of them (or to the script) runs it again: a new memory size or another
        /// feature in the list does not. A script that names none may read the whole context file, and the whole of it counts
        /// (<see cref="RunHash(byte[], string)"/>).
        /// </summary>
        public static string RunHash(byte[] script, VmSpec spec)
        {
            if (script == null) throw new ArgumentNullException(nameof(script));
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            var fields = FeatureInfo.ParseContextFields(script);
            if (fields == null) return RunHash(script, spec.ToContextJson());
            var context = spec.ToContextObject();
            var values = new JObject();
            foreach (var path in fields.Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal))
            {
                JToken? token = context;
                foreach (var key in path.Split('.')) token = (token as JObject)?[key];
                values[path] = token?.DeepClone() ?? JValue.CreateNull();
            }
            var received = new JObject
            {
                ["environment"] = new JArray(FeatureRunner.FeatureEnvironment(spec).Skip(1).Select(e => (object)e).ToArray()),
                ["context"] = values,
            };
            return Hex.Sha256("phoenix-feature-run-2\n" + Hex.Sha256(script) + "\n" + received.ToString(Formatting.None));
        }

        /// <summary>
        /// The record as feature name to run hash. Comments, blank lines and lines that are not a feature
        /// name and a SHA-256 are passed over, so a damaged file only makes features run again.
        /// </summary>
        public static Dictionary<string, string> Parse(string text)
        {
            var state = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var raw in (text ?? "").Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 2 || !ProxmoxNames.IsValidFeatureName(parts[0]) || !Hex.IsSha256(parts[1])) continue;
                state[parts[0]] = parts[1];
            }
            return state;
        }

        /// <summary>
        /// The record as the guest holds it now, read with one <c>cat</c> (read-only, so it runs under -WhatIf; started with
        /// <c>--synchronous 0</c> and its end asked for at once, as a read that answers at once is); empty
        /// when the file is not there. For readers that want the record alone (Compare-PhoenixVm); the feature runner
        /// reads it with the poll, beside the state of the features' runs.
        /// </summary>
        public static async Task<Dictionary<string, string>> ReadAsync(ProxmoxHost host, int vmId, TimeSpan limit, CancellationToken ct)
        {
            if (host == null) throw new ArgumentNullException(nameof(host));
            var read = await host.GuestExecAsync(vmId, new[] { "cat", Path },
                new GuestExecOptions { ReadOnly = true, Synchronous = false, FollowStarted = true, FollowLimit = limit, Description = "read " + Path }, ct).ConfigureAwait(false);
            if (!read.Exited || read.ExitCode != 0) return new Dictionary<string, string>(StringComparer.Ordinal);
            return Parse(Encoding.UTF8.GetString(GuestScripts.ToGuestBytes(read.OutData)));
        }

        /// <summary>The file's text for <paramref name="state"/>: a header comment, then the features by name.</summary>
        public static string Format(IReadOnlyDictionary<string, string> state)
        {
            if (state == null) throw new ArgumentNullException(nameof(state));
            var sb = new StringBuilder(Header);
            foreach (var kv in state.OrderBy(k => k.Key, StringComparer.Ordinal)) sb.Append(kv.Key).Append(' ').Append(kv.Value).Append('\n');
            return sb.ToString();
        }
    }
}
