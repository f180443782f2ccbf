using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// Reads a Phoenix config file (<c>vms</c> and optional <c>vm_defaults</c>) into <see cref="VmSpec"/>s, keeping
    /// the line and column of every value. It never throws for what is in the file: problems become
    /// <see cref="ConfigFinding"/>s in <see cref="PhoenixConfig.LoadFindings"/>, so that all of them can be
    /// reported at once.
    /// </summary>
    /// <remarks>
    /// How <c>vm_defaults</c> merges into each VM (the VM's value always wins):
    /// <list type="bullet">
    /// <item>Plain fields (<c>cores</c>, <c>storage_pool</c>, <c>template</c>, ...): taken from the defaults when the VM lacks them.
    /// <c>vmid</c> and <c>name</c> are never inherited (a warning says so). A JSON <c>null</c> counts as absent.</item>
    /// <item>Lists (<c>features</c>, <c>dependencies</c>, unknown lists): the VM's list replaces the default list whole; lists are never concatenated.</item>
    /// <item><c>network_config</c>, <c>user_config</c>, <c>snapshots</c>, <c>qm_options</c>: merged key by key, except that keys that
    /// belong together move together: <c>ip</c>+<c>gw</c> (a VM that sets <c>ip</c> takes no <c>gw</c> from the defaults, so a DHCP VM does
    /// not inherit a static gateway), <c>nameserver</c>+<c>nameservers</c>, <c>ssh_public_key</c>+<c>ssh_public_keys</c>, and each
    /// snapshot key in its two spellings.</item>
    /// <item>Unknown fields: objects merge recursively (VM keys first, in file order, then keys only the defaults have); anything else
    /// the VM has replaces the default.</item>
    /// </list>
    /// </remarks>
    public static class PhoenixConfigLoader
    {
        /// <summary>The top-level VM fields Phoenix knows, in config spelling.</summary>
        public static IReadOnlyList<string> KnownVmFields { get; } = new[]
        {
            "vmid", "name", "node", "is_template", "template_image", "template", "clone_from_vmid", "template_vmid",
            "template_snapshot_name", "cores", "memory_mb", "disk_size_gb", "storage_pool", "network_bridge",
            "start_at_boot", "boot_order", "boot_delay", "features", "dependencies", "snapshots", "network_config",
            "user_config", "qm_options", "template_copies",
        };

        /// <summary>Keys known inside <c>network_config</c>.</summary>
        public static IReadOnlyList<string> KnownNetworkFields { get; } = new[] { "ip", "gw", "nameserver", "nameservers", "searchdomain" };

        /// <summary>Keys known inside <c>user_config</c>.</summary>
        public static IReadOnlyList<string> KnownUserFields { get; } = new[] { "username", "password_hash", "ssh_public_key", "ssh_public_keys" };

        /// <summary>Keys known inside <c>snapshots</c>.</summary>
        public static IReadOnlyList<string> KnownSnapshotFields { get; } = new[] { "pre-features", "pre_features", "post-features", "post_features" };

        internal static readonly string[][] NetworkGroups = { new[] { "ip", "gw" }, new[] { "nameserver", "nameservers" }, new[] { "searchdomain" } };
        internal static readonly string[][] UserGroups = { new[] { "username" }, new[] { "password_hash" }, new[] { "ssh_public_key", "ssh_public_keys" } };
        internal static readonly string[][] SnapshotGroups = { new[] { "pre-features", "pre_features" }, new[] { "post-features", "post_features" } };

        /// <summary>
        /// Reads <paramref name="path"/>. A missing or unreadable file gives a <c>FileNotFound</c>/<c>FileUnreadable</c>
        /// finding naming the path, and no VMs.
        /// </summary>
        public static PhoenixConfig Load(string path)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            string text;
            try
            {
                if (!File.Exists(path))
                {
                    return Failed(path, FindingText.Make(ConfigSeverity.Error, ConfigRules.FileNotFound, new ConfigPosition(path, 0, 0, ""),
                        "Config file '" + path + "' does not exist.", "Check the path; relative paths are taken from the current directory."));
                }
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                return Failed(path, FindingText.Make(ConfigSeverity.Error, ConfigRules.FileUnreadable, new ConfigPosition(path, 0, 0, ""),
                    "Config file '" + path + "' cannot be read: " + e.Message, "Check that the file exists and that you may read it."));
            }
            return Parse(text, path);
        }

        /// <summary>Reads config text; <paramref name="sourceFile"/> is only used in positions and messages.</summary>
        public static PhoenixConfig Parse(string json, string? sourceFile = null)
        {
            if (json == null) throw new ArgumentNullException(nameof(json));
            var findings = new List<ConfigFinding>();
            var positions = new JsonPositions(sourceFile, json);

            JToken root;
            try
            {
                using (var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None,
                    FloatParseHandling = FloatParseHandling.Decimal })
                {
                    var settings = new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, CommentHandling = CommentHandling.Ignore,
                        DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Replace };
                    if (!reader.Read())
                    {
                        return Failed(sourceFile, FindingText.Make(ConfigSeverity.Error, ConfigRules.JsonSyntax, positions.At(1, 1, ""),
                            "The file is empty; a Phoenix config is a JSON object with a 'vms' list.", "Start from examples/phoenix.example.json."));
                    }
                    while (reader.TokenType == JsonToken.Comment && reader.Read()) { }
                    root = JToken.ReadFrom(reader, settings);
                    while (reader.Read())
                    {
                        if (reader.TokenType == JsonToken.Comment) continue;
                        var f = FindingText.Make(ConfigSeverity.Error, ConfigRules.JsonSyntax, positions.At(reader.LineNumber, reader.LinePosition, ""),
                            "Unexpected text after the end of the JSON object.", "Remove what follows the closing brace, or wrap everything in one object.");
                        return Failed(sourceFile, f);
                    }
                }
            }
            catch (JsonReaderException e)
            {
                var reason = "The file is not valid JSON: " + StripPosition(e.Message) + ".";
                // Newtonsoft's position is the last character it consumed; the offending one is the next.
                var pos = positions.At(e.LineNumber, e.LinePosition + 1, e.Path ?? "");
                var f = FindingText.Make(ConfigSeverity.Error, ConfigRules.JsonSyntax, pos, reason,
                    "Fix the JSON syntax at that position (a missing comma, quote or brace is the usual cause).");
                return Failed(sourceFile, f);
            }

            findings.AddRange(FindDuplicateKeys(json, positions));

            if (root is not JObject rootObj)
            {
                findings.Add(FindingText.Make(ConfigSeverity.Error, ConfigRules.RootNotObject, positions.Of(root),
                    "The file's top level is " + FindingText.TypeName(root.Type) + "; it must be an object with a 'vms' list.",
                    "Wrap the VMs as { \"vms\": [ ... ] }."));
                return new PhoenixConfig(sourceFile, null, null, Array.Empty<VmSpec>(), findings);
            }

            JObject? defaults = null;
            var defToken = rootObj["vm_defaults"];
            if (defToken != null && defToken.Type != JTokenType.Null)
            {
                if (defToken is JObject d)
                {
                    defaults = d;
                    foreach (var id in new[] { "vmid", "name" })
                        if (d[id] != null)
                            findings.Add(FindingText.Make(ConfigSeverity.Warning, ConfigRules.DefaultsIdentityField, positions.Of(d[id]!),
                                "'" + id + "' in vm_defaults is ignored: each VM has its own.", "Remove it from vm_defaults."));
                }
                else
                {
                    findings.Add(TypeMismatch(positions, defToken, "an object"));
                }
            }

            var vms = new List<VmSpec>();
            var vmsToken = rootObj["vms"];
            if (vmsToken == null || vmsToken.Type == JTokenType.Null)
            {
                findings.Add(FindingText.Make(ConfigSeverity.Error, ConfigRules.VmsMissing, positions.Of(rootObj),
                    "The file has no 'vms' list" + (sourceFile != null ? " (" + sourceFile + ")" : "") + ".",
                        "Add \"vms\": [ { \"vmid\": 100, \"name\": \"...\" } ]."));
            }
            else if (vmsToken is not JArray vmsArray)
            {
                findings.Add(TypeMismatch(positions, vmsToken, "a list of VM objects"));
            }
            else if (vmsArray.Count == 0)
            {
                findings.Add(FindingText.Make(ConfigSeverity.Error, ConfigRules.VmsEmpty, positions.Of(vmsArray),
                    "'vms' is empty: there is nothing to build.", "Add at least one VM object to 'vms'."));
            }
            else
            {
                for (int i = 0; i < vmsArray.Count; i++)
                {
                    if (vmsArray[i] is JObject vmObj)
                        vms.Add(new VmBinder(positions, findings, defaults, vmObj, i).Bind());
                    else
                        findings.Add(TypeMismatch(positions, vmsArray[i], "an object (one VM)"));
                }
            }

            return new PhoenixConfig(sourceFile, rootObj, defaults, vms, findings);
        }

        private static PhoenixConfig Failed(string? file, ConfigFinding f)
            => new PhoenixConfig(file, null, null, Array.Empty<VmSpec>(), new[] { f });

        // Newtonsoft appends "Path 'x', line 3, position 6." to its messages; the finding carries those separately.
        private static string StripPosition(string message)
        {
            var i = message.IndexOf(" Path '", StringComparison.Ordinal);
            if (i < 0) i = message.IndexOf(", line ", StringComparison.Ordinal);
            var m = i > 0 ? message.Substring(0, i) : message;
            return m.TrimEnd('.', ' ');
        }

        internal static ConfigFinding TypeMismatch(JsonPositions positions, JToken token, string expected, int? vmId = null, bool secret = false)
        {
            var found = FindingText.TypeName(token.Type);
            string? suggestion = null;
            if (token.Type == JTokenType.String && (expected.Contains("number")))
                suggestion = secret ? "Write the number without quotes." : "Write the number without quotes: " + ((JValue)token).Value + ".";
            else if (token.Type == JTokenType.String && expected.Contains("true"))
                suggestion = "Write true or false without quotes.";
            else if (expected.StartsWith("a list", StringComparison.Ordinal))
                suggestion = "Write it as a JSON list: [ ... ].";
            else if (expected.StartsWith("an object", StringComparison.Ordinal))
                suggestion = "Write it as a JSON object: { ... }.";
            return FindingText.Make(ConfigSeverity.Error, ConfigRules.TypeMismatch, positions.Of(token),
                "must be " + expected + ", found " + found + ".", suggestion, vmId);
        }

        // JObject.Load keeps the last of duplicate keys silently; a duplicate is nearly always a paste mistake, so say so.
        private static IEnumerable<ConfigFinding> FindDuplicateKeys(string json, JsonPositions positions)
        {
            var result = new List<ConfigFinding>();
            var stack = new Stack<HashSet<string>>();
            using (var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None })
            {
                try
                {
                    while (reader.Read())
                    {
                        switch (reader.TokenType)
                        {
                            case JsonToken.StartObject: stack.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                            case JsonToken.EndObject: if (stack.Count > 0) stack.Pop(); break;
                            case JsonToken.PropertyName:
                                var name = (string)reader.Value!;
                                if (stack.Count > 0 && !stack.Peek().Add(name))
                                    result.Add(FindingText.Make(ConfigSeverity.Warning, ConfigRules.DuplicateKey,
                                        positions.At(reader.LineNumber, Math.Max(1, reader.LinePosition - name.Length - 2), reader.Path),
                                        "key '" + name + "' appears twice in the same object; the last value is used.", "Remove one of them."));
                                break;
                        }
                    }
                }
                catch (JsonReaderException)
                {
                    // Syntax errors are reported by the main parse.
                }
            }
            return result;
        }

        /// <summary>Deep merge: <paramref name="winner"/>'s keys first in its order, objects merged recursively, then keys only <paramref
        /// name="fallback"/> has.</summary>
        internal static JObject DeepMerge(JObject winner, JObject fallback)
        {
            var result = new JObject();
            foreach (var p in winner.Properties())
            {
                if (p.Value is JObject wo && fallback[p.Name] is JObject fo) result.Add(p.Name, DeepMerge(wo, fo));
                else result.Add(p.Name, p.Value.DeepClone());
            }
            foreach (var p in fallback.Properties())
                if (result[p.Name] == null) result.Add(p.Name, p.Value.DeepClone());
            return result;
        }

        /// <summary>The known name closest to <paramref name="name"/> (edit distance up to 2), for "did you mean".</summary>
        internal static string? Closest(string name, IEnumerable<string> known)
        {
            string? best = null;
            int bestD = 3;
            foreach (var k in known)
            {
                var d = Distance(name.ToLowerInvariant(), k);
                if (d < bestD) { bestD = d; best = k; }
            }
            return best;
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d[a.Length, b.Length];
        }
    }
}
