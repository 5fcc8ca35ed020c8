using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

// The allocation test reads the process-wide allocation counter, so no other test may run beside it.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementCollection
{
    public const string Name = "Allocation measurements (run alone)";
}

[Collection(AllocationMeasurementCollection.Name)]
public sealed class AsyncSignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_set_before_the_wait_completes_the_next_wait_at_once_and_only_that_one()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set(); // auto-reset: two sets before a wait are one

        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        ValueTask<bool> second = signal.WaitAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);

        signal.Set();
        await second.AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task On_its_owners_lock_a_wait_starts_inside_the_owners_section_and_SetLocked_defers_the_wake_until_Wake()
    {
        var gate = new Lock();
        var signal = new AsyncSignal(gate);
        ValueTask<bool> waiting;
        lock (gate)
        {
            waiting = signal.WaitAsync(CancellationToken.None); // the owner checks its condition and waits atomically
        }

        bool mustWake;
        lock (gate)
        {
            mustWake = signal.SetLocked();
        }

        Assert.True(mustWake);
        Assert.False(waiting.IsCompleted);
        signal.Wake(runContinuationInline: false);
        await waiting.AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public void SetLocked_without_a_waiter_asks_for_no_wake_and_completes_the_next_wait_at_once()
    {
        var gate = new Lock();
        var signal = new AsyncSignal(gate);
        bool mustWake;
        lock (gate)
        {
            mustWake = signal.SetLocked();
        }

        Assert.False(mustWake);
        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_waiter_resumes_on_the_thread_pool_not_on_the_thread_that_sets()
    {
        var signal = new AsyncSignal();

        bool resumedOnSetter = await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await signal.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () => signal.Set());

        Assert.False(resumedOnSetter);
    }

    [Fact]
    public async Task Asked_to_run_inline_a_waiter_resumes_on_the_setting_thread()
    {
        // The counterpart of the test above, so that a probe answering the same either way fails one of them.
        var signal = new AsyncSignal();

        bool resumedOnSetter = await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await signal.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () => signal.Set(runContinuationInline: true));

        Assert.True(resumedOnSetter);
    }

    [Fact]
    public async Task Asked_to_run_inline_the_waiter_resumes_on_the_setting_thread_before_Set_returns()
    {
        // The AIO completion thread does this: the transfer loop's next step runs there, with no hop to the pool.
        var signal = new AsyncSignal();
        int resumedOn = 0;
        async Task WaitThenRecordAsync()
        {
            await signal.WaitAsync(CancellationToken.None).ConfigureAwait(false); // xunit's context would take it otherwise
            resumedOn = Environment.CurrentManagedThreadId;
        }

        Task waiter = WaitThenRecordAsync();
        int setter = 0;
        var thread = new Thread(() =>
        {
            setter = Environment.CurrentManagedThreadId;
            signal.Set(runContinuationInline: true);
        });
        thread.Start();
        thread.Join();

        Assert.True(waiter.IsCompleted);
        Assert.Equal(setter, resumedOn);
        await waiter;
    }

    [Fact]
    public async Task Cancelling_the_token_ends_the_wait_with_OperationCanceledException_and_the_signal_stays_usable()
    {
        var signal = new AsyncSignal();
        using var cancellation = new CancellationTokenSource();
        ValueTask<bool> wait = signal.WaitAsync(cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(Timeout));
        signal.Set();
        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_token_cancelled_between_waits_fails_the_next_wait_and_a_later_wait_on_another_token_is_not_cancelled_by_it()
    {
        var signal = new AsyncSignal();
        using var run = new CancellationTokenSource();
        using var nextRun = new CancellationTokenSource();
        for (int i = 0; i < 3; i++)
        {
            ValueTask<bool> wait = signal.WaitAsync(run.Token);
            signal.Set();
            await wait.AsTask().WaitAsync(Timeout);
        }

        // Not waiting when the run's token is cancelled: nothing happens until the next wait on it.
        await run.CancelAsync();
        Assert.True(signal.WaitAsync(run.Token).IsCanceled);

        ValueTask<bool> other = signal.WaitAsync(nextRun.Token);
        Assert.False(other.IsCompleted);
        signal.Set();
        await other.AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Only_the_wait_on_the_cancelled_token_ends_when_an_earlier_token_is_cancelled_later()
    {
        var signal = new AsyncSignal();
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        ValueTask<bool> wait = signal.WaitAsync(first.Token);
        signal.Set();
        await wait.AsTask().WaitAsync(Timeout);

        ValueTask<bool> pending = signal.WaitAsync(second.Token);
        await first.CancelAsync();

        Assert.False(pending.IsCompleted);
        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public void An_already_cancelled_token_fails_at_once_unless_the_signal_is_set()
    {
        var signal = new AsyncSignal();
        var cancelled = new CancellationToken(canceled: true);

        Assert.True(signal.WaitAsync(cancelled).IsCanceled);
        signal.Set();
        Assert.True(signal.WaitAsync(cancelled).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_second_concurrent_waiter_is_refused_with_a_message_that_says_one_at_a_time()
    {
        var signal = new AsyncSignal();
        ValueTask<bool> first = signal.WaitAsync(CancellationToken.None);

        var refused = Assert.Throws<InvalidOperationException>(() => signal.WaitAsync(CancellationToken.None));

        Assert.Contains("one reader (OUT) or one writer (IN) at a time", refused.Message, StringComparison.Ordinal);
        signal.Set();
        await first.AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Waiting_and_setting_in_steady_state_allocates_nothing()
    {
        var ping = new AsyncSignal();
        var pong = new AsyncSignal();
        using var lifetime = new CancellationTokenSource();
        const int Rounds = 4_000;
        const int Windows = 5;

        async Task Echo(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                await ping.WaitAsync(lifetime.Token).ConfigureAwait(false);
                pong.Set();
            }
        }

        async Task Drive(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                ping.Set();
                await pong.WaitAsync(lifetime.Token).ConfigureAwait(false);
            }
        }

        // Warm up: tiering, the token's registration nodes, the thread pool.
        await Task.WhenAll(Task.Run(() => Echo(2_000)), Task.Run(() => Drive(2_000))).WaitAsync(Timeout);

        // The best of several windows: the count is whole-process, so a thread the pool starts or a finalizer's work can
        // land in one window; an allocation in every round trip (24 bytes at least) shows in all of them.
        long perRound = long.MaxValue;
        for (int window = 0; window < Windows; window++)
        {
            Task echo = Task.Run(() => Echo(Rounds));
            Task drive = Task.Run(() => Drive(Rounds));
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await Task.WhenAll(echo, drive).WaitAsync(TimeSpan.FromSeconds(60));
            perRound = Math.Min(perRound, (GC.GetTotalAllocatedBytes(precise: true) - before) / Rounds);
        }

        Assert.True(perRound < 8, $"{perRound} bytes allocated per wait/set round trip");
    }
}
