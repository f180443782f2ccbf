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
    /// across files and nothing is emitted before every file has been validated. A clone source outside the files is
    /// looked up on the host of -Session, or of the default session when one is connected (one <c>qm list</c>, and only
    /// when such a source exists); without a session it is unknown, not wrong: a warning, and Deploy-PhoenixVm checks it.
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
            var hostTemplates = HostTemplatesLookup();
            try
            {
                return _input.Check(featureFolders, hostHasVm, hostTemplates, WriteVerbose);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
                throw; // not reached: Terminate throws
            }
        }

        // The host's VM list answers "does clone_from_vmid exist there", asked once and only when a source lies outside the
        // files; a host that cannot be asked gives "unknown" (a warning), never a false "missing". No session: null (offline).
        private Func<int, bool?>? HostLookup()
        {
            var bound = MyInvocation.BoundParameters.ContainsKey(nameof(Session)) && Session != null;
            var session = bound ? ResolveSession() : SessionStore.Default;
            if (session == null || session.IsClosed) return null;
            HashSet<int>? ids = null;
            var failed = false;
            return id =>
            {
                if (ids == null && !failed)
                {
                    try
                    {
                        var host = OpenHost(session);
                        var vms = RunAsync(ct => host.GetVmsAsync(cancellationToken: ct));
                        ids = new HashSet<int>(vms.Select(v => v.VmId));
                        WriteVerbose($"Clone sources outside the file are checked on node {session.Node} ({(bound ? "-Session" : "the default session")}): " +
                            $"it has {ids.Count} VM(s).");
                    }
                    catch (PhoenixException e)
                    {
                        WriteWarning($"Could not list the VMs of {session}: {e.Message} Clone sources outside the file are not checked.");
                        failed = true;
                    }
                }
                return failed ? (bool?)null : ids!.Contains(id);
            };
        }

        // The cluster's templates answer "which template does a template name mean" (as Deploy-PhoenixVm resolves it: one read of
        // pvesh get /cluster/resources), asked once and only for a name no template of the files has; null when it cannot be told.
        private Func<IReadOnlyList<KeyValuePair<string, int>>?>? HostTemplatesLookup()
        {
            var bound = MyInvocation.BoundParameters.ContainsKey(nameof(Session)) && Session != null;
            var session = bound ? ResolveSession() : SessionStore.Default;
            if (session == null || session.IsClosed) return null;
            List<KeyValuePair<string, int>>? templates = null;
            var failed = false;
            return () =>
            {
                if (templates == null && !failed)
                {
                    try
                    {
                        var host = OpenHost(session);
                        var resources = RunAsync(ct => host.GetClusterResourcesAsync(ct));
                        templates = resources.Where(r => r.IsVm && r.IsTemplate && r.VmId != null)
                            .Select(r => new KeyValuePair<string, int>(r.Name ?? "", r.VmId!.Value)).ToList();
                        WriteVerbose($"Template names outside the file are looked up on the cluster of node {session.Node} " +
                            $"({(bound ? "-Session" : "the default session")}): it has {templates.Count} template(s).");
                    }
                    catch (PhoenixException e)
                    {
                        WriteWarning($"Could not list the templates of {session}: {e.Message} Template names outside the file are not checked.");
                        failed = true;
                    }
                }
                return failed ? null : templates;
            };
        }
    }
}
