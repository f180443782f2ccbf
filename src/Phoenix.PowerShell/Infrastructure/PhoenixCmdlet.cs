using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Phoenix.Engine.Errors;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// The root of every Phoenix cmdlet: owns cancellation (Ctrl+C cancels the token, which stops
    /// remote waits), runs engine work off the pipeline thread while replaying every Write*,
    /// progress and ShouldProcess call on it, and maps engine exceptions to error records.
    /// </summary>
    public abstract class PhoenixCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private BlockingCollection<Action>? _pipelineQueue;
        private int _pipelineThreadId;

        /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken CancellationToken => _cancel.Token;

        protected override void StopProcessing() => _cancel.Cancel();

        public void Dispose()
        {
            _cancel.Dispose();
            GC.SuppressFinalize(this);
        }

        /// <summary>
        /// Runs <paramref name="work"/> on the thread pool and, until it finishes, executes the
        /// actions it posts (writes, progress, confirmations) here on the pipeline thread, where
        /// PowerShell requires them. Exceptions of the work are rethrown unchanged.
        /// </summary>
        protected T RunAsync<T>(Func<CancellationToken, Task<T>> work)
        {
            var queue = new BlockingCollection<Action>();
            var previousQueue = _pipelineQueue;
            _pipelineQueue = queue;
            _pipelineThreadId = Thread.CurrentThread.ManagedThreadId;
            try
            {
                var task = Task.Run(() => work(_cancel.Token));
                task.ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);
                try
                {
                    foreach (var action in queue.GetConsumingEnumerable())
                    {
                        action();
                    }
                }
                catch
                {
                    // A write failed here (-ErrorAction Stop, -WarningAction Stop, a downstream Select -First):
                    // stop the work and wait for it, so nothing keeps running on the host after the cmdlet ends.
                    _cancel.Cancel();
                    foreach (var _ in queue.GetConsumingEnumerable()) { }
                    try { task.Wait(); } catch (AggregateException) { }
                    throw;
                }
                if (task.IsCanceled || (task.IsFaulted && task.Exception?.GetBaseException() is OperationCanceledException && _cancel.IsCancellationRequested))
                {
                    throw new PipelineStoppedException();
                }
                return task.GetAwaiter().GetResult();
            }
            finally
            {
                _pipelineQueue = previousQueue;
            }
        }

        /// <summary>Runs work that returns nothing; see <see cref="RunAsync{T}"/>.</summary>
        protected void RunAsync(Func<CancellationToken, Task> work) =>
            RunAsync<bool>(async ct => { await work(ct).ConfigureAwait(false); return true; });

        /// <summary>Runs <paramref name="action"/> on the pipeline thread (now, when already there).</summary>
        protected void OnPipeline(Action action)
        {
            var queue = _pipelineQueue;
            if (Thread.CurrentThread.ManagedThreadId == _pipelineThreadId)
            {
                action();
                return;
            }
            if (queue == null)
            {
                // No run is pumping writes: a write from another thread cannot reach PowerShell safely.
                return;
            }
            try
            {
                queue.Add(action);
            }
            catch (InvalidOperationException)
            {
                // The run has completed; nothing will read the queue any more. Dropping a late
                // progress or verbose line is the only correct thing to do here.
            }
        }

        /// <summary>Asks ShouldProcess on the pipeline thread and waits for the answer.</summary>
        protected bool ShouldProcessOnPipeline(string target, string action)
        {
            if (_pipelineQueue == null || Thread.CurrentThread.ManagedThreadId == _pipelineThreadId)
                return ShouldProcess(target, action);
            var answer = new TaskCompletionSource<bool>();
            OnPipeline(() =>
            {
                try { answer.SetResult(ShouldProcess(target, action)); }
                catch (Exception e) { answer.SetException(e); }
            });
            return answer.Task.GetAwaiter().GetResult();
        }

        protected void Verbose(string message) => OnPipeline(() => WriteVerbose(message));

        /// <summary>
        /// Whether WriteVerbose shows anything here (-Verbose, or a $VerbosePreference that is not SilentlyContinue or
        /// Ignore): a cmdlet called once per record skips building verbose text nobody sees. When unsure, true.
        /// </summary>
        protected bool VerboseWanted()
        {
            if (MyInvocation.BoundParameters.TryGetValue("Verbose", out var bound))
                return bound is SwitchParameter sw ? sw.IsPresent : LanguagePrimitives.IsTrue(bound);
            return !LanguagePrimitives.TryConvertTo<ActionPreference>(GetVariableValue("VerbosePreference"), out var preference) ||
                (preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore);
        }

        protected void Warning(string message) => OnPipeline(() => WriteWarning(message));

        protected void Progress(ProgressRecord record) => OnPipeline(() => WriteProgress(record));

        protected void Output(object value) => OnPipeline(() => WriteObject(value));

        /// <summary>Writes a non-terminating error for <paramref name="error"/> (on the pipeline thread).</summary>
        protected void Error(Exception error, object? target = null) =>
            OnPipeline(() => WriteError(ErrorMapper.ToErrorRecord(error, target)));

        /// <summary>Stops the cmdlet with the mapped error record.</summary>
        protected void Terminate(Exception error, object? target = null) =>
            ThrowTerminatingError(ErrorMapper.ToErrorRecord(error, target));

        /// <summary>
        /// Runs one item's work and turns an engine failure into a non-terminating error, so one
        /// VM's failure does not stop the rest of the pipeline. Cancellation still stops everything.
        /// </summary>
        protected void ForItem(object? target, Action body)
        {
            try
            {
                body();
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (PhoenixException e)
            {
                WriteError(ErrorMapper.ToErrorRecord(e, target));
            }
            catch (TimeoutException e)
            {
                WriteError(ErrorMapper.ToErrorRecord(e, target));
            }
        }
    }
}
