using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Config
{
    /// <summary>What the validator may ask outside the file. Every member is optional; a null one skips its check.</summary>
    public sealed class ConfigValidationOptions
    {
        /// <summary>Answers whether a feature exists in some feature folder (bundled or the user's). Null: features are not looked up.</summary>
        public Func<string, bool>? FeatureExists { get; set; }

        /// <summary>Names of the features that exist, as an alternative to <see cref="FeatureExists"/>. Null: not used.</summary>
        public IEnumerable<string>? KnownFeatures { get; set; }

        /// <summary>
        /// With a session: whether VM <c>vmid</c> exists on the host (true/false), or null when that could not be told.
        /// Used for a <c>clone_from_vmid</c>/<c>template_vmid</c> that no VM of the file has.
        /// </summary>
        public Func<int, bool?>? HostHasVm { get; set; }

        /// <summary>
        /// With a session: the cluster's guests, nodes and storages (one <c>pvesh get /cluster/resources</c>), asked once per
        /// validation with whether any VM names a <c>node</c>; null when there is nothing to check (a node alone and no
        /// <c>node</c> named) or the host could not be asked.
        /// </summary>
        public Func<bool, ClusterInventory?>? Cluster { get; set; }

        /// <summary>The node of the session: where a VM without <c>node</c> goes.</summary>
        public string? LocalNode { get; set; }

        /// <summary>
        /// With a session: the templates on the cluster as (name, VMID), read once, or null when the host could not be
        /// asked. Used for a <c>template</c> name that no is_template entry of the file has. Null: offline.
        /// </summary>
        public Func<IReadOnlyList<KeyValuePair<string, int>>?>? HostTemplates { get; set; }

        /// <summary>The template a VM clones when it names no clone source (Deploy-PhoenixVm's -DefaultTemplateVmId, 9000).</summary>
        public int DefaultTemplateVmId { get; set; } = 9000;

        /// <summary>
        /// Reads a clone source's config on its node (VMID, node), or null when it cannot. Given (Test-PhoenixConfig with a
        /// session on a cluster), a VM cloned from a source on another node is checked with the deploy's own placement rules
        /// (<see cref="Workflow.NodePlacements.Decide"/>), so what Proxmox would refuse there is an error at the source's JSON
        /// path. Null: placement is left to Deploy-PhoenixVm.
        /// </summary>
        public Func<int, string, VmConfig?>? SourceConfig { get; set; }
    }

    /// <summary>
    /// Applies Phoenix's rules (product.md, "Configuration") to loaded VMs and reports every problem at once, sorted by
    /// file and line. Never throws for what is in the config, and never quotes a secret.
    /// </summary>
    public sealed class ConfigValidator
    {
        private readonly ConfigValidationOptions _options;

        /// <summary>Creates a validator; <paramref name="options"/> may be null.</summary>
        public ConfigValidator(ConfigValidationOptions? options = null)
        {
            _options = options ?? new ConfigValidationOptions();
        }

        // Options Phoenix itself sets from the spec; a qm_options entry for them would silently undo Phoenix's work.
        private static readonly string[] ManagedQmOptions = { "cicustom", "ciuser", "cipassword", "sshkeys", "ipconfig0", "nameserver", "searchdomain", "citype" };
        private static readonly Dictionary<string, string> OverlappingQmOptions = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = "name", ["cores"] = "cores", ["memory"] = "memory_mb", ["onboot"] = "start_at_boot", ["startup"] = "boot_order/boot_delay",
            ["template"] = "is_template",
        };

        /// <summary>The load findings of <paramref name="config"/> plus every rule applied to its VMs.</summary>
        public IReadOnlyList<ConfigFinding> Validate(PhoenixConfig config)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            return Validate(new[] { config });
        }

        /// <summary>
        /// Validates several files as one set: VMIDs must be unique across them, and clones and dependencies may
        /// point from one file to another.
        /// </summary>
        public IReadOnlyList<ConfigFinding> Validate(IEnumerable<PhoenixConfig> configs)
        {
            var list = configs.ToList();
            var findings = list.SelectMany(c => c.LoadFindings).ToList();
            findings.AddRange(ValidateVms(list.SelectMany(c => c.Vms)));
            return Sort(findings);
        }

        /// <summary>Applies the rules to specs, however they were made (loaded or built in code).</summary>
        public IReadOnlyList<ConfigFinding> ValidateVms(IEnumerable<VmSpec> vms)
        {
            var all = vms.ToList();
            var findings = new List<ConfigFinding>();
            var byId = new Dictionary<int, VmSpec>();
            foreach (var vm in all)
                if (vm.VmId != 0 && !byId.ContainsKey(vm.VmId)) byId[vm.VmId] = vm;

            // Only a node Proxmox could have is worth asking the host about: a malformed one is an error already.
            var cluster = _options.Cluster?.Invoke(all.Any(v => v.Node != null && ProxmoxNames.IsValidNodeName(v.Node)));
            foreach (var vm in all)
            {
                var before = findings.Count;
                new VmRules(this, vm, byId, findings, cluster).Run();
                // Before Sort reports an inherited vm_defaults error once: every VM that has it is left unmarked.
                vm.CloudInitValuesChecked = !findings.Skip(before).Any(f => f.Level == ConfigSeverity.Error &&
                    CloudInit.CloudInitRenderer.ValueRules.Contains(f.Rule));
            }
            Duplicates(all, findings);
            Cycles(all, byId, findings, _options.DefaultTemplateVmId);
            return Sort(findings);
        }

        // A bad value in vm_defaults is inherited by every VM; it is one mistake at one place, so it is reported once.
        private static IReadOnlyList<ConfigFinding> Sort(List<ConfigFinding> findings)
            => findings.GroupBy(f => (f.Rule, f.File, f.Line, f.Column, f.JsonPath, f.Message)).Select(g => g.First())
                .Select((f, i) => (f, i))
                .OrderBy(x => x.f.File ?? string.Empty, StringComparer.Ordinal)
                .ThenBy(x => x.f.Line).ThenBy(x => x.f.Column).ThenBy(x => x.i)
                .Select(x => x.f).ToList();

        private static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);

        // The VMIDs of the file's templates called name (as Deploy-PhoenixVm resolves template: ordinal, templates only).
        private static List<int> TemplatesNamed(IEnumerable<VmSpec> vms, string name) =>
            vms.Where(v => v.IsTemplate && string.Equals(v.Name, name, StringComparison.Ordinal)).Select(v => v.VmId).OrderBy(i => i).ToList();

        private static string Where(ConfigPosition? p)
            => p == null ? "elsewhere" : p.JsonPath + (p.Line > 0 ? " (line " + Id(p.Line) + (p.File != null ? " of " + p.File : "") + ")" : "");

        private static void Duplicates(List<VmSpec> all, List<ConfigFinding> findings)
        {
            foreach (var g in all.Where(v => v.VmId != 0).GroupBy(v => v.VmId).Where(g => g.Count() > 1))
            {
                var first = g.First();
                foreach (var vm in g.Skip(1))
                    findings.Add(FindingText.Make(ConfigSeverity.Error, ConfigRules.VmIdDuplicate, vm.GetPosition("vmid"),
                        "VMID " + Id(vm.VmId) + " is used twice: also by " + Where(first.GetPosition("vmid")) + ".",
                        "Give each VM its own vmid.", vm.VmId));
            }
            foreach (var g in all.Where(v => v.Name != null && !v.BadFields.Contains("name")).GroupBy(v => v.Name!, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                var first = g.First();
                foreach (var vm in g.Skip(1))
                    findings.Add(FindingText.Make(ConfigSeverity.Warning, ConfigRules.NameDuplicate, vm.GetPosition("name"),
                        "name " + FindingText.Show(vm.Name) + " is also used by " + Where(first.GetPosition("name")) + "; both guests get the same hostname.",
                        "Give each VM its own name.", vm.VmId));
            }
        }

        // dependencies and every clone edge (clone_from_vmid, template_vmid, a template name that names one template of the
        // file, else the default template) are "must exist first" edges, as Deploy-PhoenixVm orders them.
        private static void Cycles(List<VmSpec> all, Dictionary<int, VmSpec> byId, List<ConfigFinding> findings, int defaultTemplate)
        {
            var edges = new Dictionary<int, List<(int to, string field, string verb)>>();
            foreach (var vm in byId.Values)
            {
                var list = new List<(int, string, string)>();
                if (vm.CloneFromVmId is int c && byId.ContainsKey(c)) list.Add((c, "clone_from_vmid", "clones from"));
                if (vm.TemplateVmId is int t && byId.ContainsKey(t)) list.Add((t, "template_vmid", "clones template"));
                if (Workflow.TemplateNames.Uses(vm))
                {
                    var named = TemplatesNamed(byId.Values, vm.Template!);
                    if (named.Count == 1 && named[0] != vm.VmId) list.Add((named[0], "template", "clones template"));
                }
                else if (!vm.IsTemplate && vm.CloneFromVmId == null && vm.TemplateVmId == null && defaultTemplate != vm.VmId && byId.ContainsKey(defaultTemplate))
                    list.Add((defaultTemplate, "vmid", "clones the default template"));
                for (int i = 0; i < vm.Dependencies.Count; i++)
                    if (ProxmoxNames.IsValidVmId(vm.Dependencies[i]) && int.TryParse(vm.Dependencies[i], NumberStyles.None, CultureInfo.InvariantCulture, out var d) && byId.ContainsKey(d))
                        list.Add((d, "dependencies[" + Id(i) + "]", "depends on"));
                edges[vm.VmId] = list;
            }

            // Tarjan's strongly connected components; each component with a cycle is reported once.
            int index = 0;
            var idx = new Dictionary<int, int>();
            var low = new Dictionary<int, int>();
            var onStack = new HashSet<int>();
            var stack = new Stack<int>();
            var components = new List<List<int>>();
            void Strong(int v)
            {
                idx[v] = low[v] = index++;
                stack.Push(v);
                onStack.Add(v);
                foreach (var (w, _, _) in edges[v])
                {
                    if (!idx.ContainsKey(w)) { Strong(w); low[v] = Math.Min(low[v], low[w]); }
                    else if (onStack.Contains(w)) low[v] = Math.Min(low[v], idx[w]);
                }
                if (low[v] != idx[v]) return;
                var comp = new List<int>();
                int x;
                do { x = stack.Pop(); onStack.Remove(x); comp.Add(x); } while (x != v);
                components.Add(comp);
            }
            foreach (var v in byId.Keys.OrderBy(k => k)) if (!idx.ContainsKey(v)) Strong(v);

            foreach (var comp in components)
            {
                var set = new HashSet<int>(comp);
                var start = comp.Min();
                if (comp.Count == 1 && !edges[start].Any(e => e.to == start)) continue;
                // Walk inside the component from its lowest VMID until a VM repeats: that walk is a concrete cycle.
                var path = new List<(int vm, string field, string verb, int to)>();
                var seen = new Dictionary<int, int>();
                int cur = start;
                while (!seen.ContainsKey(cur))
                {
                    seen[cur] = path.Count;
                    var e = edges[cur].Where(x => set.Contains(x.to)).OrderBy(x => x.to == start ? 0 : 1).ThenBy(x => x.to).First();
                    path.Add((cur, e.field, e.verb, e.to));
                    cur = e.to;
                }
                var cycle = path.Skip(seen[cur]).ToList();
                var chain = string.Join(" -> ", cycle.Select(s => Id(s.vm))) + " -> " + Id(cycle[0].vm);
                var why = string.Join(", ", cycle.Select(s => Id(s.vm) + " " + s.verb + " " + Id(s.to)));
                var head = byId[cycle[0].vm];
                findings.Add(FindingText.Make(ConfigSeverity.Error, ConfigRules.Cycle, head.GetPosition(cycle[0].field),
                    "dependencies and clones form a cycle: " + chain + " (" + why + ").",
                    "Remove one of these links; Phoenix must be able to build the VMs one after the other.", head.VmId));
            }
        }

        /// <summary>The per-VM rules.</summary>
        private sealed class VmRules
        {
            private readonly ConfigValidator _v;
            private readonly VmSpec _vm;
            private readonly Dictionary<int, VmSpec> _byId;
            private readonly List<ConfigFinding> _out;
            private readonly ClusterInventory? _cluster;

            public VmRules(ConfigValidator v, VmSpec vm, Dictionary<int, VmSpec> byId, List<ConfigFinding> output, ClusterInventory? cluster)
            {
                _v = v;
                _vm = vm;
                _byId = byId;
                _out = output;
                _cluster = cluster;
            }

            private bool Ok(string field) => !_vm.BadFields.Contains(field);

            private void Error(string rule, string field, string reason, string? fix)
                => _out.Add(FindingText.Make(ConfigSeverity.Error, rule, _vm.GetPosition(field), reason, fix, _vm.VmId == 0 ? (int?)null : _vm.VmId));

            private void Warn(string rule, string field, string reason, string? fix)
                => _out.Add(FindingText.Make(ConfigSeverity.Warning, rule, _vm.GetPosition(field), reason, fix, _vm.VmId == 0 ? (int?)null : _vm.VmId));

            public void Run()
            {
                Identity();
                Resources();
                Network();
                User();
                Snapshots();
                Clones();
                Dependencies();
                Features();
                QmOptions();
                Cluster();
            }

            // The cluster as one pvesh read saw it: the node exists, the storage is enabled there and holds VM disks, and
            // the VMID is not another guest's anywhere in the cluster.
            private void Cluster()
            {
                if (_cluster == null) return;
                var nodes = string.Join(", ", _cluster.NodeNames);
                var node = _vm.Node ?? _v._options.LocalNode;
                if (_vm.Node != null && Ok("node") && ProxmoxNames.IsValidNodeName(_vm.Node) && !_cluster.HasNode(_vm.Node))
                {
                    Error(ConfigRules.NodeUnknown, "node", "node '" + _vm.Node + "' is not a node of the cluster (its nodes: " + nodes + ").",
                        "Use one of: " + nodes + ".");
                    node = null;
                }
                if (node != null && _vm.StoragePool is string sp && Ok("storage_pool") && ProxmoxNames.IsValidStorageId(sp))
                {
                    var where = _cluster.NodesWithStorage(sp);
                    var own = _cluster.Storages.Where(s => s.Node == node && s.HoldsImages).Select(s => s.Storage).Distinct().ToList();
                    var ownText = own.Count == 0 ? "none" : string.Join(", ", own);
                    if (where.Count == 0)
                        Error(ConfigRules.StorageUnknown, "storage_pool", "storage_pool '" + sp + "' is no storage of the cluster.",
                            "Use a storage of node '" + node + "' that holds VM disks: " + ownText + ".");
                    else if (_cluster.StorageOn(sp, node) is not ClusterStorage st)
                        Error(ConfigRules.StorageNotOnNode, "storage_pool", "storage_pool '" + sp + "' is not enabled on node '" + node + "' (it is on " +
                            string.Join(", ", where) + "); Proxmox would refuse with \"storage '" + sp + "' is not available on node '" + node + "'\".",
                            "Use a storage of node '" + node + "' (" + ownText + "), or place the VM on " + string.Join(" or ", where) + " with \"node\".");
                    else if (!st.HoldsImages)
                        Error(ConfigRules.StorageNoImages, "storage_pool", "storage_pool '" + sp + "' does not hold VM disks (its content is " +
                            (st.Content.Count == 0 ? "empty" : string.Join(",", st.Content)) + ").",
                            "Use a storage of node '" + node + "' with images content: " + ownText + ".");
                }
                if (node != null) Placement(node);
                if (_vm.VmId == 0 || !Ok("vmid") || _cluster.Guest(_vm.VmId) is not ClusterResource g) return;
                var at = g.Node ?? "?";
                if (g.IsContainer)
                {
                    Error(ConfigRules.VmIdTaken, "vmid", "VMID " + Id(_vm.VmId) + " is taken by container " + (g.Name != null ? "'" + g.Name + "' " : "") +
                        "(CT " + Id(_vm.VmId) + ") on node '" + at + "'; VMIDs are unique in the whole cluster, containers included.",
                        "Give the VM another vmid (pvesh get /cluster/nextid names a free one).");
                }
                else if (node != null && at != node && g.Name != null && _vm.Name != null && !string.Equals(g.Name, _vm.Name, StringComparison.OrdinalIgnoreCase))
                {
                    Error(ConfigRules.VmIdTaken, "vmid", "VMID " + Id(_vm.VmId) + " is taken by VM '" + g.Name + "' on node '" + at + "'; VMIDs are unique in the whole cluster.",
                        "Give the VM another vmid (pvesh get /cluster/nextid names a free one).");
                }
                else if (_vm.Node != null && node != null && at != node)
                {
                    Warn(ConfigRules.VmOnOtherNode, "node", "VM " + Id(_vm.VmId) + " exists on node '" + at + "', not on '" + node + "'; Phoenix works on it where it is and never moves it on its own.",
                        "Set \"node\": \"" + at + "\", or move it first (on node '" + at + "': qm migrate " + Id(_vm.VmId) + " " + node + ").");
                }
            }

            // A clone from a source outside the file on another node: the deploy's placement rules, on the source's config.
            private void Placement(string node)
            {
                if (_v._options.SourceConfig is not Func<int, string, VmConfig?> read || _vm.IsTemplate || _vm.TemplateCopies.ContainsKey(node)) return;
                var (source, field) = _vm.CloneFromVmId is int c ? (c, "clone_from_vmid") : _vm.TemplateVmId is int t ? (t, "template_vmid") : (0, "");
                if (field.Length == 0 || !Ok(field) || _byId.ContainsKey(source)) return;
                if (_cluster!.Guest(source) is not { IsVm: true, Node: string sourceNode } || sourceNode == node) return;
                if (read(source, sourceNode) is not VmConfig config) return;
                try
                {
                    // As the deploy does by default: a full clone of a VM goes to storage_pool, a clone of a template is linked.
                    Workflow.NodePlacements.Decide(_vm, source, sourceNode, node, config, _cluster!, null, config.IsTemplate ? null : _vm.StoragePool);
                }
                catch (Errors.PhoenixException e) when (e.Reason == Errors.ErrorIds.PlacementRefused)
                {
                    Error(ConfigRules.PlacementRefused, field, e.Message.Replace(" Nothing was changed.", ""), e.RecommendedAction);
                }
            }

            private void Identity()
            {
                if (_vm.VmId == 0 && Ok("vmid"))
                    Error(ConfigRules.VmIdMissing, "vmid", "the VM has no vmid.", "Add \"vmid\": a number from 100 to 999999999, unique on the cluster.");
                else if (_vm.VmId != 0 && !ProxmoxNames.IsValidVmId(Id(_vm.VmId)))
                    Error(ConfigRules.VmIdRange, "vmid", "VMID " + Id(_vm.VmId) + " is outside 100..999999999; Proxmox refuses it with \"vmid: invalid format - value does not look like a valid VM ID\".",
                        "Use a number from 100 to 999999999.");

                if (_vm.Name == null)
                {
                    if (Ok("name")) Error(ConfigRules.NameMissing, "name", "the VM has no name (it is also the guest's hostname).", "Add \"name\": a DNS name such as \"docker-01\".");
                }
                else if (!ProxmoxNames.IsDnsName(_vm.Name))
                {
                    Error(ConfigRules.NameDnsFormat, "name", "name " + FindingText.Show(_vm.Name) + " is not a DNS name; Proxmox refuses it with \"value does not look like a valid DNS name\".",
                        "Use letters, digits and hyphens (not first or last), with dots between labels, e.g. \"docker-01\".");
                }
                else if (_vm.HostName!.Length > 63 || _vm.Name.Length > 253)
                {
                    Error(ConfigRules.NameDnsFormat, "name", "name " + FindingText.Show(_vm.Name) + " is too long for a hostname (a label may have 63 characters, a name 253).",
                        "Shorten the name.");
                }

                if (_vm.Node != null && !ProxmoxNames.IsValidNodeName(_vm.Node))
                    Error(ConfigRules.NodeFormat, "node", "node " + FindingText.Show(_vm.Node) + " is not a valid node name; Proxmox says \"value does not look like a valid node name\".",
                        "Use the node's name as 'pvecm nodes' shows it.");
                foreach (var copy in _vm.TemplateCopies)
                {
                    var field = "template_copies." + copy.Key;
                    if (!ProxmoxNames.IsValidNodeName(copy.Key))
                        Error(ConfigRules.NodeFormat, field, "template_copies names " + FindingText.Show(copy.Key) + ", which is not a valid node name.",
                            "Use the node's name as 'pvecm nodes' shows it.");
                    else if (!ProxmoxNames.IsValidVmId(Id(copy.Value)))
                        Error(ConfigRules.VmIdRange, field, field + " " + Id(copy.Value) + " is outside 100..999999999.", "Use a free VMID for node '" + copy.Key + "''s copy of the template.");
                    else if (_byId.TryGetValue(copy.Value, out var other))
                        Error(ConfigRules.TemplateCopyVmId, field, field + " " + Id(copy.Value) + " is VM " + FindingText.Show(other.Name ?? Id(copy.Value)) +
                            " of the file; a template copy needs a VMID of its own (Phoenix makes and keeps it).", "Use a VMID that no VM of the file has.");
                }
                if (_vm.StoragePool != null && !ProxmoxNames.IsValidStorageId(_vm.StoragePool))
                    Error(ConfigRules.StoragePoolFormat, "storage_pool", "storage_pool " + FindingText.Show(_vm.StoragePool) + " is not a valid storage ID; Proxmox says \"storage ID '" + _vm.StoragePool + "' contains illegal characters\".",
                        "Use a storage name as 'pvesm status' lists it.");
                if (_vm.NetworkBridge != null && !ProxmoxNames.IsValidBridgeName(_vm.NetworkBridge))
                    Error(ConfigRules.NetworkBridgeFormat, "network_bridge", "network_bridge " + FindingText.Show(_vm.NetworkBridge) + " is not a valid bridge name.",
                        "Use a bridge such as vmbr0.");
            }

            private void Resources()
            {
                void Range(int? value, string field, string rule, int min, int max, string what, string fix)
                {
                    if (value is int v && (v < min || v > max))
                        Error(rule, field, field + " is " + Id(v) + "; " + what + " must be from " + Id(min) + " to " + Id(max) + ".", fix);
                }
                Range(_vm.Cores, "cores", ConfigRules.CoresRange, 1, 8192, "the number of cores", "Use a positive number of cores, e.g. 2.");
                Range(_vm.MemoryMb, "memory_mb", ConfigRules.MemoryRange, 16, 64 * 1024 * 1024, "memory in MiB (Proxmox's minimum is 16)", "Give the memory in MiB, e.g. 4096.");
                Range(_vm.DiskSizeGb, "disk_size_gb", ConfigRules.DiskSizeRange, 1, 1024 * 1024, "the disk size in GiB", "Give the disk size in GiB, e.g. 32.");
                Range(_vm.BootOrder, "boot_order", ConfigRules.BootOrderRange, 0, 100000, "the boot order", "Use 0 or a positive number.");
                Range(_vm.BootDelay, "boot_delay", ConfigRules.BootDelayRange, 0, 100000, "the boot delay in seconds", "Use 0 or a positive number of seconds.");
            }

            private void Network()
            {
                var n = _vm.NetworkConfig;
                if (n == null) return;
                uint addr = 0;
                int prefix = 0;
                var ipOk = false;
                if (!n.Dhcp && Ok("network_config.ip"))
                {
                    var err = ConfigFormats.CidrError(n.Ip!, out addr, out prefix);
                    if (err != null)
                        Error(ConfigRules.IpFormat, "network_config.ip", "ip " + FindingText.Show(n.Ip) + " " + err + ".",
                            "Write the address with its prefix length, e.g. \"10.0.0.111/24\", or \"dhcp\".");
                    else ipOk = true;
                }
                if (n.Gateway != null && Ok("network_config.gw"))
                {
                    if (n.Dhcp)
                        Error(ConfigRules.GatewayWithDhcp, "network_config.gw", "gw " + FindingText.Show(n.Gateway) + " is set but ip is dhcp" + (n.Ip == null ? " (no ip given)" : "") + "; the gateway comes from DHCP and this one would be ignored.",
                            "Remove gw, or give a static ip in CIDR form.");
                    else if (!ConfigFormats.TryParseIpv4(n.Gateway, out var gw))
                        Error(ConfigRules.GatewayFormat, "network_config.gw", "gw " + FindingText.Show(n.Gateway) + " is not an IPv4 address.", "Write the gateway as an address, e.g. \"10.0.0.1\".");
                    else if (ipOk && gw == addr)
                        Error(ConfigRules.GatewayFormat, "network_config.gw", "gw " + n.Gateway + " is the VM's own address.", "Use the router's address.");
                    else if (ipOk && (gw & ConfigFormats.Mask(prefix)) != (addr & ConfigFormats.Mask(prefix)))
                        Error(ConfigRules.GatewayOutsideSubnet, "network_config.gw", "gw " + n.Gateway + " is outside the subnet " + ConfigFormats.FormatIpv4(addr & ConfigFormats.Mask(prefix)) + "/" + Id(prefix) + " of ip " + n.Ip + "; the VM could not reach it.",
                            "Use a gateway inside " + ConfigFormats.FormatIpv4(addr & ConfigFormats.Mask(prefix)) + "/" + Id(prefix) + ", or fix the prefix length of ip.");
                }
                for (int i = 0; i < n.Nameservers.Count; i++)
                    if (!ConfigFormats.IsIpAddress(n.Nameservers[i]))
                        Error(ConfigRules.NameserverFormat, "network_config.nameservers[" + Id(i) + "]", "nameserver " + FindingText.Show(n.Nameservers[i]) + " is not an IP address.",
                            "List DNS servers by address, e.g. \"10.0.0.13\" (several: a list, or one string separated by spaces).");
                foreach (var d in n.SearchDomains)
                    if (!ProxmoxNames.IsDnsName(d.TrimEnd('.')))
                        Error(ConfigRules.SearchDomainFormat, "network_config.searchdomain", "searchdomain " + FindingText.Show(d) + " is not a DNS domain.", "Use a domain such as \"internal.example.com\".");
            }

            private void User()
            {
                var u = _vm.UserConfig;
                if (u?.Username == null)
                {
                    if (u == null || Ok("user_config.username"))
                        Warn(ConfigRules.UsernameMissing, "user_config", "the VM has no user_config.username; the default cloud-init templates create that user, so rendering them will fail.",
                            "Add \"user_config\": { \"username\": \"...\" }.");
                }
                else if (!ConfigFormats.IsUserName(u.Username))
                {
                    Error(ConfigRules.UsernameFormat, "user_config.username", "username " + FindingText.Show(u.Username) + " is not a valid Linux user name.",
                        "Use lower-case letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters (e.g. \"phoenix_user\").");
                }
                if (u == null) return;
                if (u.PasswordHash != null && Ok("user_config.password_hash"))
                {
                    var err = ConfigFormats.PasswordHashError(u.PasswordHash.Reveal());
                    if (err != null)
                        Error(ConfigRules.PasswordHashFormat, "user_config.password_hash", "password_hash " + err + ".",
                            "Put a crypt hash here, never the password: make one with 'mkpasswd -m sha-512' (package whois) or 'openssl passwd -6', and paste its output ($6$...).");
                }
                for (int i = 0; i < u.SshPublicKeys.Count; i++)
                {
                    if (!SshPublicKey.TryParse(u.SshPublicKeys[i], out _, out var err))
                        Error(ConfigRules.SshKeyFormat, "user_config.ssh_public_keys[" + Id(i) + "]", "SSH key " + Id(i + 1) + " " + err + ".",
                            "Paste the whole line of the public key file (~/.ssh/id_ed25519.pub): type, key data and optional comment.");
                }
            }

            private void Snapshots()
            {
                var names = new List<(string name, string field)>();
                if (_vm.TemplateSnapshotName != null && Ok("template_snapshot_name"))
                {
                    names.Add((_vm.TemplateSnapshotName, "template_snapshot_name"));
                    if (_vm.IsTemplate)
                        Warn(ConfigRules.TemplateSnapshotOnTemplate, "template_snapshot_name", "template_snapshot_name " + FindingText.Show(_vm.TemplateSnapshotName) + " is ignored: VM " + Id(_vm.VmId) + " is a template, and a template holds no snapshot (clones are made from the template itself).",
                            "Remove template_snapshot_name from the template, or drop is_template to build a golden VM instead.");
                }
                if (_vm.Snapshots.PreFeatures && Ok("snapshots.pre-features")) names.Add((_vm.Snapshots.PreFeaturesName!, "snapshots.pre-features"));
                if (_vm.Snapshots.PostFeatures && Ok("snapshots.post-features")) names.Add((_vm.Snapshots.PostFeaturesName!, "snapshots.post-features"));
                var used = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (name, field) in names)
                {
                    var err = ProxmoxNames.SnapshotNameError(name);
                    if (err != null)
                        Error(ConfigRules.SnapshotNameFormat, field, "snapshot name " + FindingText.Show(name) + " is refused by Proxmox: \"" + err + "\".",
                            "Start with a letter, then 1 to 39 letters, digits, '_' or '-'; not 'current' or 'pending'.");
                    else if (used.TryGetValue(name, out var other))
                        Error(ConfigRules.SnapshotNameFormat, field, "snapshot name " + FindingText.Show(name) + " is also used by " + other + "; Proxmox says \"snapshot name '" + name + "' already used\".",
                            "Give each snapshot its own name.");
                    else used[name] = field;
                }
            }

            private void Clones()
            {
                void Source(int? id, string field)
                {
                    if (id is not int src || !Ok(field) || src == _vm.VmId) return;
                    if (!ProxmoxNames.IsValidVmId(Id(src)))
                    {
                        Error(ConfigRules.VmIdRange, field, field + " " + Id(src) + " is outside 100..999999999.", "Use the VMID of an existing VM or template.");
                        return;
                    }
                    if (_byId.ContainsKey(src)) return;
                    var onHost = _v._options.HostHasVm?.Invoke(src);
                    if (onHost == true) return;
                    if (_v._options.HostHasVm != null && onHost == null)
                    {
                        Warn(ConfigRules.CloneSourceMissing, field, field + " " + Id(src) + " is no VM of the file, and the host could not be asked whether it has it.",
                            "Check that VM " + Id(src) + " exists on the host.");
                        return;
                    }
                    if (_v._options.HostHasVm == null)
                    {
                        // Offline, a source outside the file is unknown, not wrong: most configs clone a template already on the host.
                        Warn(ConfigRules.CloneSourceMissing, field, field + " " + Id(src) + " is no VM of the file and no host was asked; Deploy-PhoenixVm checks " +
                            "that VM " + Id(src) + " exists on the host before it changes anything.",
                            "Connect-PhoenixHost first (or give -Session) to check it now.");
                        return;
                    }
                    Error(ConfigRules.CloneSourceMissing, field, field + " " + Id(src) + " points to no VM of the file nor to a VM on the host.",
                        "Add VM " + Id(src) + " to the file or create it on the host first.");
                }
                Source(_vm.CloneFromVmId, "clone_from_vmid");
                Source(_vm.TemplateVmId, "template_vmid");
                TemplateName();
            }

            // template: the name of exactly one template, one of the file's is_template entries or, when the file has none of
            // that name, one on the cluster; none or several is an error naming the candidates (Deploy-PhoenixVm resolves it so).
            private void TemplateName()
            {
                if (!Workflow.TemplateNames.Uses(_vm) || !Ok("template")) return;
                var name = _vm.Template!;
                var inFile = TemplatesNamed(_byId.Values, name);
                if (inFile.Count == 1) return;
                if (inFile.Count > 1)
                {
                    Error(ConfigRules.TemplateNameUnresolved, "template", "template " + FindingText.Show(name) + " names " + Id(inFile.Count) +
                        " templates of the config: " + string.Join(", ", inFile.Select(Id)) + ", so Phoenix cannot tell which to clone.",
                        "Give VM " + Id(_vm.VmId) + " template_vmid with the VMID of the one it should clone, or give the templates names of their own.");
                    return;
                }
                var fileTemplates = _byId.Values.Where(v => v.IsTemplate && v.Name != null).OrderBy(v => v.VmId)
                    .Select(v => FindingText.Show(v.Name) + " (" + Id(v.VmId) + ", in the config)").ToList();
                if (_v._options.HostTemplates == null)
                {
                    Warn(ConfigRules.TemplateNameUnresolved, "template", "template " + FindingText.Show(name) + " names no template of the config" +
                        (fileTemplates.Count > 0 ? " (it has " + string.Join(", ", fileTemplates) + ")" : "") + ", and no host was asked; " +
                        "Deploy-PhoenixVm looks for it on the cluster before it changes anything.",
                        "Connect-PhoenixHost first (or give -Session) to check it now.");
                    return;
                }
                var onHost = _v._options.HostTemplates();
                if (onHost == null)
                {
                    Warn(ConfigRules.TemplateNameUnresolved, "template", "template " + FindingText.Show(name) + " names no template of the config, " +
                        "and the host could not be asked for its templates.", "Check that one template on the cluster is called " + FindingText.Show(name) + ".");
                    return;
                }
                var candidates = onHost.Where(t => string.Equals(t.Key, name, StringComparison.Ordinal)).Select(t => t.Value).OrderBy(i => i).ToList();
                if (candidates.Count == 1) return;
                if (candidates.Count > 1)
                {
                    Error(ConfigRules.TemplateNameUnresolved, "template", "template " + FindingText.Show(name) + " names " + Id(candidates.Count) +
                        " templates on the cluster: " + string.Join(", ", candidates.Select(Id)) + ", so Phoenix cannot tell which to clone.",
                        "Give VM " + Id(_vm.VmId) + " template_vmid with the VMID of the one it should clone, or give the templates names of their own.");
                    return;
                }
                var all = fileTemplates.Concat(onHost.OrderBy(t => t.Value).Select(t => FindingText.Show(t.Key) + " (" + Id(t.Value) + ")")).ToList();
                Error(ConfigRules.TemplateNameUnresolved, "template", "template " + FindingText.Show(name) + " names no template of the config or the cluster; " +
                    "the templates there are " + (all.Count == 0 ? "none" : string.Join(", ", all)) + ".",
                    "Set template to one of those names, or give VM " + Id(_vm.VmId) + " template_vmid or clone_from_vmid.");
            }

            private void Dependencies()
            {
                for (int i = 0; i < _vm.Dependencies.Count; i++)
                {
                    var d = _vm.Dependencies[i];
                    var field = "dependencies[" + Id(i) + "]";
                    if (!ProxmoxNames.IsValidVmId(d))
                        Error(ConfigRules.DependencyFormat, field, "dependency " + FindingText.Show(d) + " is not a VMID (100..999999999).", "List the VMIDs (or container IDs) this VM needs, e.g. [\"102\"].");
                    else if (!_byId.ContainsKey(int.Parse(d, CultureInfo.InvariantCulture)))
                        Warn(ConfigRules.DependencyOutsideFile, field, "dependency " + d + " is not a VM of this file (it may be an LXC container or a VM made elsewhere); Deploy-PhoenixVm checks on the host that it exists and runs.",
                            null);
                }
            }

            private void Features()
            {
                var known = _v._options.KnownFeatures == null ? null : new HashSet<string>(_v._options.KnownFeatures, StringComparer.Ordinal);
                for (int i = 0; i < _vm.Features.Count; i++)
                {
                    var f = _vm.Features[i];
                    var field = "features[" + Id(i) + "]";
                    if (!ProxmoxNames.IsValidFeatureName(f))
                    {
                        Error(ConfigRules.FeatureNameFormat, field, "feature " + FindingText.Show(f) + " is not a valid feature name.",
                            "Use a letter or digit, then up to 63 letters, digits, '.', '_' or '-' (feature 'docker' is the script feature_install_docker.sh).");
                        continue;
                    }
                    bool? exists = null;
                    if (_v._options.FeatureExists != null) exists = _v._options.FeatureExists(f);
                    if (known != null) exists = (exists ?? false) || known.Contains(f);
                    if (exists == false)
                        Error(ConfigRules.FeatureNotFound, field, "feature '" + f + "' is found in no feature folder (no feature_install_" + f + ".sh).",
                            "Check the spelling, or add the folder that holds feature_install_" + f + ".sh with -FeaturePath.");
                }
            }

            private void QmOptions()
            {
                foreach (var kv in _vm.QmOptions)
                {
                    var field = "qm_options." + kv.Key;
                    if (!ConfigFormats.IsQmOptionName(kv.Key))
                        Error(ConfigRules.QmOptionFormat, field, "qm option name " + FindingText.Show(kv.Key) + " is not a qm set option name.", "Use the option as 'qm set' spells it, without dashes (e.g. \"cpu\").");
                    else if (ConfigFormats.HasControlOrBrokenChar(kv.Key == "description" ? kv.Value.Replace("\n", "") : kv.Value))
                        Error(ConfigRules.QmOptionFormat, field, kv.Key == "description"
                                ? "the value of qm option 'description' holds a control character other than a line break."
                                : "the value of qm option '" + kv.Key + "' holds a line break or control character.",
                            kv.Key == "description" ? "Remove it; descriptions may span lines ('\\n')." : "Write the value on one line.");
                    else if (Array.IndexOf(ManagedQmOptions, kv.Key) >= 0)
                        Error(ConfigRules.QmOptionManaged, field, "qm option '" + kv.Key + "' is set by Phoenix from network_config/user_config (cloud-init); setting it here would undo that.",
                            "Remove it and use network_config/user_config.");
                    else if (OverlappingQmOptions.TryGetValue(kv.Key, out var known))
                        Warn(ConfigRules.QmOptionOverlap, field, "qm option '" + kv.Key + "' overrides what Phoenix sets from " + known + ".", "Use " + known + " instead.");
                }
            }
        }
    }
}
