using System;
using Phoenix.Engine.Workflow;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>Wires the cloud-init and feature steps into a deployment.</summary>
    internal static class DeployHooks
    {
        public static void Configure(DeployOptions options, PhoenixCmdlet cmdlet, string snippetStorage, string? templatePath, string[]? featurePath, TimeSpan featureTimeout)
        {
            // Filled as the cloud-init and feature steps land.
        }
    }
}
