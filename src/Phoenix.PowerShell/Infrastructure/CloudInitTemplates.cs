using System.Management.Automation;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Errors;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>-TemplatePath, resolved through the provider and loaded once per invocation.</summary>
    internal static class CloudInitTemplates
    {
        /// <summary>The templates of <paramref name="templatePath"/>, or Phoenix's defaults when it is null; a bad folder terminates the cmdlet.</summary>
        public static CloudInitTemplateSet Load(PSCmdlet cmdlet, string? templatePath)
        {
            if (templatePath == null) return CloudInitTemplateSet.Default;
            var full = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(templatePath);
            try
            {
                return CloudInitTemplateSet.FromDirectory(full);
            }
            catch (PhoenixException e)
            {
                cmdlet.ThrowTerminatingError(ErrorMapper.ToErrorRecord(e, full));
                throw; // not reached
            }
        }

        /// <summary>A renderer over <see cref="Load"/>'s templates.</summary>
        public static CloudInitRenderer Renderer(PSCmdlet cmdlet, string? templatePath) => new CloudInitRenderer(Load(cmdlet, templatePath));
    }
}
