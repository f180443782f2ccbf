using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Phoenix.Engine.Secrets;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// One VM of a Phoenix config file, with <c>vm_defaults</c> merged in (see <see cref="PhoenixConfigLoader"/>
    /// for the merge rules). Property names are the config's fields in PascalCase. Fields Phoenix does not
    /// know are kept in <see cref="Extra"/>, in file order, and go to feature scripts in the context file.
    /// Nothing here displays <see cref="VmUserConfig.PasswordHash"/>.
    /// </summary>
    public sealed class VmSpec
    {
        private IReadOnlyDictionary<string, ConfigPosition> _positions = new Dictionary<string, ConfigPosition>();

        /// <summary><c>vmid</c>: the Proxmox VM ID (100..999999999). 0 when the file gave none.</summary>
        public int VmId { get; init; }

        /// <summary><c>name</c>: the VM name and guest hostname (a DNS name).</summary>
        public string? Name { get; init; }

        /// <summary><c>node</c>: the cluster node; null means the node Phoenix is connected to.</summary>
        public string? Node { get; init; }

        /// <summary><c>is_template</c>: this VM is a base template made from <see cref="TemplateImage"/>.</summary>
        public bool IsTemplate { get; init; }

        /// <summary><c>template_image</c>: the cloud image file a template is made from.</summary>
        public string? TemplateImage { get; init; }

        /// <summary><c>template</c>: the name of the base template to clone from when no VMID says otherwise (the real file's <c>vm_defaults</c> sets it).</summary>
        public string? Template { get; init; }

        /// <summary><c>clone_from_vmid</c>: clone from that VM (from its <c>template_snapshot_name</c> snapshot when it has one).</summary>
        public int? CloneFromVmId { get; init; }

        /// <summary><c>template_vmid</c>: the base template to clone from when <see cref="CloneFromVmId"/> is not set.</summary>
        public int? TemplateVmId { get; init; }

        /// <summary><c>template_snapshot_name</c>: take this snapshot after provisioning (a golden image); ignored on templates.</summary>
        public string? TemplateSnapshotName { get; init; }

        /// <summary>
        /// <c>template_copies</c>: node name to the VMID of that node's own copy of the VM's template. On a cluster, a VM
        /// whose template is on another node is cloned from its node's copy (made from the template once, then kept).
        /// </summary>
        public IReadOnlyDictionary<string, int> TemplateCopies { get; init; } = new Dictionary<string, int>();

        /// <summary><c>cores</c>.</summary>
        public int? Cores { get; init; }

        /// <summary><c>memory_mb</c>.</summary>
        public int? MemoryMb { get; init; }

        /// <summary><c>disk_size_gb</c>.</summary>
        public int? DiskSizeGb { get; init; }

        /// <summary><c>storage_pool</c>: the Proxmox storage for the VM's disks.</summary>
        public string? StoragePool { get; init; }

        /// <summary><c>network_bridge</c>: the bridge of net0 (vmbr0).</summary>
        public string? NetworkBridge { get; init; }

        /// <summary><c>start_at_boot</c>: Proxmox <c>onboot</c>.</summary>
        public bool? StartAtBoot { get; init; }

        /// <summary><c>boot_order</c>: Proxmox <c>startup: order=</c>.</summary>
        public int? BootOrder { get; init; }

        /// <summary><c>boot_delay</c>: Proxmox <c>startup: up=</c> (seconds).</summary>
        public int? BootDelay { get; init; }

        /// <summary><c>features</c>: feature names, in run order (<c>docker</c> is <c>feature_install_docker.sh</c>).</summary>
        public IReadOnlyList<string> Features { get; init; } = Array.Empty<string>();

        /// <summary><c>dependencies</c>: VMIDs (as written, strings) that must be deployed and running first.</summary>
        public IReadOnlyList<string> Dependencies { get; init; } = Array.Empty<string>();

        /// <summary><c>snapshots</c>: pre/post feature snapshots.</summary>
        public VmSnapshotSettings Snapshots { get; init; } = new VmSnapshotSettings();

        /// <summary><c>network_config</c>; null when the file has none (the VM then takes DHCP).</summary>
        public VmNetworkConfig? NetworkConfig { get; init; }

        /// <summary><c>user_config</c>; null when the file has none.</summary>
        public VmUserConfig? UserConfig { get; init; }

        /// <summary><c>qm_options</c>: extra <c>qm set</c> options, name to value (booleans as 1/0).</summary>
        public IReadOnlyDictionary<string, string> QmOptions { get; init; } = new Dictionary<string, string>();

        /// <summary>Every field Phoenix does not know (<c>volumes</c>, <c>firewall</c>, ...), nested and in file order.</summary>
        /// <remarks>Always an <see cref="ExtraFields"/> (a given JObject is copied into one), so ConvertTo-Json writes it as an object.</remarks>
        public JObject Extra { get => _extra; init => _extra = ExtraFields.From(value); }

        private readonly ExtraFields _extra = new ExtraFields();

        /// <summary>
        /// Set by <see cref="ConfigValidator.ValidateVms"/> when none of the rules whose values reach cloud-init found an error
        /// in this VM (<see cref="CloudInit.CloudInitRenderer.ValueRules"/>); the renderer then does not check them again for
        /// every render. A spec's values never change after it is made, so the answer stays true.
        /// </summary>
        internal bool CloudInitValuesChecked { get; set; }

        /// <summary>The file this VM came from; null when built in code or from text.</summary>
        public string? SourceFile { get; init; }

        /// <summary>Index of this VM in the file's <c>vms</c> array; -1 when built in code.</summary>
        public int Index { get; init; } = -1;

        /// <summary>Where the VM's object starts in the file; null when built in code.</summary>
        public ConfigPosition? Position { get; init; }

        /// <summary>
        /// Where each field's value came from, keyed by its path inside the VM in config spelling
        /// (<c>vmid</c>, <c>network_config.gw</c>, <c>user_config.ssh_public_keys[1]</c>, <c>network_config.nameservers[0]</c>).
        /// A value inherited from <c>vm_defaults</c> points into <c>vm_defaults</c>. Internal: findings carry the positions
        /// users need, and a spec in ConvertTo-Json stays the config it came from, not a map of the file.
        /// </summary>
        internal IReadOnlyDictionary<string, ConfigPosition> FieldPositions
        {
            get => _positions;
            init => _positions = value ?? new Dictionary<string, ConfigPosition>();
        }

        /// <summary>Fields whose value had the wrong type (a finding was made); semantic rules skip them.</summary>
        internal ISet<string> BadFields { get; set; } = new HashSet<string>();

        /// <summary>The position of <paramref name="field"/> (see <see cref="FieldPositions"/>), else of the VM.</summary>
        public ConfigPosition? GetPosition(string field)
            => _positions.TryGetValue(field, out var p) ? p : Position;

        /// <summary>The hostname cloud-init gets: the part of <see cref="Name"/> before the first dot (as Proxmox does).</summary>
        public string? HostName
        {
            get
            {
                if (Name == null) return null;
                var dot = Name.IndexOf('.');
                return dot > 0 ? Name.Substring(0, dot) : Name;
            }
        }

        /// <summary>
        /// The FQDN cloud-init gets, by Proxmox's rule: the name when it has a dot, else name plus the first
        /// search domain, else the name.
        /// </summary>
        public string? Fqdn
        {
            get
            {
                if (Name == null) return null;
                if (Name.IndexOf('.') > 0) return Name;
                var search = NetworkConfig?.SearchDomains;
                return search != null && search.Count > 0 ? Name + "." + search[0] : Name;
            }
        }

        /// <summary><see cref="Extra"/> as nested ordered dictionaries and arrays, for PowerShell display.</summary>
        public OrderedDictionary GetExtraAsDictionary() => (OrderedDictionary)JsonPlain.ToPlain(Extra)!;

        /// <summary>
        /// The feature-script context: the whole spec as a JSON object, known fields in their config spelling
        /// (normalized: <c>nameservers</c> and <c>ssh_public_keys</c> as lists, <c>snapshots</c> with hyphens),
        /// then the unknown fields in file order. Secrets (<c>user_config.password_hash</c>) are removed, not masked.
        /// </summary>
        public JObject ToContextObject()
        {
            var o = new JObject();
            void Put(string key, JToken? value) { if (value != null && value.Type != JTokenType.Null) o[key] = value; }
            JToken? S(string? v) => v == null ? null : new JValue(v);
            JToken? I(int? v) => v == null ? null : new JValue(v.Value);
            JToken? B(bool? v) => v == null ? null : new JValue(v.Value);

            Put("vmid", new JValue(VmId));
            Put("name", S(Name));
            Put("node", S(Node));
            Put("is_template", new JValue(IsTemplate));
            Put("template", S(Template));
            Put("template_image", S(TemplateImage));
            Put("clone_from_vmid", I(CloneFromVmId));
            Put("template_vmid", I(TemplateVmId));
            Put("template_snapshot_name", S(TemplateSnapshotName));
            if (TemplateCopies.Count > 0)
                Put("template_copies", new JObject(TemplateCopies.Select(kv => new JProperty(kv.Key, kv.Value))));
            Put("cores", I(Cores));
            Put("memory_mb", I(MemoryMb));
            Put("disk_size_gb", I(DiskSizeGb));
            Put("storage_pool", S(StoragePool));
            Put("network_bridge", S(NetworkBridge));
            Put("start_at_boot", B(StartAtBoot));
            Put("boot_order", I(BootOrder));
            Put("boot_delay", I(BootDelay));
            Put("features", new JArray(Features.Select(f => (object)f).ToArray()));
            Put("dependencies", new JArray(Dependencies.Select(d => (object)d).ToArray()));
            var snaps = new JObject
            {
                ["pre-features"] = Snapshots.PreFeatures ? (JToken)new JValue(Snapshots.PreFeaturesName) : new JValue(false),
                ["post-features"] = Snapshots.PostFeatures ? (JToken)new JValue(Snapshots.PostFeaturesName) : new JValue(false),
            };
            Put("snapshots", snaps);
            if (NetworkConfig != null)
            {
                var n = new JObject();
                n["ip"] = NetworkConfig.Ip ?? "dhcp";
                if (NetworkConfig.Gateway != null) n["gw"] = NetworkConfig.Gateway;
                n["nameservers"] = new JArray(NetworkConfig.Nameservers.Select(x => (object)x).ToArray());
                if (NetworkConfig.SearchDomain != null) n["searchdomain"] = NetworkConfig.SearchDomain;
                foreach (var p in NetworkConfig.Extra.Properties()) n[p.Name] = p.Value.DeepClone();
                Put("network_config", n);
            }
            if (UserConfig != null)
            {
                var u = new JObject();
                if (UserConfig.Username != null) u["username"] = UserConfig.Username;
                u["ssh_public_keys"] = new JArray(UserConfig.SshPublicKeys.Select(x => (object)x).ToArray());
                foreach (var p in UserConfig.Extra.Properties()) u[p.Name] = p.Value.DeepClone();
                Put("user_config", u);
            }
            if (QmOptions.Count > 0)
            {
                var q = new JObject();
                foreach (var kv in QmOptions) q[kv.Key] = kv.Value;
                Put("qm_options", q);
            }
            foreach (var p in Extra.Properties())
                if (o[p.Name] == null) o[p.Name] = p.Value.DeepClone();
            o = SecretMasker.RemoveFields(o, SecretPaths);
            // The context file is readable in the guest: no field named like a secret goes there, whatever
            // its place or spelling (a misspelt password-hash, a plain "password", an app's db_password).
            foreach (var secret in o.Descendants().OfType<JProperty>().Where(p => SecretMasker.IsSecretFieldName(p.Name)).ToList())
                secret.Remove();
            return o;
        }

        /// <summary>The paths (config spelling) of the known secret fields; removed from the context file.</summary>
        public static IReadOnlyList<string> SecretPaths { get; } = new[] { "user_config.password_hash" };

        /// <summary><see cref="ToContextObject"/> as JSON text (what goes to <c>/tmp/vm_context.json</c>).</summary>
        public string ToContextJson(bool indented = true)
            => ToContextObject().ToString(indented ? Formatting.Indented : Formatting.None);

        /// <summary>
        /// A one-line summary: <c>VM 1001 Portainer (clone of 9000; 4 cores, 8192 MB; 10.0.0.111/24; user phoenix_user)</c>.
        /// Never shows the password hash.
        /// </summary>
        public override string ToString()
        {
            var parts = new List<string>();
            if (IsTemplate) parts.Add("template" + (TemplateImage != null ? " from " + TemplateImage : ""));
            if (CloneFromVmId != null) parts.Add("clone of " + CloneFromVmId.Value.ToString(CultureInfo.InvariantCulture));
            else if (TemplateVmId != null) parts.Add("clone of template " + TemplateVmId.Value.ToString(CultureInfo.InvariantCulture));
            var res = new List<string>();
            if (Cores != null) res.Add(Cores.Value.ToString(CultureInfo.InvariantCulture) + " cores");
            if (MemoryMb != null) res.Add(MemoryMb.Value.ToString(CultureInfo.InvariantCulture) + " MB");
            if (DiskSizeGb != null) res.Add(DiskSizeGb.Value.ToString(CultureInfo.InvariantCulture) + " GB disk");
            if (res.Count > 0) parts.Add(string.Join(", ", res));
            if (NetworkConfig != null) parts.Add(NetworkConfig.Dhcp ? "dhcp" : NetworkConfig.Ip!);
            if (UserConfig != null) parts.Add("user " + UserConfig);
            var head = "VM " + VmId.ToString(CultureInfo.InvariantCulture) + " " + (Name ?? "(no name)");
            return parts.Count > 0 ? head + " (" + string.Join("; ", parts) + ")" : head;
        }
    }

    /// <summary>Turns JSON tokens into plain .NET values (ordered dictionaries, object arrays, primitives).</summary>
    internal static class JsonPlain
    {
        public static object? ToPlain(JToken token)
        {
            switch (token)
            {
                case JObject o:
                    var d = new OrderedDictionary(StringComparer.Ordinal);
                    foreach (var p in o.Properties()) d[p.Name] = ToPlain(p.Value);
                    return d;
                case JArray a:
                    return a.Select(ToPlain).ToArray();
                case JValue v:
                    return v.Value;
                default:
                    return token.ToString();
            }
        }
    }
}
