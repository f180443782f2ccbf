using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>Lists the feature scripts available: the module's bundled ones and those of the user's folders.</summary>
    [Cmdlet(VerbsCommon.Get, "PhoenixFeature")]
    [OutputType(typeof(FeatureInfo))]
    public sealed class GetPhoenixFeatureCommand : PhoenixCmdlet
    {
        private readonly HashSet<string> _written = new HashSet<string>();
        private FeatureCatalog? _catalog;

        [Parameter(Position = 0, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(FeatureNameCompleter))]
        public string[]? Name { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? FeaturePath { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                _catalog = FeatureFolders.Catalog(this, FeaturePath);
            }
            catch (PhoenixException e)
            {
                Terminate(e);
            }
        }

        protected override void ProcessRecord()
        {
            var catalog = _catalog!;
            ForItem(null, () =>
            {
                if (Name == null)
                {
                    foreach (var f in catalog.GetAll()) Write(f);
                    return;
                }
                List<FeatureInfo>? all = null;
                foreach (var name in Name)
                {
                    if (WildcardPattern.ContainsWildcardCharacters(name))
                    {
                        // A pattern lists, so it matches regardless of case; an exact name is the file's name.
                        var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                        all ??= catalog.GetAll().ToList();
                        foreach (var f in all.Where(f => pattern.IsMatch(f.Name))) Write(f);
                    }
                    else if (catalog.TryResolve(name, out var feature))
                    {
                        Write(feature);
                    }
                    else
                    {
                        try
                        {
                            catalog.Resolve(name);
                        }
                        catch (PhoenixException e)
                        {
                            WriteError(ErrorMapper.ToErrorRecord(e, name));
                        }
                    }
                }
            });
        }

        private void Write(FeatureInfo feature)
        {
            if (_written.Add(feature.Name)) WriteObject(feature);
        }
    }
}
