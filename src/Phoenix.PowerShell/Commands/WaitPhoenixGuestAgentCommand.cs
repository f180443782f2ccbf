using System;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Waits until the QEMU guest agent of each VM answers; returns the VM with its IP addresses.</summary>
    [Cmdlet(VerbsLifecycle.Wait, "PhoenixGuestAgent")]
    [OutputType(typeof(PhoenixVm))]
    public sealed class WaitPhoenixGuestAgentCommand : VmTargetCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateVmId]
        [ArgumentCompleter(typeof(VmIdCompleter))]
        public override int VmId { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 600;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public VmSpec? Spec { get; set; }

        protected override void Process(PhoenixSession session, ProxmoxHost host)
        {
            var timeout = TimeSpan.FromSeconds(TimeoutSec);
            var activity = $"Waiting for the guest agent of VM {VmId}";
            var result = RunAsync(async ct =>
            {
                var ready = await VmLifecycle.WaitForAgentAsync(host, VmId, timeout, TimeSpan.FromSeconds(1),
                    waited => Progress(new ProgressRecord(1, activity, $"{waited.TotalSeconds:0} s of {TimeoutSec} s")
                    {
                        PercentComplete = (int)Math.Min(99, 100 * waited.TotalSeconds / TimeoutSec),
                        SecondsRemaining = (int)Math.Max(0, TimeoutSec - waited.TotalSeconds),
                    }), ct).ConfigureAwait(false);
                var state = await VmLifecycle.GetAsync(host, VmId, includeSnapshots: false, ct).ConfigureAwait(false);
                return (ready, state);
            });
            WriteProgress(new ProgressRecord(1, activity, "answered") { RecordType = ProgressRecordType.Completed });
            var vm = VmObjects.ToVm(result.state, session, Spec, NodeNameFor(session));
            vm.IpAddresses = result.ready.Addresses.Select(a => a.ToString()).ToList();
            WriteVerbose($"The guest agent of VM {VmId} answered after {result.ready.Waited.TotalSeconds:0.0} s.");
            WriteObject(vm);
        }
    }
}
