using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Phoenix.Engine.Config;
using Phoenix.PowerShell.Infrastructure;

namespace Phoenix.PowerShell.Commands
{
    /// <summary>
    /// Validates Phoenix config files and returns every finding as a <see cref="ConfigFinding"/>, or with -Quiet one
    /// Boolean (true when there is no error), for CI gates: <c>if (-not (Test-PhoenixConfig ./x.json -Quiet)) { exit 1 }</c>.
    /// </summary>
    /// <remarks>-Quiet writes a <see cref="bool"/>; it is not declared in OutputType because every declared type needs a view.</remarks>
    [Cmdlet(VerbsDiagnostic.Test, "PhoenixConfig", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(ConfigFinding))]
    public sealed class TestPhoenixConfigCommand : PhoenixConfigCmdlet
    {
        private protected override bool PredictsPlacement => true;

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void EndProcessing()
        {
            var check = CheckAll();
            var errors = check.Findings.Count(f => f.Level == ConfigSeverity.Error);
            var warnings = check.Findings.Count - errors;
            WriteVerbose($"{check.Configs.Count.ToString(CultureInfo.InvariantCulture)} file(s): {errors.ToString(CultureInfo.InvariantCulture)} error(s), {warnings.ToString(CultureInfo.InvariantCulture)} warning(s).");
            if (Quiet.IsPresent)
            {
                WriteObject(errors == 0);
                return;
            }
            foreach (var f in check.Findings) WriteObject(f);
        }
    }
}
