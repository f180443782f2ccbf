using System;
using System.Globalization;

namespace Phoenix.Engine.Features
{
    /// <summary>What became of one feature on one VM.</summary>
    public enum FeatureRunStatus
    {
        /// <summary>The script ran in the guest; <see cref="FeatureResult.ExitCode"/> is its own.</summary>
        Ran,

        /// <summary>
        /// Not run: the guest's state file says this script already succeeded there with this
        /// context (same hashes). -Force runs it anyway.
        /// </summary>
        Skipped,

        /// <summary>
        /// The guest took the commands down without running them: its host says guest commands do not
        /// run there (<see cref="Transport.HostCapabilities.GuestCommandsRun"/>, as on the in-process
        /// simulator). Exit code 0 says nothing about the script; <see cref="FeatureResult.NotRunReason"/> says why.
        /// </summary>
        RecordedNotRun,

        /// <summary>-WhatIf: the commands were listed, nothing ran.</summary>
        Planned,
    }

    /// <summary>
    /// One feature run on one VM: exit code, output (stdout and stderr in the order the guest's
    /// log has them), duration, and whether the script reported a change.
    /// </summary>
    public sealed class FeatureResult
    {
        /// <summary>The VM.</summary>
        public int VmId { get; init; }

        /// <summary>The VM's name, when known.</summary>
        public string? VmName { get; init; }

        /// <summary>The feature's name (<c>docker</c>).</summary>
        public string Feature { get; init; } = "";

        /// <summary>Ran, skipped, recorded by a guest that runs no commands, or planned.</summary>
        public FeatureRunStatus Status { get; init; }

        /// <summary>The script's exit code (0 when it did not run: skipped, recorded, planned).</summary>
        public int ExitCode { get; init; }

        /// <summary>
        /// The script's output as its log in the guest has it, stdout and stderr interleaved. When
        /// the log is larger than the limit (<see cref="FeatureRunOptions.MaxOutputBytes"/>) only its
        /// end is kept, from a line start, and <see cref="OutputTruncated"/> is set; the whole log
        /// stays in the guest at <see cref="LogPath"/>.
        /// </summary>
        public string Output { get; init; } = "";

        /// <summary>True when the start of the output was dropped to keep it within the limit.</summary>
        public bool OutputTruncated { get; init; }

        /// <summary>From the first delivery command to the exit code (zero when skipped).</summary>
        public TimeSpan Duration { get; init; }

        /// <summary>
        /// The script's last <c>PHOENIX_CHANGED=1</c>/<c>PHOENIX_CHANGED=0</c> line: true, false,
        /// or null when it printed none (or did not run). False when skipped.
        /// </summary>
        public bool? Changed { get; init; }

        /// <summary>True for exit code 0.</summary>
        public bool Succeeded => ExitCode == 0;

        /// <summary>What the exit code means by the bundled features' convention, or null (a user's script may differ).</summary>
        public string? ExitCodeMeaning => ExitCode == 0 ? null : FeatureContract.DescribeExitCode(ExitCode);

        /// <summary>SHA-256 of the script bytes that were (or would be) sent.</summary>
        public string ScriptHash { get; init; } = "";

        /// <summary>The hash recorded in the guest's state file: script and context together.</summary>
        public string RunHash { get; init; } = "";

        /// <summary>The script's log file in the guest.</summary>
        public string LogPath { get; init; } = "";

        /// <summary>For <see cref="FeatureRunStatus.RecordedNotRun"/>: why the guest runs no commands, as its host says; else null.</summary>
        public string? NotRunReason { get; init; }

        /// <inheritdoc />
        public override string ToString() =>
            string.Format(CultureInfo.InvariantCulture, "VM {0} feature {1}: {2}, exit code {3}", VmId, Feature, Status, ExitCode);
    }
}
