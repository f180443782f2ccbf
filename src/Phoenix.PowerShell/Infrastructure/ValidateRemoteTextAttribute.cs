using System.Management.Automation;
using Phoenix.Engine.Transport;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A free-text parameter that reaches a host command as one argument (a description, a path on the host): any text
    /// goes, quoted by <see cref="ShellQuote"/>, except what no argument can carry (a NUL character, a lone UTF-16
    /// surrogate). Refused while the parameter binds, so the error names the parameter and no host is touched.
    /// </summary>
    public sealed class ValidateRemoteTextAttribute : ValidateEnumeratedArgumentsAttribute
    {
        protected override void ValidateElement(object element)
        {
            if (element == null) return;
            var reason = ShellQuote.Refusal(element is PSObject ps ? ps.BaseObject?.ToString() ?? "" : element.ToString() ?? "");
            if (reason != null) throw new ValidationMetadataException(reason);
        }
    }
}
