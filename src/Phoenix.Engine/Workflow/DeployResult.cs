using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Engine.Workflow
{
    /// <summary>How a VM's deployment ended.</summary>
    public enum DeployStatus
    {
        Succeeded,
        Failed,
        /// <summary>Not attempted, because a VM it depends on failed.</summary>
        Skipped,
        /// <summary>-WhatIf: nothing ran; <see cref="DeployResult.Plan"/> lists the commands.</summary>
        Planned,
    }

    /// <summary>
    /// Durations in results are seconds (a number, to the millisecond), and states are names (strings): so the
    /// results read the same in a table, in a script and in ConvertTo-Json, which writes a TimeSpan as a dozen
    /// fields and an enum as a number.
    /// </summary>
    internal static class ResultValues
    {
        public static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 3);
    }

    /// <summary>One step of a VM's deployment.</summary>
    public sealed class DeployStepResult
    {
        public DeployStepResult(string step, TimeSpan duration, StepOutcome? outcome, bool skipped, string? detail = null)
        {
            Step = step;
            Duration = ResultValues.Seconds(duration);
            Changes = outcome?.Changes ?? Array.Empty<string>();
            Skipped = skipped;
            Detail = detail;
        }

        public string Step { get; }
        /// <summary>How long the step took, in seconds.</summary>
        public double Duration { get; }
        public IReadOnlyList<string> Changes { get; }
        public bool Changed => Changes.Count > 0;
        public bool Skipped { get; }
        public string? Detail { get; }

        public override string ToString() =>
            $"{Step}: {(Skipped ? "skipped" : Changed ? string.Join("; ", Changes) : "unchanged")} ({Duration:0.0} s)";
    }

    /// <summary>One VM's deployment, as Deploy-PhoenixVm returns it.</summary>
    public sealed class DeployResult
    {
        public DeployResult(int vmId, string? name)
        {
            VmId = vmId;
            Name = name ?? "";
        }

        public int VmId { get; }
        public string Name { get; }
        /// <summary>Succeeded, Failed, Skipped or Planned (<see cref="DeployStatus"/>), as a name.</summary>
        public string Status => State.ToString();

        /// <summary>How the deployment ended, for Phoenix's own code (<see cref="Status"/> is its name).</summary>
        internal DeployStatus State { get; set; }
        public List<DeployStepResult> Steps { get; } = new List<DeployStepResult>();
        public List<string> Errors { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();
        /// <summary>Final snapshots that features ran after: older than the VM (-RefreshSnapshot takes them again).</summary>
        public List<string> StaleSnapshots { get; } = new List<string>();
        /// <summary>-WhatIf: the commands the deployment would run, in order.</summary>
        public List<string> Plan { get; } = new List<string>();
        /// <summary>How long the VM's deployment took, in seconds.</summary>
        public double Duration { get; internal set; }

        /// <summary>Everything this run changed, step by step.</summary>
        public IReadOnlyList<string> Changes => Steps.SelectMany(s => s.Changes).ToList();
        public bool Changed => Steps.Any(s => s.Changed);

        /// <summary>How long each step took, in seconds, by step name.</summary>
        public IReadOnlyDictionary<string, double> StepDurations => Steps.GroupBy(s => s.Step).ToDictionary(g => g.Key, g => Math.Round(g.Sum(s => s.Duration), 3));

        /// <summary>
        /// The exception of a failed deployment, for the cmdlet's error record. Internal so that the result stays small
        /// and plain in ConvertTo-Json (its messages are in <see cref="Errors"/>).
        /// </summary>
        internal Exception? Exception { get; set; }

        public override string ToString() => $"{VmId} ({Name}): {State}{(Changed ? ", changed" : ", unchanged")}";
    }

    /// <summary>Where a deployment is, for progress bars.</summary>
    public sealed class DeployProgress
    {
        public DeployProgress(int vmId, string name, string step, int stepIndex, int stepCount, bool completed)
        {
            VmId = vmId;
            Name = name;
            Step = step;
            StepIndex = stepIndex;
            StepCount = stepCount;
            Completed = completed;
        }

        public int VmId { get; }
        public string Name { get; }
        public string Step { get; }
        public int StepIndex { get; }
        public int StepCount { get; }
        public bool Completed { get; }
    }
}
