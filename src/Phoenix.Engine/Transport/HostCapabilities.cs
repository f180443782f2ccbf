using System;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// What a host behind an <see cref="IHostConnection"/> can do, as the connection declares it. The engine
    /// decides from this, never from who the connection is or from text in a command's output. A real
    /// Proxmox VE node can do everything (<see cref="Full"/>).
    /// </summary>
    public sealed class HostCapabilities
    {
        /// <summary>A real node: guest commands run.</summary>
        public static readonly HostCapabilities Full = new HostCapabilities(true, null);

        private HostCapabilities(bool guestCommandsRun, string? guestCommandsNote)
        {
            GuestCommandsRun = guestCommandsRun;
            GuestCommandsNote = guestCommandsNote;
        }

        /// <summary>
        /// A host whose guests take <c>qm guest exec</c> commands down without running them (they may still
        /// answer reads, or give canned answers). <paramref name="why"/> says so in words for the user, for
        /// example "the in-process simulator runs no guest commands".
        /// </summary>
        public static HostCapabilities WithoutGuestCommands(string why)
        {
            if (string.IsNullOrWhiteSpace(why)) throw new ArgumentException("Say why guest commands do not run.", nameof(why));
            return new HostCapabilities(false, why);
        }

        /// <summary>
        /// True when a program started with <c>qm guest exec</c> really runs in the guest. When false, a
        /// feature is delivered and its start recorded, but its exit code says nothing about the script
        /// (<see cref="Phoenix.Engine.Features.FeatureRunStatus.RecordedNotRun"/>).
        /// </summary>
        public bool GuestCommandsRun { get; }

        /// <summary>Why guest commands do not run, in words (null when they do).</summary>
        public string? GuestCommandsNote { get; }

        /// <inheritdoc />
        public override string ToString() => GuestCommandsRun ? "guest commands run" : "guest commands do not run: " + GuestCommandsNote;
    }
}
