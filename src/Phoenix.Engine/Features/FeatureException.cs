using System;
using Phoenix.Engine.Errors;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// A feature that could not be delivered, failed, or was still running when Phoenix stopped
    /// following it. <see cref="PhoenixException.Reason"/> says which: <c>FeatureFailed</c> (non-zero
    /// exit code; <see cref="Result"/> holds the output), <c>FeatureTimeout</c>,
    /// <c>FeatureTooLarge</c>, <c>FeatureStillRunning</c>, <c>FeatureAborted</c>,
    /// <c>FeatureDeliveryFailed</c>, <c>FeatureLaunchFailed</c>, <c>FeatureAgentLost</c>.
    /// The target is the VMID.
    /// </summary>
    public sealed class FeatureException : PhoenixException
    {
        /// <summary>Creates the error.</summary>
        public FeatureException(PhoenixErrorKind kind, string reason, string message, int vmId, string feature,
            FeatureResult? result = null, Exception? inner = null)
            : base(kind, reason, message, vmId, inner)
        {
            VmId = vmId;
            Feature = feature;
            Result = result;
        }

        /// <summary>The VM.</summary>
        public int VmId { get; }

        /// <summary>The feature.</summary>
        public string Feature { get; }

        /// <summary>The failed run (exit code, output), for <c>FeatureFailed</c>; otherwise null.</summary>
        public FeatureResult? Result { get; }
    }
}
