using System;
using System.Threading;

namespace Phoenix.Simulator
{
    /// <summary>
    /// The simulator's sense of time: snapshot times, the guest agent's start-up delay, injected
    /// latency and guest command durations all go through it, so tests can run on a fake clock.
    /// Lock waits between concurrent callers use real time, because they wait for real threads.
    /// </summary>
    public interface ISimulatorClock
    {
        /// <summary>The current time.</summary>
        DateTimeOffset UtcNow { get; }

        /// <summary>Lets simulated time pass (a real sleep, or an instant jump on a fake clock).</summary>
        void Sleep(TimeSpan duration, CancellationToken cancellationToken);
    }

    /// <summary>The machine's clock.</summary>
    public sealed class SystemSimulatorClock : ISimulatorClock
    {
        /// <summary>The shared instance.</summary>
        public static readonly SystemSimulatorClock Instance = new SystemSimulatorClock();

        private SystemSimulatorClock() { }

        /// <inheritdoc />
        public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

        /// <inheritdoc />
        public void Sleep(TimeSpan duration, CancellationToken cancellationToken)
        {
            if (duration <= TimeSpan.Zero) return;
            if (cancellationToken.WaitHandle.WaitOne(duration)) cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>A clock that only moves when told to; <see cref="Sleep"/> advances it at once.</summary>
    public sealed class ManualSimulatorClock : ISimulatorClock
    {
        private readonly object _gate = new object();
        private DateTimeOffset _now;

        /// <summary>Starts at <paramref name="start"/> (default 2025-01-01 00:00:00 UTC).</summary>
        public ManualSimulatorClock(DateTimeOffset? start = null)
        {
            _now = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        }

        /// <inheritdoc />
        public DateTimeOffset UtcNow
        {
            get { lock (_gate) return _now; }
        }

        /// <summary>Moves the clock forward.</summary>
        public void Advance(TimeSpan by)
        {
            lock (_gate) _now = _now.Add(by);
        }

        /// <summary>Sets the clock.</summary>
        public void Set(DateTimeOffset now)
        {
            lock (_gate) _now = now;
        }

        /// <inheritdoc />
        public void Sleep(TimeSpan duration, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (duration > TimeSpan.Zero) Advance(duration);
        }
    }
}
