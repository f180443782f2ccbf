using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Reads Phoenix config files and emits one validated <see cref="VmSpec"/> per VM, with vm_defaults merged in.
    /// Every problem is reported at once, as an error record per error and a warning per warning; a file with an
    /// error emits no VM at all.
    /// </summary>
    [Cmdlet(VerbsData.Import, "PhoenixConfig", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(VmSpec))]
    public sealed class ImportPhoenixConfigCommand : PhoenixConfigCmdlet
    {
        protected override void EndProcessing()
        {
            var check = CheckAll();
            foreach (var f in check.Findings)
            {
                if (f.Level == ConfigSeverity.Error) WriteError(ConfigInput.ToErrorRecord(f));
                else WriteWarning(ConfigInput.Describe(f));
            }
            var vms = check.UsableVms().ToList();
            var withheld = check.Configs.Sum(c => c.Vms.Count) - vms.Count;
            if (withheld > 0)
                WriteVerbose($"{withheld} VM(s) of files with errors were not emitted; fix the errors above and import again.");
            foreach (var vm in vms) WriteObject(vm);
        }
    }
}
