using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Config;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Proxmox.DesiredState;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Workflow
{
    /// <summary>One difference between a config entry and its VM, as Compare-PhoenixVm reports it.</summary>
    public sealed class VmDrift
    {
        /// <summary>What Deploy does about a missing VM.</summary>
        public const string ActionClone = "Clone";

        /// <summary>What Deploy does about a missing template.</summary>
        public const string ActionBuild = "Build";

        /// <summary>What Deploy does about cloud-init snippets that differ.</summary>
        public const string ActionRegenerate = "Regenerate";

        /// <summary>What Deploy does about a feature whose script or context changed since it last ran.</summary>
        public const string ActionRunFeature = "RunFeature";

        /// <summary>What Deploy does about a snapshot that should exist.</summary>
        public const string ActionSnapshot = "Snapshot";

        public VmDrift(int vmId, string? name, string field, string? wanted, string? actual, string action, string? reason)
        {
            VmId = vmId;
            Name = name ?? "";
            Field = field;
            Wanted = wanted;
            Actual = actual;
            Action = action;
            Reason = reason;
        }

        /// <summary>The VM.</summary>
        public int VmId { get; }

        /// <summary>Its name in the config.</summary>
        public string Name { get; }

        /// <summary>The config's field (<c>cores</c>, <c>qm_options.scsi1</c>, <c>cloud-init</c>, <c>snapshots.golden</c>, <c>features.docker</c>).</summary>
        public string Field { get; }

        /// <summary>What the config says (null: that the option be absent).</summary>
        public string? Wanted { get; }

        /// <summary>What the host has (null: nothing).</summary>
        public string? Actual { get; }

        /// <summary>What Deploy would do: Set, Resize, Regenerate, RunFeature, Snapshot, Clone, Build, or None-CannotChange.</summary>
        public string Action { get; }

        /// <summary>Why they differ, or why Phoenix will not change it.</summary>
        public string? Reason { get; }

        /// <summary>The node the VM was compared on (Compare-PhoenixVm fills it; null when not known).</summary>
        public string? Node { get; set; }

        public override string ToString() => $"{VmId} {Field}: wanted {Wanted ?? "(none)"}, actual {Actual ?? "(none)"} -> {Action}";
    }

    /// <summary>What the drift report reads with: the cloud-init and feature settings a deploy would use.</summary>
    public sealed class DriftOptions
    {
        public ProvisionOptions Provision { get; set; } = new ProvisionOptions();

        /// <summary>The cloud-init a deploy would apply; null leaves cloud-init out of the report.</summary>
        public CloudInitApplyOptions? CloudInit { get; set; }

        /// <summary>Where features are found; null leaves features out of the report.</summary>
        public FeatureCatalog? Features { get; set; }
    }

    /// <summary>
    /// The drift of config entries from their VMs, from the same models Deploy converges with: the desired-state model
    /// for the configuration, the cloud-init applier for the snippets, the feature runner's state file for the features,
    /// and the snapshots a deploy takes. Reads only: the host should be a plan (a <see cref="PlanRecorder"/>),
    /// which the cloud-init comparison runs through.
    /// </summary>
    public static class DriftReport
    {
        /// <summary>The differences of <paramref name="spec"/>'s VM; empty when Deploy would change nothing.</summary>
        public static async Task<IReadOnlyList<VmDrift>> CompareAsync(ProxmoxHost host, VmSpec spec, IReadOnlyDictionary<int, VmSpec> fileVms,
            DriftOptions options, CancellationToken ct)
        {
            if (host == null) throw new ArgumentNullException(nameof(host));
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            options ??= new DriftOptions();
            var list = new List<VmDrift>();
            VmDrift Row(string field, string? wanted, string? actual, string action, string? reason) =>
                new VmDrift(spec.VmId, spec.Name, field, wanted, actual, action, reason);

            var config = await VmProvisioner.TryGetConfigAsync(host, spec.VmId, ct).ConfigureAwait(false);
            if (spec.IsTemplate)
            {
                if (config == null) list.Add(Row("is_template", "a template", null, VmDrift.ActionBuild, "the template does not exist"));
                else if (!config.IsTemplate) list.Add(Row("is_template", "a template", "a VM", VmDrift.ActionBuild, "the VM is not a template yet"));
                return list;
            }
            if (config == null)
            {
                var source = VmProvisioner.ResolveSource(spec, fileVms, options.Provision);
                list.Add(Row("vmid", "a VM", null, VmDrift.ActionClone, $"the VM does not exist; Deploy clones it from VM {source.VmId}" +
                    (source.Snapshot != null ? $" snapshot '{source.Snapshot}'" : "")));
                return list;
            }

            foreach (var f in DesiredStateModel.Compare(spec, config).Differences)
                list.Add(Row(f.Field, f.Wanted, f.Actual, f.ActionName, f.Reason));

            if (options.CloudInit != null) list.AddRange(await CloudInitAsync(host, spec, options.CloudInit, ct).ConfigureAwait(false));

            var snapshots = await host.ListSnapshotsAsync(spec.VmId, ct).ConfigureAwait(false);
            foreach (var name in SnapshotSteps.PhoenixNames(spec).Where(n => !SnapshotSteps.Has(snapshots, n)))
                list.Add(Row("snapshots." + name, "taken", null, VmDrift.ActionSnapshot, "the snapshot does not exist"));

            if (options.Features != null && spec.Features.Count > 0)
                list.AddRange(await FeaturesAsync(host, spec, options.Features, ct).ConfigureAwait(false));
            return list;
        }

        private static async Task<IReadOnlyList<VmDrift>> CloudInitAsync(ProxmoxHost host, VmSpec spec, CloudInitApplyOptions options, CancellationToken ct)
        {
            var plan = await CloudInitApplier.ApplyAsync(host, spec, options, ct).ConfigureAwait(false);
            if (!plan.Changed) return Array.Empty<VmDrift>();
            // What is on the host now, for the report: the SHA-256 of both snippets (one read-only command).
            var sums = await host.ExecuteAsync(CommandIntent.MarkReadOnly(new RemoteCommand("sha256sum", "--", plan.UserDataFile, plan.NetworkConfigFile)),
                spec.VmId, ct).ConfigureAwait(false);
            string? Sum(string path) => (sums.StdOut ?? "").Split('\n').Select(l => l.Trim().Split(new[] { ' ' }, 2, StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length == 2 && p[1].TrimStart('*') == path).Select(p => p[0]).FirstOrDefault();
            var rows = new List<VmDrift>();
            foreach (var (field, path, hash) in new[] { ("cloud-init.user-data", plan.UserDataFile, plan.UserDataHash),
                ("cloud-init.network-config", plan.NetworkConfigFile, plan.NetworkConfigHash) })
            {
                var actual = Sum(path);
                if (actual == hash) continue;
                rows.Add(new VmDrift(spec.VmId, spec.Name, field, "sha256 " + hash, actual == null ? null : "sha256 " + actual, VmDrift.ActionRegenerate,
                    actual == null ? $"{path} is not on the host" : $"{path} holds other content than the config renders"));
            }
            if (rows.Count == 0)
                rows.Add(new VmDrift(spec.VmId, spec.Name, "cloud-init", "sha256 " + plan.Hash, null, VmDrift.ActionRegenerate,
                    string.Join("; ", plan.Changes.Where(c => !c.StartsWith("regenerated", StringComparison.Ordinal)))));
            return rows;
        }

        private static async Task<IReadOnlyList<VmDrift>> FeaturesAsync(ProxmoxHost host, VmSpec spec, FeatureCatalog catalog, CancellationToken ct)
        {
            // The feature runner's own rule: a feature runs unless the guest's state file records it with this run hash
            // (its script and what it receives of the VM's context). The file is read only when the agent answers now.
            Dictionary<string, string>? state = null;
            string? unknown = null;
            var status = await host.GetStatusAsync(spec.VmId, ct).ConfigureAwait(false);
            if (status != "running") unknown = $"the VM is {status}, so its guest's feature record cannot be read";
            else if (!await AgentPingSafeAsync(host, spec.VmId, ct).ConfigureAwait(false)) unknown = "the guest agent does not answer, so the feature record cannot be read";
            else state = await FeatureStateFile.ReadAsync(host, spec.VmId, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);

            var rows = new List<VmDrift>();
            foreach (var name in spec.Features)
            {
                var feature = catalog.Resolve(name);
                var hash = FeatureStateFile.RunHash(File.ReadAllBytes(feature.Path), spec);
                string? recorded = null;
                if (state != null && state.TryGetValue(name, out var r)) recorded = r;
                if (recorded == hash) continue;
                var reason = unknown ?? (recorded == null ? "the guest has no record of it succeeding" : "its script or the context it reads changed since it last ran");
                rows.Add(new VmDrift(spec.VmId, spec.Name, "features." + name, "run " + hash.Substring(0, 12), recorded == null ? null : "run " +
                    recorded.Substring(0, 12), VmDrift.ActionRunFeature, reason));
            }
            return rows;
        }

        private static async Task<bool> AgentPingSafeAsync(ProxmoxHost host, int vmId, CancellationToken ct)
        {
            try
            {
                return await host.AgentPingAsync(vmId, ct).ConfigureAwait(false);
            }
            catch (Errors.PhoenixException)
            {
                return false;
            }
        }
    }
}
