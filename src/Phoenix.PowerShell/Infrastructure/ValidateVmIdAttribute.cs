using System.Management.Automation;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A VMID parameter: the range Proxmox accepts (<see cref="ProxmoxNames.MinVmId"/> to
    /// <see cref="ProxmoxNames.MaxVmId"/>), checked by the engine's own rule so that every cmdlet and the
    /// config file refuse the same values. Each element of an array is checked; a null (an optional <c>int?</c>
    /// left out) is not.
    /// </summary>
    public sealed class ValidateVmIdAttribute : ValidateEnumeratedArgumentsAttribute
    {
        protected override void ValidateElement(object element)
        {
            if (element == null) return;
            long vmId;
            try
            {
                vmId = System.Convert.ToInt64(element, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (System.Exception e) when (e is System.FormatException || e is System.InvalidCastException || e is System.OverflowException)
            {
                throw new ValidationMetadataException($"'{element}' is not a VMID (a whole number from {ProxmoxNames.MinVmId} to {ProxmoxNames.MaxVmId}).");
            }
            var reason = ProxmoxNames.ValidateVmId(vmId);
            if (reason != null) throw new ValidationMetadataException(reason + ".");
        }
    }
}
