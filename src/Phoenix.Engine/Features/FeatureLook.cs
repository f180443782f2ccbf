namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The state of a VM's features as one read-only look in its guest found it (<see cref="FeatureRunner.LookAheadAsync"/>),
    /// handed to the feature step of the same VM.
    /// </summary>
    public sealed class FeatureLook
    {
        internal FeatureLook(int vmId, GuestPollAnswer answer)
        {
            VmId = vmId;
            Answer = answer;
        }

        /// <summary>The VM looked at.</summary>
        public int VmId { get; }

        internal GuestPollAnswer Answer { get; }
    }
}
