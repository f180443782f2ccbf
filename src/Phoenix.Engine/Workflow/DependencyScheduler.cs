using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Phoenix.Engine.Workflow
{
    /// <summary>How one item of a scheduled run ended.</summary>
    public enum ScheduledOutcome
    {
        Succeeded,
        Failed,
        /// <summary>Not run because an item it depends on failed or was skipped.</summary>
        SkippedDependencyFailed,
    }

    /// <summary>Thrown when the items depend on each other in a cycle; nothing was started.</summary>
    public sealed class DependencyCycleException : InvalidOperationException
    {
        public DependencyCycleException(string message) : base(message) { }
    }

    /// <summary>
    /// Runs items in dependency order, independent ones in parallel up to a throttle. An item
    /// starts as soon as every item it depends on has succeeded (not level by level, so one slow
    /// VM does not hold back unrelated ones); when a dependency fails, its dependents are skipped.
    /// </summary>
    public static class DependencyScheduler
    {
        /// <summary>
        /// Finds a cycle among <paramref name="dependencies"/> (keys depend on their values; values
        /// that are not keys are outside the set and ignored). Returns the cycle as a path whose
        /// first and last element are the same, or null.
        /// </summary>
        public static IReadOnlyList<TKey>? FindCycle<TKey>(IReadOnlyDictionary<TKey, IReadOnlyCollection<TKey>> dependencies)
            where TKey : notnull
        {
            var state = new Dictionary<TKey, int>(); // 1 = on the stack, 2 = done
            var stack = new List<TKey>();
            foreach (var start in dependencies.Keys)
            {
                var cycle = Visit(start);
                if (cycle != null) return cycle;
            }
            return null;

            IReadOnlyList<TKey>? Visit(TKey node)
            {
                if (state.TryGetValue(node, out var s))
                {
                    if (s == 2) return null;
                    var from = stack.IndexOf(node);
                    return stack.Skip(from).Concat(new[] { node }).ToList();
                }
                state[node] = 1;
                stack.Add(node);
                foreach (var dep in dependencies[node])
                {
                    if (!dependencies.ContainsKey(dep)) continue;
                    var cycle = Visit(dep);
                    if (cycle != null) return cycle;
                }
                stack.RemoveAt(stack.Count - 1);
                state[node] = 2;
                return null;
            }
        }

        /// <summary>
        /// Runs <paramref name="work"/> for every key. <paramref name="work"/> returns true on
        /// success; an exception counts as a failure and is not rethrown (the caller reports it in
        /// the item's result). Throws <see cref="InvalidOperationException"/> on a cycle. With <paramref name="group"/>,
        /// at most <paramref name="groupLimit"/> items of one group (a cluster node) run at once, within the total limit.
        /// </summary>
        public static async Task<IReadOnlyDictionary<TKey, ScheduledOutcome>> RunAsync<TKey>(
            IReadOnlyDictionary<TKey, IReadOnlyCollection<TKey>> dependencies,
            int throttleLimit,
            Func<TKey, CancellationToken, Task<bool>> work,
            Action<TKey>? onSkipped = null,
            CancellationToken cancellationToken = default,
            Func<TKey, string>? group = null,
            int groupLimit = int.MaxValue)
            where TKey : notnull
        {
            if (groupLimit < 1) throw new ArgumentOutOfRangeException(nameof(groupLimit));
            if (throttleLimit < 1) throw new ArgumentOutOfRangeException(nameof(throttleLimit));
            var cycle = FindCycle(dependencies);
            if (cycle != null)
                throw new DependencyCycleException("The items depend on each other in a cycle: " + string.Join(" -> ", cycle) + ".");

            var outcome = new Dictionary<TKey, ScheduledOutcome>();
            var remaining = new HashSet<TKey>(dependencies.Keys);
            // Items started, in a list: an item whose work ends at once gives a completed task that .NET may share between calls
            // (a cached Task<bool>), so a task is not a key.
            var running = new List<(Task<bool> Task, TKey Key)>();
            // Items running per group (a cluster node): an item whose group is full waits, and another group's item goes first.
            var perGroup = new Dictionary<string, int>(StringComparer.Ordinal);
            int InGroup(TKey key) => group == null ? 0 : perGroup.TryGetValue(group(key), out var n) ? n : 0;
            using var gate = new SemaphoreSlim(throttleLimit);

            while (remaining.Count > 0 || running.Count > 0)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // Let every started item end (they see the same token) before giving up, so none is left running.
                    try { await Task.WhenAll(running.Select(r => r.Task)).ConfigureAwait(false); } catch { }
                    cancellationToken.ThrowIfCancellationRequested();
                }
                bool progressed;
                do
                {
                    progressed = false;
                    foreach (var key in remaining.ToList())
                    {
                        var deps = dependencies[key].Where(dependencies.ContainsKey).ToList();
                        if (deps.Any(d => outcome.TryGetValue(d, out var o) && o != ScheduledOutcome.Succeeded))
                        {
                            outcome[key] = ScheduledOutcome.SkippedDependencyFailed;
                            remaining.Remove(key);
                            onSkipped?.Invoke(key);
                            progressed = true;
                            continue;
                        }
                        if (running.Count >= throttleLimit || InGroup(key) >= groupLimit) continue;
                        if (deps.All(d => outcome.ContainsKey(d)))
                        {
                            remaining.Remove(key);
                            if (group != null) perGroup[group(key)] = InGroup(key) + 1;
                            running.Add((RunOne(key), key));
                            progressed = true;
                        }
                    }
                } while (progressed && remaining.Count > 0);

                if (running.Count == 0) break;
                var done = await Task.WhenAny(running.Select(r => r.Task)).ConfigureAwait(false);
                var at = running.FindIndex(r => ReferenceEquals(r.Task, done));
                var doneKey = running[at].Key;
                running.RemoveAt(at);
                if (group != null) perGroup[group(doneKey)] = InGroup(doneKey) - 1;
                outcome[doneKey] = done.Status == TaskStatus.RanToCompletion && done.Result ? ScheduledOutcome.Succeeded : ScheduledOutcome.Failed;
            }
            cancellationToken.ThrowIfCancellationRequested();
            return outcome;

            async Task<bool> RunOne(TKey key)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await work(key, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch
                {
                    return false;
                }
                finally
                {
                    gate.Release();
                }
            }
        }
    }
}
