using Phoenix.Engine.Features;
using Phoenix.Engine.Workflow;

namespace Phoenix.PowerShell
{
    /// <summary>
    /// One feature run on one VM, as Invoke-PhoenixFeature returns it. Carries the VM's spec and
    /// session, so it pipes on by property name (to New-PhoenixSnapshot, for example).
    /// </summary>
    public sealed class PhoenixFeatureResult
    {
        public int VmId { get; set; }
        public string? VmName { get; set; }
        public string Feature { get; set; } = "";
        /// <summary>Ran, Skipped (already done with this script and spec), RecordedNotRun (the guest runs no commands, as on the simulator), Planned (<see cref="FeatureRunStatus"/>, as a name).</summary>
        public string Status { get; set; } = "";
        public int ExitCode { get; set; }
        /// <summary>What the script reported with PHOENIX_CHANGED=1/0; $null when it reported nothing.</summary>
        public bool? Changed { get; set; }
        /// <summary>How long the run took, in seconds.</summary>
        public double Duration { get; set; }
        /// <summary>stdout and stderr in the order the guest's log has them (its end, when it was larger than the limit).</summary>
        public string Output { get; set; } = "";
        /// <summary>True when the start of the output was dropped; the whole log stays in the guest at LogPath.</summary>
        public bool OutputTruncated { get; set; }
        /// <summary>The feature's log file in the guest.</summary>
        public string LogPath { get; set; } = "";
        /// <summary>SHA-256 of the script that was sent.</summary>
        public string ScriptHash { get; set; } = "";
        public bool Succeeded => ExitCode == 0;
        /// <summary>The config entry of the VM, when the input carried one.</summary>
        public Phoenix.Engine.Config.VmSpec? Spec { get; set; }
        public PhoenixSession? Session { get; set; }

        internal static PhoenixFeatureResult From(FeatureResult r, PhoenixSession session, Phoenix.Engine.Config.VmSpec? spec) => new PhoenixFeatureResult
        {
            VmId = r.VmId,
            VmName = r.VmName,
            Feature = r.Feature,
            Status = r.Status.ToString(),
            ExitCode = r.ExitCode,
            Changed = r.Changed,
            Duration = ResultValues.Seconds(r.Duration),
            Output = r.Output,
            OutputTruncated = r.OutputTruncated,
            LogPath = r.LogPath,
            ScriptHash = r.ScriptHash,
            Spec = spec,
            Session = session,
        };

        public override string ToString() => $"{VmId}:{Feature}";
    }
}
