using System.Management.Automation;
using Phoenix.Engine.Proxmox;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A parameter that names a VM, snapshot, storage, node, bridge or feature: checked by the engine's own rule
    /// (<see cref="ProxmoxNames.Validate"/>, the one place of the name rules, which the config validator uses too),
    /// so a bad name such as <c>"golden`n"</c> is refused while the parameter binds, before any host is touched, and
    /// PowerShell's error names the parameter. Each element of an array is checked; a null (an optional parameter
    /// left out) is not.
    /// </summary>
    public sealed class ValidateProxmoxNameAttribute : ValidateEnumeratedArgumentsAttribute
    {
        public ValidateProxmoxNameAttribute(NameKind kind) => Kind = kind;

        /// <summary>The kind of name the parameter takes.</summary>
        public NameKind Kind { get; }

        protected override void ValidateElement(object element)
        {
            if (element == null) return;
            var text = element is PSObject ps ? ps.BaseObject as string : element as string;
            var reason = ProxmoxNames.Validate(Kind, text ?? element.ToString());
            if (reason != null) throw new ValidationMetadataException(char.ToUpperInvariant(reason[0]) + reason.Substring(1) + ".");
        }
    }
}
