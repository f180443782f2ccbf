using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Secrets;
using static Phoenix.Engine.Config.PhoenixConfigLoader;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// Binds one VM object of a config file (plus <c>vm_defaults</c>, merged as <see cref="PhoenixConfigLoader"/>
    /// describes) to a <see cref="VmSpec"/>, recording the position of every value and a finding for every value
    /// of the wrong type.
    /// </summary>
    internal sealed class VmBinder
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
                TemplateCopies = TemplateCopies(),
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

        // template_copies: node -> VMID; a VM's own entries over vm_defaults' (per node, like qm_options).
        private IReadOnlyDictionary<string, int> TemplateCopies()
        {
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var p in MergedProperties("template_copies"))
                if (IntOf(p.Value, "template_copies." + p.Name) is int id) result[p.Name] = id;
            return result;
        }

        // The keys of a nested object, the VM's over vm_defaults' key by key (null values skipped).
        private IEnumerable<JProperty> MergedProperties(string key)
        {
            var (vm, def) = Nested(key);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var src in new[] { vm, def })
            {
                if (src == null) continue;
                foreach (var p in src.Properties())
                    if (p.Value.Type != JTokenType.Null && seen.Add(p.Name)) yield return p;
            }
        }

        private IReadOnlyDictionary<string, string> QmOptions()
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in MergedProperties("qm_options"))
            {
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
}
