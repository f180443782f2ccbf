using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Secrets;

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
            "user_config", "qm_options",
        };

        /// <summary>Keys known inside <c>network_config</c>.</summary>
        public static IReadOnlyList<string> KnownNetworkFields { get; } = new[] { "ip", "gw", "nameserver", "nameservers", "searchdomain" };

        /// <summary>Keys known inside <c>user_config</c>.</summary>
        public static IReadOnlyList<string> KnownUserFields { get; } = new[] { "username", "password_hash", "ssh_public_key", "ssh_public_keys" };

        /// <summary>Keys known inside <c>snapshots</c>.</summary>
        public static IReadOnlyList<string> KnownSnapshotFields { get; } = new[] { "pre-features", "pre_features", "post-features", "post_features" };

        private static readonly string[][] NetworkGroups = { new[] { "ip", "gw" }, new[] { "nameserver", "nameservers" }, new[] { "searchdomain" } };
        private static readonly string[][] UserGroups = { new[] { "username" }, new[] { "password_hash" }, new[] { "ssh_public_key", "ssh_public_keys" } };
        private static readonly string[][] SnapshotGroups = { new[] { "pre-features", "pre_features" }, new[] { "post-features", "post_features" } };

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
                using (var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal })
                {
                    var settings = new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, CommentHandling = CommentHandling.Ignore, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Replace };
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
                var f = FindingText.Make(ConfigSeverity.Error, ConfigRules.JsonSyntax, pos, reason, "Fix the JSON syntax at that position (a missing comma, quote or brace is the usual cause).");
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
                    "The file has no 'vms' list" + (sourceFile != null ? " (" + sourceFile + ")" : "") + ".", "Add \"vms\": [ { \"vmid\": 100, \"name\": \"...\" } ]."));
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

        /// <summary>Binds one VM object (plus defaults) to a <see cref="VmSpec"/>, recording positions and type findings.</summary>
        private sealed class VmBinder
        {
            private readonly JsonPositions _pos;
            private readonly List<ConfigFinding> _findings;
            private readonly JObject? _defaults;
            private readonly JObject _vm;
            private readonly int _index;
            private readonly Dictionary<string, ConfigPosition> _positions = new Dictionary<string, ConfigPosition>(StringComparer.Ordinal);
            private readonly HashSet<string> _bad = new HashSet<string>(StringComparer.Ordinal);
            private int? _vmId;

            public VmBinder(JsonPositions pos, List<ConfigFinding> findings, JObject? defaults, JObject vm, int index)
            {
                _pos = pos;
                _findings = findings;
                _defaults = defaults;
                _vm = vm;
                _index = index;
            }

            public VmSpec Bind()
            {
                var vmid = Int("vmid", inherit: false);
                _vmId = vmid;
                var spec = new VmSpec
                {
                    VmId = vmid ?? 0,
                    Name = Str("name", inherit: false),
                    Node = Str("node"),
                    IsTemplate = Bool("is_template") ?? false,
                    TemplateImage = Str("template_image"),
                    Template = Str("template"),
                    CloneFromVmId = Int("clone_from_vmid"),
                    TemplateVmId = Int("template_vmid"),
                    TemplateSnapshotName = Str("template_snapshot_name"),
                    Cores = Int("cores"),
                    MemoryMb = Int("memory_mb"),
                    DiskSizeGb = Int("disk_size_gb"),
                    StoragePool = Str("storage_pool"),
                    NetworkBridge = Str("network_bridge"),
                    StartAtBoot = Bool("start_at_boot"),
                    BootOrder = Int("boot_order"),
                    BootDelay = Int("boot_delay"),
                    Features = StrList("features", allowNumbers: false),
                    Dependencies = StrList("dependencies", allowNumbers: true),
                    Snapshots = Snapshots(),
                    NetworkConfig = Network(),
                    UserConfig = User(),
                    QmOptions = QmOptions(),
                    Extra = Extra(),
                    SourceFile = _pos.File,
                    Index = _index,
                    Position = _pos.Of(_vm),
                    FieldPositions = _positions,
                };
                spec.BadFields = _bad;
                return spec;
            }

            private JToken? Pick(string key, bool inherit = true)
            {
                var t = _vm[key];
                if (t != null && t.Type != JTokenType.Null) return t;
                if (!inherit || _defaults == null) return null;
                t = _defaults[key];
                return t != null && t.Type != JTokenType.Null ? t : null;
            }

            private void Mark(string field, JToken token) => _positions[field] = _pos.Of(token);

            private void Bad(string field, JToken token, string expected, bool secret = false)
            {
                _bad.Add(field);
                _findings.Add(TypeMismatch(_pos, token, expected, _vmId, secret));
            }

            private int? Int(string key, bool inherit = true) => IntOf(Pick(key, inherit), key);

            private int? IntOf(JToken? t, string field)
            {
                if (t == null) return null;
                Mark(field, t);
                if (t.Type == JTokenType.Integer)
                {
                    var v = ((JValue)t).Value;
                    try
                    {
                        return Convert.ToInt32(v, CultureInfo.InvariantCulture);
                    }
                    catch (Exception e) when (e is OverflowException || e is InvalidCastException) // BigInteger is not IConvertible
                    {
                        Bad(field, t, "a whole number between " + int.MinValue + " and " + int.MaxValue);
                        return null;
                    }
                }
                Bad(field, t, "a whole number");
                return null;
            }

            private string? Str(string key, bool inherit = true) => StrOf(Pick(key, inherit), key);

            private string? StrOf(JToken? t, string field, bool secret = false)
            {
                if (t == null) return null;
                Mark(field, t);
                if (t.Type == JTokenType.String) return (string)((JValue)t).Value!;
                Bad(field, t, "a string", secret);
                return null;
            }

            private bool? Bool(string key) => BoolOf(Pick(key), key);

            private bool? BoolOf(JToken? t, string field)
            {
                if (t == null) return null;
                Mark(field, t);
                if (t.Type == JTokenType.Boolean) return (bool)((JValue)t).Value!;
                Bad(field, t, "true or false");
                return null;
            }

            private IReadOnlyList<string> StrList(string key, bool allowNumbers)
            {
                var t = Pick(key);
                if (t == null) return Array.Empty<string>();
                Mark(key, t);
                if (t is not JArray a)
                {
                    Bad(key, t, allowNumbers ? "a list of VMIDs" : "a list of strings");
                    return Array.Empty<string>();
                }
                var list = new List<string>();
                for (int i = 0; i < a.Count; i++)
                {
                    var item = a[i];
                    var field = key + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                    if (item.Type == JTokenType.String || (allowNumbers && item.Type == JTokenType.Integer))
                    {
                        Mark(key + "[" + list.Count.ToString(CultureInfo.InvariantCulture) + "]", item);
                        list.Add(Convert.ToString(((JValue)item).Value, CultureInfo.InvariantCulture)!);
                    }
                    else
                    {
                        Bad(field, item, allowNumbers ? "a VMID (number or string)" : "a string");
                    }
                }
                return list;
            }

            // The VM's nested object and the defaults' one; each null when absent, with a type finding when not an object.
            private (JObject? vm, JObject? def) Nested(string key)
            {
                JObject? vm = null, def = null;
                var t = _vm[key];
                if (t != null && t.Type != JTokenType.Null)
                {
                    if (t is JObject o) vm = o;
                    else Bad(key, t, "an object");
                }
                var d = _defaults?[key];
                if (d != null && d.Type != JTokenType.Null)
                {
                    if (d is JObject o) def = o;
                    else Bad(key, d, "an object");
                }
                if (vm != null) Mark(key, vm);
                else if (def != null) Mark(key, def);
                return (vm, def);
            }

            // For each group of keys that belong together, the object that supplies it: the VM's when it has any key of the group.
            private static Dictionary<string, JObject?> Sources(string[][] groups, JObject? vm, JObject? def)
            {
                var result = new Dictionary<string, JObject?>(StringComparer.Ordinal);
                foreach (var g in groups)
                {
                    var src = vm != null && g.Any(k => vm[k] != null && vm[k]!.Type != JTokenType.Null) ? vm : def;
                    foreach (var k in g) result[k] = src;
                }
                return result;
            }

            private JToken? Get(Dictionary<string, JObject?> sources, string key)
            {
                var t = sources[key]?[key];
                return t != null && t.Type != JTokenType.Null ? t : null;
            }

            private JObject NestedExtra(string section, JObject? vm, JObject? def, IReadOnlyList<string> known)
            {
                var extra = new JObject();
                foreach (var src in new[] { vm, def })
                {
                    if (src == null) continue;
                    foreach (var p in src.Properties())
                    {
                        if (known.Contains(p.Name) || extra[p.Name] != null) continue;
                        extra[p.Name] = p.Value.DeepClone();
                        var guess = Closest(p.Name, known);
                        _findings.Add(FindingText.Make(ConfigSeverity.Warning, ConfigRules.UnknownField, _pos.Of(p.Value),
                            "'" + p.Name + "' is not a field Phoenix knows in " + section + "; it is kept for feature scripts.",
                            guess != null ? "Did you mean '" + guess + "'?" : "Known fields: " + string.Join(", ", known) + ".", _vmId));
                    }
                }
                return extra;
            }

            private VmNetworkConfig? Network()
            {
                var (vm, def) = Nested("network_config");
                if (vm == null && def == null) return null;
                var src = Sources(NetworkGroups, vm, def);
                const string P = "network_config.";
                var ip = StrOf(Get(src, "ip"), P + "ip");
                var gw = StrOf(Get(src, "gw"), P + "gw");
                var servers = new List<string>();
                var single = Get(src, "nameserver");
                var multi = Get(src, "nameservers");
                if (single != null && multi != null)
                    DuplicateSpelling(multi, "network_config.nameserver", "network_config.nameservers", "both are used, nameserver first");
                if (single != null)
                {
                    var s = StrOf(single, P + "nameserver");
                    foreach (var part in ConfigText.SplitList(s))
                    {
                        Mark(P + "nameservers[" + servers.Count.ToString(CultureInfo.InvariantCulture) + "]", single);
                        servers.Add(part);
                    }
                }
                if (multi != null)
                {
                    Mark(P + "nameservers", multi);
                    IEnumerable<JToken> items = multi is JArray arr ? arr : multi.Type == JTokenType.String ? new[] { multi } : Array.Empty<JToken>();
                    if (multi is not JArray && multi.Type != JTokenType.String) Bad(P + "nameservers", multi, "a list of IP addresses");
                    foreach (var item in items)
                    {
                        if (item.Type != JTokenType.String) { Bad(P + "nameservers", item, "an IP address string"); continue; }
                        foreach (var part in ConfigText.SplitList((string)((JValue)item).Value!))
                        {
                            Mark(P + "nameservers[" + servers.Count.ToString(CultureInfo.InvariantCulture) + "]", item);
                            servers.Add(part);
                        }
                    }
                }
                var search = StrOf(Get(src, "searchdomain"), P + "searchdomain");
                return new VmNetworkConfig
                {
                    Ip = ip,
                    Gateway = gw,
                    Nameservers = servers,
                    SearchDomain = search,
                    Extra = NestedExtra("network_config", vm, def, KnownNetworkFields),
                };
            }

            private VmUserConfig? User()
            {
                var (vm, def) = Nested("user_config");
                if (vm == null && def == null) return null;
                var src = Sources(UserGroups, vm, def);
                const string P = "user_config.";
                var username = StrOf(Get(src, "username"), P + "username");
                var hash = StrOf(Get(src, "password_hash"), P + "password_hash", secret: true);
                var keys = new List<string>();
                var single = Get(src, "ssh_public_key");
                var multi = Get(src, "ssh_public_keys");
                if (single != null && multi != null)
                    DuplicateSpelling(multi, "user_config.ssh_public_key", "user_config.ssh_public_keys", "both are used, ssh_public_key first");
                if (single != null)
                {
                    var k = StrOf(single, P + "ssh_public_key");
                    if (k != null)
                    {
                        Mark(P + "ssh_public_keys[" + keys.Count.ToString(CultureInfo.InvariantCulture) + "]", single);
                        keys.Add(k.Trim());
                    }
                }
                if (multi != null)
                {
                    Mark(P + "ssh_public_keys", multi);
                    IEnumerable<JToken> items = multi is JArray arr ? arr : multi.Type == JTokenType.String ? new[] { multi } : Array.Empty<JToken>();
                    if (multi is not JArray && multi.Type != JTokenType.String) Bad(P + "ssh_public_keys", multi, "a list of OpenSSH public keys");
                    foreach (var item in items)
                    {
                        if (item.Type != JTokenType.String) { Bad(P + "ssh_public_keys", item, "an OpenSSH public key string"); continue; }
                        Mark(P + "ssh_public_keys[" + keys.Count.ToString(CultureInfo.InvariantCulture) + "]", item);
                        keys.Add(((string)((JValue)item).Value!).Trim());
                    }
                }
                return new VmUserConfig
                {
                    Username = username,
                    PasswordHash = string.IsNullOrEmpty(hash) ? null : new Secret(hash),
                    SshPublicKeys = keys,
                    Extra = NestedExtra("user_config", vm, def, KnownUserFields),
                };
            }

            private VmSnapshotSettings Snapshots()
            {
                var (vm, def) = Nested("snapshots");
                if (vm == null && def == null) return new VmSnapshotSettings();
                var src = Sources(SnapshotGroups, vm, def);
                (bool on, string? name) One(string hyphen, string underscore, string defaultName)
                {
                    var h = Get(src, hyphen);
                    var u = Get(src, underscore);
                    if (h != null && u != null) DuplicateSpelling(u, "snapshots." + hyphen, "snapshots." + underscore, "'" + hyphen + "' is used");
                    var t = h ?? u;
                    var field = "snapshots." + hyphen;
                    if (t == null) return (false, null);
                    Mark(field, t);
                    if (t.Type == JTokenType.Boolean) return ((bool)((JValue)t).Value!) ? (true, defaultName) : (false, null);
                    if (t.Type == JTokenType.String) return (true, (string)((JValue)t).Value!);
                    Bad(field, t, "true, false or a snapshot name");
                    return (false, null);
                }
                var pre = One("pre-features", "pre_features", VmSnapshotSettings.DefaultPreFeaturesName);
                var post = One("post-features", "post_features", VmSnapshotSettings.DefaultPostFeaturesName);
                NestedExtra("snapshots", vm, def, KnownSnapshotFields);
                return new VmSnapshotSettings { PreFeatures = pre.on, PreFeaturesName = pre.name, PostFeatures = post.on, PostFeaturesName = post.name };
            }

            private IReadOnlyDictionary<string, string> QmOptions()
            {
                var (vm, def) = Nested("qm_options");
                var result = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var src in new[] { vm, def })
                {
                    if (src == null) continue;
                    foreach (var p in src.Properties())
                    {
                        if (result.ContainsKey(p.Name) || p.Value.Type == JTokenType.Null) continue;
                        var field = "qm_options." + p.Name;
                        Mark(field, p.Value);
                        switch (p.Value.Type)
                        {
                            case JTokenType.String:
                                result[p.Name] = (string)((JValue)p.Value).Value!;
                                break;
                            case JTokenType.Integer:
                            case JTokenType.Float:
                                result[p.Name] = Convert.ToString(((JValue)p.Value).Value, CultureInfo.InvariantCulture)!;
                                break;
                            case JTokenType.Boolean:
                                result[p.Name] = (bool)((JValue)p.Value).Value! ? "1" : "0";
                                break;
                            default:
                                Bad(field, p.Value, "a string, number or true/false (one qm set value)");
                                break;
                        }
                    }
                }
                return result;
            }

            private JObject Extra()
            {
                var vmUnknown = new JObject();
                foreach (var p in _vm.Properties())
                    if (!KnownVmFields.Contains(p.Name)) vmUnknown.Add(p.Name, p.Value.DeepClone());
                if (_defaults == null) return vmUnknown;
                var defUnknown = new JObject();
                foreach (var p in _defaults.Properties())
                    if (!KnownVmFields.Contains(p.Name)) defUnknown.Add(p.Name, p.Value.DeepClone());
                return DeepMerge(vmUnknown, defUnknown);
            }

            private void DuplicateSpelling(JToken at, string first, string second, string outcome)
            {
                _findings.Add(FindingText.Make(ConfigSeverity.Warning, ConfigRules.DuplicateSpelling, _pos.Of(at),
                    first + " and " + second + " are both given; " + outcome + ".", "Keep one of the two spellings.", _vmId));
            }
        }

        /// <summary>Deep merge: <paramref name="winner"/>'s keys first in its order, objects merged recursively, then keys only <paramref name="fallback"/> has.</summary>
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
