using System.Collections.Concurrent;
using Phoenix.Engine.Workflow;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

public class DependencySchedulerTests
{
    private static IReadOnlyDictionary<int, IReadOnlyCollection<int>> Graph(params (int key, int[] deps)[] items) =>
        items.ToDictionary(i => i.key, i => (IReadOnlyCollection<int>)i.deps);

    [Fact]
    public async Task Runs_dependencies_before_dependents_and_ignores_outside_ids()
    {
        // The real config: 1001 depends on CT 102 (outside the file), 1002 on 1001; both clone 9000.
        var graph = Graph((9000, new int[0]), (1001, new[] { 102, 9000 }), (1002, new[] { 1001, 9000 }));
        var order = new ConcurrentQueue<int>();
        var result = await DependencyScheduler.RunAsync(graph, 4, async (k, ct) => { order.Enqueue(k); await Task.Delay(10, ct); return true; });
        Assert.Equal(new[] { 9000, 1001, 1002 }, order.ToArray());
        Assert.All(result.Values, o => Assert.Equal(ScheduledOutcome.Succeeded, o));
    }

    [Fact]
    public async Task Runs_independent_items_in_parallel_up_to_the_limit()
    {
        var graph = Graph(Enumerable.Range(100, 10).Select(i => (i, new int[0])).ToArray());
        int now = 0, peak = 0;
        await DependencyScheduler.RunAsync(graph, 3, async (k, ct) =>
        {
            var n = Interlocked.Increment(ref now);
            lock (graph) peak = Math.Max(peak, n);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref now);
            return true;
        });
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task A_group_limit_caps_one_node_and_lets_another_nodes_items_take_the_free_slots()
    {
        // Eight VMs of node a, two of node b; four at once in all, two per node: b's VMs start while a's wait.
        var graph = Graph(Enumerable.Range(1, 10).Select(i => (i, new int[0])).ToArray());
        string Node(int k) => k <= 8 ? "a" : "b";
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new SemaphoreSlim(0);
        var running = new ConcurrentDictionary<int, bool>();
        var peak = new ConcurrentDictionary<string, int>();
        var run = DependencyScheduler.RunAsync(graph, 4, async (k, ct) =>
        {
            running[k] = true;
            peak.AddOrUpdate(Node(k), 1, (_, p) => Math.Max(p, running.Keys.Count(r => Node(r) == Node(k))));
            started.Release();
            await release.Task;
            running.TryRemove(k, out _);
            return true;
        }, group: Node, groupLimit: 2);
        for (var i = 0; i < 4; i++) Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { "a", "a", "b", "b" }, running.Keys.Select(Node).OrderBy(n => n));
        release.SetResult(true);
        var result = await run;
        Assert.All(result.Values, o => Assert.Equal(ScheduledOutcome.Succeeded, o));
        Assert.Equal(2, peak["a"]);
        Assert.Equal(2, peak["b"]);
    }

    [Fact]
    public async Task Items_whose_work_ends_at_once_all_run_and_each_gets_its_outcome()
    {
        // Work that completes synchronously makes completed tasks that .NET shares (a cached Task<bool>): two of them
        // running at once must still be two items.
        var graph = Graph((1, new int[0]), (2, new int[0]), (3, new int[0]), (4, new[] { 1 }), (5, new int[0]));
        var ran = new List<int>();
        var result = await DependencyScheduler.RunAsync(graph, 4, (k, ct) => { lock (ran) ran.Add(k); return Task.FromResult(k != 3); });
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, ran.OrderBy(k => k));
        Assert.Equal(ScheduledOutcome.Succeeded, result[1]);
        Assert.Equal(ScheduledOutcome.Succeeded, result[2]);
        Assert.Equal(ScheduledOutcome.Failed, result[3]);
        Assert.Equal(ScheduledOutcome.Succeeded, result[4]);
        Assert.Equal(ScheduledOutcome.Succeeded, result[5]);
    }

    [Fact]
    public async Task Skips_the_dependents_of_a_failure_and_runs_the_rest()
    {
        var graph = Graph((101, new int[0]), (102, new[] { 101 }), (103, new[] { 102 }), (104, new int[0]));
        var skipped = new List<int>();
        var result = await DependencyScheduler.RunAsync(graph, 2,
            (k, ct) => k == 101 ? throw new InvalidOperationException("clone failed") : Task.FromResult(true),
            k => skipped.Add(k));
        Assert.Equal(ScheduledOutcome.Failed, result[101]);
        Assert.Equal(ScheduledOutcome.SkippedDependencyFailed, result[102]);
        Assert.Equal(ScheduledOutcome.SkippedDependencyFailed, result[103]);
        Assert.Equal(ScheduledOutcome.Succeeded, result[104]);
        Assert.Equal(new[] { 102, 103 }, skipped);
    }

    [Fact]
    public async Task A_cycle_is_named_and_nothing_runs()
    {
        var graph = Graph((101, new[] { 103 }), (102, new[] { 101 }), (103, new[] { 102 }), (104, new int[0]));
        Assert.Equal(new[] { 101, 103, 102, 101 }, DependencyScheduler.FindCycle(graph));
        var ran = 0;
        var e = await Assert.ThrowsAsync<DependencyCycleException>(() =>
            DependencyScheduler.RunAsync(graph, 2, (k, ct) => { ran++; return Task.FromResult(true); }));
        Assert.Contains("101 -> 103 -> 102 -> 101", e.Message);
        Assert.Equal(0, ran);
    }

    [Fact]
    public async Task Cancellation_stops_the_run()
    {
        var graph = Graph((101, new int[0]), (102, new[] { 101 }));
        using var cts = new CancellationTokenSource();
        var started = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DependencyScheduler.RunAsync(graph, 1, async (k, ct) =>
        {
            started.Add(k);
            cts.Cancel();
            await Task.Delay(5000, ct);
            return true;
        }, cancellationToken: cts.Token));
        Assert.Equal(new[] { 101 }, started);
    }
}
