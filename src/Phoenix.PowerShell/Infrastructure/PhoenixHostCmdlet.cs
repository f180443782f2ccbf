using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that drives a Proxmox node: gives it a <see cref="ProxmoxHost"/> whose lock waits show as
    /// progress and Verbose lines, and one way to make a change (<see cref="TryChange{T}"/>): the change is
    /// written once, and ShouldProcess decides whether it runs, or is planned for -WhatIf by running the same
    /// code over a <see cref="PlanRecorder"/>.
    /// </summary>
    public abstract class PhoenixHostCmdlet : PhoenixSessionCmdlet
    {
        /// <summary>The line a plan shows when the change would change nothing.</summary>
        protected const string NothingToChange = "nothing to change";

        private int _progressId = 1;

        /// <summary>What ShouldProcess answered for one change.</summary>
        protected enum ChangeDecision
        {
            /// <summary>Go ahead (no -WhatIf, and confirmed or no confirmation asked).</summary>
            Run,

            /// <summary>-WhatIf: plan the change and show it, change nothing.</summary>
            Plan,

            /// <summary>The user said no: do nothing.</summary>
            Skip,
        }

        private ClusterInventory? _inventory;

        /// <summary>
        /// The node that owns VM <paramref name="vmId"/>: the session's node outside a cluster (nothing asked); in a cluster,
        /// from one <c>pvesh get /cluster/resources</c> per invocation (a VM the cluster does not have: the session's node).
        /// The read also tells which nodes are down now.
        /// </summary>
        protected string OwnerNode(PhoenixSession session, int vmId)
        {
            if (!session.IsCluster) return session.Node;
            return Inventory(session).Guest(vmId) is { IsVm: true, Node: string node } ? node : session.Node;
        }

        /// <summary>The cluster's guests, nodes and storages, read once per invocation on the session's node.</summary>
        protected ClusterInventory Inventory(PhoenixSession session)
        {
            if (_inventory != null) return _inventory;
            var saved = TargetNode;
            TargetNode = null;
            try
            {
                var host = OpenHost(session);
                _inventory = RunAsync(ct => host.GetClusterInventoryAsync(ct));
                session.MarkNodes(_inventory.Nodes);
                return _inventory;
            }
            finally
            {
                TargetNode = saved;
            }
        }

        /// <summary>A Proxmox host over the session's connection for this invocation.</summary>
        protected ProxmoxHost OpenHost(PhoenixSession session)
        {
            var host = new ProxmoxHost(ConnectionFor(session));
            host.Waiting += (_, e) =>
            {
                Verbose(e.Message);
                var id = _progressId + 100 + (e.VmId ?? 0) % 1000;
                Progress(new ProgressRecord(id, $"Waiting for VM {e.VmId}", e.Message)
                {
                    PercentComplete = (int)Math.Min(99, 100 * e.Waited.TotalSeconds / Math.Max(1, e.Limit.TotalSeconds)),
                });
            };
            return host;
        }

        /// <summary>
        /// Asks ShouldProcess, once, whether <paramref name="action"/> may change <paramref name="target"/>:
        /// PowerShell's own rules (-WhatIf, -Confirm, $WhatIfPreference, $ConfirmPreference against the
        /// cmdlet's ConfirmImpact) decide, and say whether a "no" was -WhatIf. Under -WhatIf this writes the
        /// plan's first line: <c>What if: Performing the operation "Start" on target "VM 101".</c>
        /// </summary>
        protected ChangeDecision Decide(string target, string action)
        {
            var description = $"Performing the operation \"{action}\" on target \"{target}\".";
            if (ShouldProcess(description, null, null, out var reason)) return ChangeDecision.Run;
            return reason == ShouldProcessReason.WhatIf ? ChangeDecision.Plan : ChangeDecision.Skip;
        }

        /// <summary>
        /// A recorder for -WhatIf over <paramref name="connection"/>. The plan shows a guest program by what it does; its
        /// exact command line goes to the Verbose stream, so nothing of what would run is hidden.
        /// </summary>
        protected PlanRecorder RecordPlan(IHostConnection connection)
        {
            var recorder = new PlanRecorder(connection);
            recorder.Planned += (_, a) =>
            {
                if (a.Description != null) Verbose($"What if, exactly ({a.Description}): {a.Text}");
            };
            return recorder;
        }

        /// <summary>
        /// Shows the lines of a plan under -WhatIf, each as a <c>What if:</c> line below the one
        /// <see cref="Decide"/> wrote. Only call it after <see cref="Decide"/> answered <see cref="ChangeDecision.Plan"/>.
        /// </summary>
        protected void ShowPlan(IEnumerable<string> lines)
        {
            foreach (var line in lines) ShouldProcess("    " + line, null, null, out _);
        }

        /// <summary>
        /// The lines a plan shows for the changes a recorder took down: the exact commands and file writes, guest
        /// programs by what they do, in order, or <paramref name="nothingToChange"/> when there were none.
        /// </summary>
        protected static IReadOnlyList<string> PlanLines(IReadOnlyList<PlannedAction> actions, string nothingToChange = NothingToChange) =>
            actions.Count == 0 ? new[] { nothingToChange } : actions.Select(a => a.Summary).ToList();

        /// <summary>
        /// Makes one change to <paramref name="target"/>, written once as <paramref name="change"/>. ShouldProcess
        /// decides (<see cref="Decide"/>): to go ahead runs it on <paramref name="host"/> and returns true with its
        /// result; under -WhatIf it runs the same code over a <see cref="PlanRecorder"/> on the same connection
        /// (reads real, changes recorded, nothing waited for), shows <paramref name="planNotes"/> of the planned
        /// result and the recorded changes, and returns false; a "no" runs nothing and returns false.
        /// The change can tell a plan by <see cref="ProxmoxHost.IsDryRun"/>.
        /// </summary>
        protected bool TryChange<T>(ProxmoxHost host, string target, string action, Func<ProxmoxHost, CancellationToken, Task<T>> change, out T result,
            Func<T, IEnumerable<string>>? planNotes = null, string nothingToChange = NothingToChange)
        {
            result = default!;
            switch (Decide(target, action))
            {
                case ChangeDecision.Run:
                    result = RunAsync(ct => change(host, ct));
                    return true;
                case ChangeDecision.Plan:
                    using (var recorder = RecordPlan(host.Connection))
                    {
                        var planned = RunAsync(ct => change(new ProxmoxHost(recorder, RetryPolicy.NoRetry), ct));
                        var notes = planNotes?.Invoke(planned) ?? Enumerable.Empty<string>();
                        ShowPlan(notes.Concat(PlanLines(recorder.Actions, nothingToChange)));
                    }
                    return false;
                default:
                    return false;
            }
        }

        /// <summary>As <see cref="TryChange{T}"/>, for a change without a result.</summary>
        protected bool TryChange(ProxmoxHost host, string target, string action, Func<ProxmoxHost, CancellationToken, Task> change) =>
            TryChange(host, target, action, async (h, ct) => { await change(h, ct).ConfigureAwait(false); return true; }, out _);
    }
}
