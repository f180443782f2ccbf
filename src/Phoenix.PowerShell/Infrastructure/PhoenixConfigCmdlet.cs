using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Errors;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that reads config files: -Path (wildcards) or -LiteralPath, both from the pipeline, and -FeaturePath.
    /// Files are collected over the whole pipeline and checked together in EndProcessing, so VMIDs are unique
    /// across files and nothing is emitted before every file has been validated. -Session is used only when it is
    /// bound (the clone-source check then asks the host); the default session is never consulted, so reading a
    /// config stays offline unless asked.
    /// </summary>
    public abstract class PhoenixConfigCmdlet : PhoenixHostCmdlet
    {
        /// <summary>The parameter set of -Path.</summary>
        protected const string PathSet = "Path";

        /// <summary>The parameter set of -LiteralPath.</summary>
        protected const string LiteralPathSet = "LiteralPath";

        private readonly ConfigInput _input = new ConfigInput();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? FeaturePath { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == LiteralPathSet) _input.Add(this, LiteralPath, literal: true);
            else _input.Add(this, Path, literal: false);
        }

        /// <summary>Loads and validates every collected file; terminates on a -FeaturePath folder that does not exist.</summary>
        private protected ConfigCheck CheckAll()
        {
            var featureFolders = FeaturePath?.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToArray();
            var hostHasVm = HostLookup();
            try
            {
                return _input.Check(featureFolders, hostHasVm, WriteVerbose);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
                throw; // not reached: Terminate throws
            }
        }

        // With a bound session, the host's VM list answers "does clone_from_vmid exist there"; a host that cannot be
        // asked gives "unknown" (a warning), never a false "missing".
        private Func<int, bool?>? HostLookup()
        {
            if (!MyInvocation.BoundParameters.ContainsKey(nameof(Session)) || Session == null) return null;
            var session = ResolveSession();
            try
            {
                var host = OpenHost(session);
                var vms = RunAsync(ct => host.GetVmsAsync(cancellationToken: ct));
                var ids = new HashSet<int>(vms.Select(v => v.VmId));
                WriteVerbose($"Node {session.Node} has {ids.Count} VM(s); clone sources are checked against them.");
                return id => ids.Contains(id);
            }
            catch (PhoenixException e)
            {
                WriteWarning($"Could not list the VMs of {session}: {e.Message} Clone sources outside the file are not checked.");
                return _ => null;
            }
        }
    }
}
