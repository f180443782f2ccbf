using System;

namespace Phoenix.Engine.Features
{
    /// <summary>How <see cref="FeatureRunner"/> runs features.</summary>
    public sealed class FeatureRunOptions
    {
        /// <summary>The default of <see cref="Timeout"/>: 30 minutes per feature.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

        /// <summary>The default of <see cref="AgentTimeout"/>: 60 seconds.</summary>
        public static readonly TimeSpan DefaultAgentTimeout = TimeSpan.FromSeconds(60);

        /// <summary>The default of <see cref="MaxOutputBytes"/>: 4 MiB.</summary>
        public const int DefaultMaxOutputBytes = 4 * 1024 * 1024;

        /// <summary>
        /// How long one feature is followed before Phoenix gives up waiting. The script is not
        /// stopped then; the error says how to read its log.
        /// </summary>
        public TimeSpan Timeout { get; set; } = DefaultTimeout;

        /// <summary>
        /// How long to wait for the guest agent before the first delivery (and for it to come back
        /// when it stops answering while a feature runs, as when an upgrade restarts it).
        /// </summary>
        public TimeSpan AgentTimeout { get; set; } = DefaultAgentTimeout;

        /// <summary>How often the agent is pinged while waiting for it.</summary>
        public TimeSpan AgentPollInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// The longest one look at running features waits in the guest for their run to end before it
        /// answers with their state and new log lines (default 20 s; at most 25 s, under qm guest exec's
        /// own 30 s). A run that ends sooner is answered at once, so a short feature costs one look and a
        /// long one a guest exec every 20 s; its log lines arrive with each look.
        /// </summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(20);

        /// <summary>A pause before the first look at started features (default none: the look itself waits in the guest).</summary>
        public TimeSpan FirstPollDelay { get; set; } = TimeSpan.Zero;

        /// <summary>Run features even when the guest's state file says they already ran with the same script and context.</summary>
        public bool Force { get; set; }

        /// <summary>How much of a feature's output <see cref="FeatureResult.Output"/> keeps (its end).</summary>
        public int MaxOutputBytes { get; set; } = DefaultMaxOutputBytes;
    }

    /// <summary>Where a feature is, for progress display.</summary>
    public enum FeatureStage
    {
        /// <summary>The context file and the script are being sent.</summary>
        Delivering,

        /// <summary>The script runs; <see cref="FeatureProgress.Line"/> carries each new log line.</summary>
        Running,

        /// <summary>The feature ended (ran, skipped, recorded or planned).</summary>
        Finished,
    }

    /// <summary>A progress report of <see cref="FeatureRunner"/>: a stage change or a new log line.</summary>
    public sealed class FeatureProgress
    {
        /// <summary>Creates a report.</summary>
        public FeatureProgress(int vmId, string feature, int index, int count, FeatureStage stage, string? line, TimeSpan elapsed)
        {
            VmId = vmId;
            Feature = feature;
            Index = index;
            Count = count;
            Stage = stage;
            Line = line;
            Elapsed = elapsed;
        }

        /// <summary>The VM.</summary>
        public int VmId { get; }

        /// <summary>The feature.</summary>
        public string Feature { get; }

        /// <summary>Its position among the VM's features (0-based).</summary>
        public int Index { get; }

        /// <summary>How many features the VM runs.</summary>
        public int Count { get; }

        /// <summary>The stage.</summary>
        public FeatureStage Stage { get; }

        /// <summary>A new line of the feature's log (without its line end), or null for a stage change.</summary>
        public string? Line { get; }

        /// <summary>Time since this feature's delivery began.</summary>
        public TimeSpan Elapsed { get; }
    }
}
