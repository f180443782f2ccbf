using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that drives a Proxmox node: gives it a <see cref="ProxmoxHost"/> whose lock waits
    /// show as progress and Verbose lines, and a -WhatIf/-Confirm text made of the exact commands
    /// the change would run (planned through a <see cref="PlanRecorder"/>).
    /// </summary>
    public abstract class PhoenixHostCmdlet : PhoenixSessionCmdlet
    {
        private int _progressId = 1;

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

        /// <summary>True when ShouldProcess will print or ask (so a plan is worth computing).</summary>
        protected bool WillShowPlan()
        {
            // WhatIf wins over -Confirm:$false, as in PowerShell itself.
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)) return ((SwitchParameter)w).IsPresent;
            if (GetVariableValue("WhatIfPreference") is SwitchParameter wp && wp.IsPresent) return true;
            if (GetVariableValue("WhatIfPreference") is bool wb && wb) return true;
            if (MyInvocation.BoundParameters.TryGetValue("Confirm", out var c)) return ((SwitchParameter)c).IsPresent;
            var impact = ConfirmImpact.Medium;
            var attr = GetType().GetCustomAttributes(typeof(CmdletAttribute), true).OfType<CmdletAttribute>().FirstOrDefault();
            if (attr != null) impact = attr.ConfirmImpact;
            var pref = GetVariableValue("ConfirmPreference") is ConfirmImpact p ? p : ConfirmImpact.High;
            return pref != ConfirmImpact.None && impact >= pref;
        }

        /// <summary>
        /// Asks ShouldProcess with the exact commands <paramref name="change"/> would run on
        /// <paramref name="session"/>'s host: the change is run once against a recorder that lets
        /// reads through and records everything else.
        /// </summary>
        protected bool ShouldProcessPlan(PhoenixSession session, string target, string action, Func<ProxmoxHost, CancellationToken, Task> change)
        {
            if (!WillShowPlan()) return ShouldProcess(target, action);
            var commands = Plan(session, change);
            var text = commands.Count == 0
                ? $"{action} (nothing to change)"
                : action + ", running:" + string.Concat(commands.Select(c => Environment.NewLine + "    " + c));
            return ShouldProcess(target, text);
        }

        /// <summary>The commands <paramref name="change"/> would run, without running them.</summary>
        protected IReadOnlyList<string> Plan(PhoenixSession session, Func<ProxmoxHost, CancellationToken, Task> change)
        {
            using var recorder = new PlanRecorder(ConnectionFor(session));
            var host = new ProxmoxHost(recorder, RetryPolicy.NoRetry);
            RunAsync(ct => change(host, ct));
            return recorder.Commands;
        }
    }
}
