using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that acts on one VM per pipeline item: checks the item before anything else (bad input never
    /// reaches a host), resolves the session, opens the host and runs <see cref="Process"/> for the VM, where an
    /// engine failure becomes a non-terminating error that names the VM, and the pipeline goes on.
    /// </summary>
    public abstract class VmTargetCmdlet : PhoenixHostCmdlet
    {
        /// <summary>
        /// The VM. Each cmdlet declares it as its parameter (with <see cref="ValidateVmIdAttribute"/>), since the
        /// position differs from one cmdlet to another.
        /// </summary>
        public abstract int VmId { get; set; }

        /// <summary>
        /// Checks the pipeline item before the session is looked at; writes the error and returns false to pass
        /// over it. May fill <see cref="VmId"/> from what was piped in.
        /// </summary>
        protected virtual bool Check() => true;

        protected override void ProcessRecord()
        {
            if (!Check()) return;
            var session = ResolveSession();
            ForItem(VmId, () =>
            {
                // In a cluster the VM is worked on on the node that owns it (qm answers only for its own node's VMs).
                var owner = OwnerNode(session, VmId);
                TargetNode = owner == session.Node ? null : owner;
                Process(session, OpenTargetHost(session));
            });
        }

        /// <summary>The host <see cref="Process"/> works on (<see cref="PhoenixHostCmdlet.OpenHost"/> unless a cmdlet logs differently).</summary>
        protected virtual ProxmoxHost OpenTargetHost(PhoenixSession session) => OpenHost(session);

        /// <summary>Acts on VM <see cref="VmId"/> through <paramref name="host"/>.</summary>
        protected abstract void Process(PhoenixSession session, ProxmoxHost host);
    }
}
