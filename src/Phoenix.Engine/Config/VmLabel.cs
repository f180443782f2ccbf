using System.Globalization;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// How messages, plans and prompts name a VM: <c>VM 101 (web-01)</c>, or <c>VM 101</c> when it has no name.
    /// A name that is not a DNS name (a config typo, a hostile value) is shown JSON-quoted, so it cannot
    /// pass for other text in a message: <c>VM 101 ("a b")</c>.
    /// </summary>
    public static class VmLabel
    {
        /// <summary>The label of VM <paramref name="vmId"/> named <paramref name="name"/> (null or empty: no name).</summary>
        public static string Of(int vmId, string? name)
        {
            var id = "VM " + vmId.ToString(CultureInfo.InvariantCulture);
            if (string.IsNullOrEmpty(name)) return id;
            return id + " (" + (ProxmoxNames.IsDnsName(name) ? name : Newtonsoft.Json.JsonConvert.ToString(name)) + ")";
        }

        /// <summary>The label of <paramref name="spec"/>'s VM.</summary>
        public static string Of(VmSpec spec) => Of(spec.VmId, spec.Name);
    }
}
