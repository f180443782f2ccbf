using System;
using System.Threading;
using System.Threading.Tasks;

namespace Phoenix.Engine.Proxmox
{
    /// <summary>
    /// How long <see cref="ProxmoxHost"/> waits out VM locks and lock timeouts: exponential backoff
    /// from <see cref="InitialDelay"/> to <see cref="MaxDelay"/> with jitter (so parallel clones do
    /// not retry in step), until <see cref="TotalLimit"/> has passed. Safe to share between threads.
    /// </summary>
    public sealed class RetryPolicy
    {
        private readonly object _randomLock = new object();
        private Random _random = new Random();

        /// <summary>The first wait (0.5 s).</summary>
        public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(0.5);

        /// <summary>The longest single wait (8 s).</summary>
        public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(8);

        /// <summary>How long locks are waited out in all before the error is reported (120 s).</summary>
        public TimeSpan TotalLimit { get; set; } = TimeSpan.FromSeconds(120);

        /// <summary>How much each wait may vary, as a fraction of it (0.2 = ±20 %); 0 turns jitter off.</summary>
        public double Jitter { get; set; } = 0.2;

        /// <summary>How a wait is done; tests replace it to run without sleeping.</summary>
        public Func<TimeSpan, CancellationToken, Task> Delay { get; set; } = (delay, ct) => Task.Delay(delay, ct);

        /// <summary>A policy that never waits: the first lock error is reported.</summary>
        public static RetryPolicy NoRetry => new RetryPolicy { TotalLimit = TimeSpan.Zero };

        /// <summary>Seeds the jitter, for reproducible tests.</summary>
        public RetryPolicy WithSeed(int seed)
        {
            lock (_randomLock) _random = new Random(seed);
            return this;
        }

        /// <summary>
        /// The wait before attempt <paramref name="retry"/> + 1 (retry 1 is the first wait):
        /// <see cref="InitialDelay"/> doubled per retry, capped at <see cref="MaxDelay"/>, varied by
        /// <see cref="Jitter"/> and kept within [InitialDelay, MaxDelay].
        /// </summary>
        public TimeSpan GetDelay(int retry)
        {
            if (retry < 1) throw new ArgumentOutOfRangeException(nameof(retry));
            var initial = InitialDelay.TotalMilliseconds;
            var max = Math.Max(initial, MaxDelay.TotalMilliseconds);
            var exponent = Math.Min(retry - 1, 30);
            var baseMs = Math.Min(max, initial * Math.Pow(2, exponent));
            double factor;
            lock (_randomLock) factor = 1 + Jitter * (2 * _random.NextDouble() - 1);
            var ms = Math.Max(initial, Math.Min(max, baseMs * factor));
            return TimeSpan.FromMilliseconds(ms);
        }
    }

    /// <summary>One lock wait, reported through <see cref="ProxmoxHost.Waiting"/>.</summary>
    public sealed class ProxmoxWaitEventArgs : EventArgs
    {
        public ProxmoxWaitEventArgs(int? vmId, string command, ProxmoxException error, int retry, TimeSpan delay, TimeSpan waited, TimeSpan limit)
        {
            VmId = vmId;
            Command = command;
            Error = error;
            Retry = retry;
            Delay = delay;
            Waited = waited;
            Limit = limit;
        }

        /// <summary>The VM waited for.</summary>
        public int? VmId { get; }

        /// <summary>The command that met the lock (display form).</summary>
        public string Command { get; }

        /// <summary>The lock error that is being waited out.</summary>
        public ProxmoxException Error { get; }

        /// <summary>1 for the first wait.</summary>
        public int Retry { get; }

        /// <summary>How long this wait lasts.</summary>
        public TimeSpan Delay { get; }

        /// <summary>How long has been waited before this wait.</summary>
        public TimeSpan Waited { get; }

        /// <summary>The policy's total limit.</summary>
        public TimeSpan Limit { get; }

        /// <summary>A line for progress displays, for example "VM 1001 is locked (clone); waiting 0.5 s (0 s of 2 min waited)".</summary>
        public string Message
        {
            get
            {
                var vm = VmId.HasValue ? "VM " + VmId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "The VM";
                var what = Error.ProxmoxReason == ProxmoxErrorReason.VmLocked
                    ? $"{vm} is locked ({Error.LockName})"
                    : $"{vm}: its configuration file is locked by another command";
                return $"{what}; waiting {ProxmoxError.FormatDuration(Delay)} before trying again ({ProxmoxError.FormatDuration(Waited)} of {ProxmoxError.FormatDuration(Limit)} waited)";
            }
        }

        public override string ToString() => Message;
    }
}
