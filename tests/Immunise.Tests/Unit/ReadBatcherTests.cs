using Immunise.Storage;

namespace Immunise.Tests.Unit;

public sealed class ReadBatcherTests
{
    /// <summary>A read that records each batch of keys and answers only when the test lets it.</summary>
    private sealed class GatedReads
    {
        private readonly Lock _gate = new();
        private readonly List<TaskCompletionSource> _releases = [];

        public static AsyncLocal<string?> Caller { get; } = new();

        public List<string[]> Batches { get; } = [];

        /// <summary>The caller's context as each batch's read saw it.</summary>
        public List<string?> CallersSeen { get; } = [];

        public Exception? Fail { get; set; }

        public async Task<IReadOnlyDictionary<string, string>> ReadAsync(string[] keys)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                Batches.Add(keys);
                CallersSeen.Add(Caller.Value);
                _releases.Add(release);
            }

            await release.Task;
            if (Fail is { } failure)
            {
                throw failure;
            }

            return keys.Where(k => !k.StartsWith("missing", StringComparison.Ordinal)).ToDictionary(k => k, k => $"value of {k}");
        }

        public int Started
        {
            get
            {
                lock (_gate)
                {
                    return _releases.Count;
                }
            }
        }

        public void Release(int batch)
        {
            lock (_gate)
            {
                _releases[batch].SetResult();
            }
        }

        public async Task WaitForBatchesAsync(int count)
        {
            while (Started < count)
            {
                await Task.Delay(5);
            }
        }
    }

    [Fact]
    public async Task GetAsync_Alone_StartsABatchAtOnceWithJustItsKey()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync);

        var answer = batcher.GetAsync("a");
        await reads.WaitForBatchesAsync(1);
        reads.Release(0);

        Assert.Equal("value of a", await answer);
        Assert.Equal(["a"], Assert.Single(reads.Batches));
    }

    [Fact]
    public async Task GetAsync_WhileTheBatchesRun_WaitsAndIsReadWithTheOthersInOneBatch()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 64, maxInFlight: 1);

        var first = batcher.GetAsync("a");
        await reads.WaitForBatchesAsync(1);
        var waiting = new[] { "b", "c", "missing-d", "b" }.Select(k => batcher.GetAsync(k)).ToList();
        Assert.Equal(1, reads.Started); // no second batch while the first runs
        reads.Release(0);
        await first;
        await reads.WaitForBatchesAsync(2);
        reads.Release(1);

        Assert.Equal(new string?[] { "value of b", "value of c", null, "value of b" }, (IEnumerable<string?>)await Task.WhenAll(waiting));
        Assert.Equal(["b", "c", "missing-d"], reads.Batches[1]); // each key once, in order of arrival
        Assert.Equal(2, reads.Batches.Count);
    }

    [Fact]
    public async Task GetAsync_MoreWaitingThanABatchHolds_SplitsThemIntoBatchesOfTheLimit()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 3, maxInFlight: 1);

        var first = batcher.GetAsync("first");
        await reads.WaitForBatchesAsync(1);
        var waiting = Enumerable.Range(0, 7).Select(i => batcher.GetAsync($"k{i}")).ToList();
        reads.Release(0);
        for (var batch = 1; batch <= 3; batch++)
        {
            await reads.WaitForBatchesAsync(batch + 1);
            reads.Release(batch);
        }

        await first;
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"value of k{i}"), await Task.WhenAll(waiting));
        Assert.Equal([3, 3, 1], reads.Batches.Skip(1).Select(b => b.Length));
    }

    [Fact]
    public async Task GetAsync_UpToMaxInFlight_RunsThatManyBatchesSideBySide()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 64, maxInFlight: 2);

        var a = batcher.GetAsync("a");
        var b = batcher.GetAsync("b");
        var c = batcher.GetAsync("c");
        await reads.WaitForBatchesAsync(2);

        Assert.Equal(2, reads.Started); // a and b each started one; c waits for a free place
        reads.Release(0);
        reads.Release(1);
        await reads.WaitForBatchesAsync(3);
        reads.Release(2);
        Assert.Equal(new string?[] { "value of a", "value of b", "value of c" }, (IEnumerable<string?>)await Task.WhenAll(a, b, c));
        Assert.Equal([["a"], ["b"], ["c"]], reads.Batches);
    }

    [Fact]
    public async Task GetAsync_TheReadFails_EveryoneInTheBatchGetsTheErrorAndTheNextBatchStillRuns()
    {
        var reads = new GatedReads { Fail = new InvalidOperationException("database unavailable") };
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 64, maxInFlight: 1);

        var first = batcher.GetAsync("a");
        await reads.WaitForBatchesAsync(1);
        var second = batcher.GetAsync("b");
        reads.Release(0);
        await reads.WaitForBatchesAsync(2);
        reads.Release(1);

        Assert.Equal("database unavailable", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);
        Assert.Equal("database unavailable", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);
        reads.Fail = null;
        var third = batcher.GetAsync("c");
        await reads.WaitForBatchesAsync(3);
        reads.Release(2);
        Assert.Equal("value of c", await third);
    }

    [Fact]
    public async Task GetAsync_CallerGivesUp_StopsWaitingAtOnceWhileTheOthersGetTheirAnswers()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 64, maxInFlight: 1);
        using var giveUp = new CancellationTokenSource();

        var first = batcher.GetAsync("a", giveUp.Token);
        var other = batcher.GetAsync("b");
        await reads.WaitForBatchesAsync(1);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        reads.Release(0);
        await reads.WaitForBatchesAsync(2);
        reads.Release(1);
        Assert.Equal("value of b", await other);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.GetAsync("c", giveUp.Token));
    }

    [Fact]
    public async Task GetAsync_LaterBatches_DoNotRunInTheContextOfTheRequestThatStartedTheLoop()
    {
        var reads = new GatedReads();
        var batcher = new ReadBatcher<string, string>(reads.ReadAsync, maxBatch: 64, maxInFlight: 1);

        var first = Task.Run(async () =>
        {
            GatedReads.Caller.Value = "request A";
            return await batcher.GetAsync("a");
        });
        await reads.WaitForBatchesAsync(1);
        var second = batcher.GetAsync("b");
        reads.Release(0);
        await reads.WaitForBatchesAsync(2);
        reads.Release(1);
        await Task.WhenAll(first, second);

        Assert.Equal(2, reads.CallersSeen.Count);
        Assert.Null(reads.CallersSeen[1]); // the loop went on to b's batch without request A's context
    }
}
