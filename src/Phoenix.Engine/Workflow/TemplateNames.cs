using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Config;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Workflow
{
    /// <summary>
    /// The <c>template</c> field: the name of the base template a VM clones when it names neither clone_from_vmid nor
    /// template_vmid. It resolves to exactly one template, one of the file's is_template entries or, when the file has
    /// none of that name, one on the cluster (<c>pvesh get /cluster/resources</c>, read once, only when needed).
    /// </summary>
    public static class TemplateNames
    {
        /// <summary>True when <paramref name="spec"/>'s clone source is its <c>template</c> name.</summary>
        public static bool Uses(VmSpec spec) =>
            !spec.IsTemplate && spec.CloneFromVmId == null && spec.TemplateVmId == null && !string.IsNullOrEmpty(spec.Template);

        /// <summary>
        /// Resolves the <c>template</c> names of <paramref name="specs"/> into <paramref name="options"/>'s
        /// <see cref="ProvisionOptions.TemplateByName"/>; returns, per VM whose name resolves to no template or to several,
        /// the error that names the candidates.
        /// </summary>
        public static Task<IReadOnlyDictionary<int, PhoenixException>> ResolveAsync(ProxmoxHost host, IEnumerable<VmSpec> specs,
            IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, CancellationToken ct) =>
            ResolveAsync(host.GetClusterResourcesAsync, specs, fileVms, options, ct);

        /// <summary>
        /// As <see cref="ResolveAsync(ProxmoxHost, IEnumerable{VmSpec}, IReadOnlyDictionary{int, VmSpec}, ProvisionOptions, CancellationToken)"/>,
        /// with the cluster's listing from <paramref name="listing"/> (a deploy run's one read, shared with its other uses).
        /// </summary>
        public static async Task<IReadOnlyDictionary<int, PhoenixException>> ResolveAsync(Func<CancellationToken, Task<IReadOnlyList<ClusterResource>>> listing,
            IEnumerable<VmSpec> specs, IReadOnlyDictionary<int, VmSpec> fileVms, ProvisionOptions options, CancellationToken ct)
        {
            var errors = new Dictionary<int, PhoenixException>();
            var wanted = specs.Where(Uses).ToList();
            if (wanted.Count == 0) return errors;
            IReadOnlyList<ClusterResource>? onHost = null;
            foreach (var spec in wanted)
            {
                var name = spec.Template!;
                if (options.TemplateByName.ContainsKey(name)) continue;
                var inFile = fileVms.Values.Where(v => v.IsTemplate && string.Equals(v.Name, name, StringComparison.Ordinal)).Select(v => v.VmId).ToList();
                List<int> candidates;
                string where;
                if (inFile.Count > 0)
                {
                    candidates = inFile;
                    where = "in the config";
                }
                else
                {
                    onHost ??= await listing(ct).ConfigureAwait(false);
                    candidates = onHost.Where(r => r.IsVm && r.IsTemplate && r.VmId != null && string.Equals(r.Name, name, StringComparison.Ordinal))
                        .Select(r => r.VmId!.Value).ToList();
                    where = "on the cluster";
                }
                if (candidates.Count == 1)
                {
                    options.TemplateByName[name] = candidates[0];
                    continue;
                }
                string message, action;
                if (candidates.Count == 0)
                {
                    var all = fileVms.Values.Where(v => v.IsTemplate).Select(v => $"'{v.Name}' ({Id(v.VmId)}, in the config)")
                        .Concat((onHost ?? Array.Empty<ClusterResource>()).Where(r => r.IsVm && r.IsTemplate && r.VmId != null)
                            .Select(r => $"'{r.Name}' ({Id(r.VmId!.Value)})"))
                        .Distinct().ToList();
                    message = $"VM {spec.VmId} ({spec.Name}): template '{name}' names no template in the config or on the cluster; the templates " +
                        $"there are {(all.Count == 0 ? "none" : string.Join(", ", all))}.";
                    action = $"Set template to one of those names, or give VM {spec.VmId} template_vmid or clone_from_vmid.";
                }
                else
                {
                    message = $"VM {spec.VmId} ({spec.Name}): template '{name}' names {candidates.Count} templates {where}: " +
                        $"{string.Join(", ", candidates.Select(Id))}, so Phoenix cannot tell which to clone.";
                    action = $"Give VM {spec.VmId} template_vmid with the VMID of the one it should clone, or give the templates names of their own.";
                }
                errors[spec.VmId] = new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.TemplateNameUnresolved, message, spec.VmId)
                { RecommendedAction = action };
            }
            return errors;
        }

        private static string Id(int vmId) => vmId.ToString(CultureInfo.InvariantCulture);
    }
}
