using System;
using Phoenix.Engine.CloudInit;
using Phoenix.Engine.Features;
using Phoenix.Engine.Workflow;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>Wires the cloud-init and feature steps into a deployment.</summary>
    internal static class DeployHooks
    {
        public static void Configure(DeployOptions options, PhoenixCmdlet cmdlet, string snippetStorage, string? templatePath, FeatureCatalog catalog, TimeSpan featureTimeout)
        {
            var cloudInit = new CloudInitApplyOptions
            {
                Storage = snippetStorage,
                TemplateSet = CloudInitTemplates.Load(cmdlet, templatePath),
            };
            options.CloudInitInRun = CloudInitApplier.AsDeployRunStep(cloudInit);
            options.CloudInitRunStart = CloudInitApplier.AsDeployRunStart(cloudInit);
            var featureOptions = new FeatureRunOptions
            {
                Timeout = featureTimeout, AgentTimeout = options.AgentTimeout, AgentPollInterval = options.AgentPollInterval,
            };
            options.FeaturesInRun = (host, spec, run, log, ct) =>
                FeatureRunner.RunForVmAsync(host, spec, catalog, featureOptions, log, ct, run.ClonedThisRun, run.LookAhead);
            options.FeatureLookAhead = (host, spec, ct) => FeatureRunner.LookAheadAsync(host, spec, catalog, featureOptions, ct);
        }
    }
}
