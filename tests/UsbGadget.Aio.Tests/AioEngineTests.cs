using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary>The ValueTask API: kernel results handed back, never thrown; one completion thread.</summary>
public sealed class AioEngineTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task WriteAsyncThenReadAsync_RoundTripTheBytes()
    {
        byte[] data = Patterns.Bytes(4096, seed: 3);
        using var engine = new AioEngine(4);
        using var file = UnixFileHandle.Open(_scratch.NewFile("rw"), OpenFlags.ReadWrite);
        using var buffer = AioBuffer.Allocate(4096);
        data.CopyTo(buffer.Span);

        AioResult written = await engine.WriteAsync(file, buffer, 4096, offset: 8192);
        Assert.Equal(4096, written.Result);
        Assert.True(written.Succeeded);

        buffer.Span.Clear();
        AioResult read = await engine.ReadAsync(file, buffer, 4096, offset: 8192);
        Assert.Equal(4096, read.Result);
        Assert.False(read.CancelRequested);
        Assert.True(buffer.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task ManyConcurrentReads_EachGetTheirOwnBytes()
    {
        const int Blocks = 256;
        byte[] data = Patterns.Bytes(Blocks * 512, seed: 4);
        using var engine = new AioEngine(32);
        using var file = UnixFileHandle.Open(_scratch.NewFile("many", data), OpenFlags.ReadOnly);
        using var pool = new AioBufferPool(512, maxRetained: 32);
        using var gate = new SemaphoreSlim(32);

        async Task ReadOne(int i)
        {
            await gate.WaitAsync();
            AioBuffer buffer = pool.Rent();
            try
            {
                AioResult r = await engine.ReadAsync(file, buffer, 512, i * 512L);
                Assert.Equal(512, r.Result);
                Assert.True(buffer.Span[..512].SequenceEqual(data.AsSpan(i * 512, 512)));
            }
            finally
            {
                pool.Return(buffer);
                gate.Release();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Blocks).Select(ReadOne));
        Assert.Equal(0, engine.InFlight);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task ANegativeResult_IsReturned_NotThrown()
    {
        using var engine = new AioEngine(2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("direct", new byte[8192]), OpenFlags.ReadOnly | OpenFlags.Direct);
        using var buffer = AioBuffer.Allocate(4096);
        AioResult r = await engine.ReadAsync(file, buffer, 100);
        Assert.Equal(-(long)Errno.EINVAL, r.Result);
        Assert.Equal(Errno.EINVAL, r.Error);
        Assert.False(r.Succeeded);
        Assert.False(r.SubmitFailed);
    }

    [Fact]
    public async Task ASubmitRefusedByTheKernel_CompletesWithItsErrno()
    {
        using var engine = new AioEngine(2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("wo"), OpenFlags.WriteOnly);
        using var buffer = AioBuffer.Allocate(4096);
        AioResult r = await engine.ReadAsync(file, buffer, 4096);
        Assert.True(r.SubmitFailed);
        Assert.Equal(Errno.EBADF, r.Error);
        Assert.Equal(0, engine.InFlight);
    }

    [Fact]
    public async Task FsyncAsync_CompletesWithZero()
    {
        using var engine = new AioEngine(2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("sync", [1]), OpenFlags.ReadWrite);
        Assert.Equal(0, (await engine.FsyncAsync(file)).Result);
    }

    [Fact]
    public async Task PollAsync_CompletesOnThePoolWhenDataArrives_NotOnTheCompletionThread()
    {
        using var engine = new AioEngine(2);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            ValueTask<AioResult> pending = engine.PollAsync(readEnd, PollEvents.POLLIN);
            await Task.Delay(20);
            Assert.False(pending.IsCompleted);
            writeEnd.Write([1]);
            AioResult r = await pending.AsTask().WaitAsync(s_wait);
            Assert.Equal(PollEvents.POLLIN, (PollEvents)r.Result & PollEvents.POLLIN);
            Assert.NotEqual(engine.CompletionThreadName, Thread.CurrentThread.Name);
            Assert.StartsWith("UsbGadget.Aio completion #", engine.CompletionThreadName, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CancellingTheToken_CancelsTheKernelPoll_AndStillReturnsTheKernelsResult()
    {
        using var engine = new AioEngine(2);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var cts = new CancellationTokenSource())
        {
            ValueTask<AioResult> pending = engine.PollAsync(readEnd, PollEvents.POLLIN, cts.Token);
            Assert.Equal(1, engine.InFlight);
            await cts.CancelAsync();
            AioResult r = await pending.AsTask().WaitAsync(s_wait);
            Assert.True(r.CancelRequested);
            Assert.Equal(0, r.Result);
            Assert.Equal(0, engine.InFlight);
        }
    }

    [Fact]
    public async Task CancellingAfterTheIoWon_ReturnsTheIoResult()
    {
        using var engine = new AioEngine(2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        using var cts = new CancellationTokenSource();
        ValueTask<AioResult> pending = engine.ReadAsync(file, buffer, 4096, 0, cts.Token);
        await cts.CancelAsync();
        AioResult r = await pending;
        Assert.Equal(4096, r.Result);
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_SubmitsNothing()
    {
        using var engine = new AioEngine(2);
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await engine.ReadAsync(file, buffer, 4096, 0, new CancellationToken(true)));
        Assert.Equal(0, engine.InFlight);
    }

    [Fact]
    public void MoreOperationsThanMaxEvents_AreRefused()
    {
        using var engine = new AioEngine(1);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            _ = engine.PollAsync(readEnd, PollEvents.POLLIN);
            var e = Assert.Throws<InvalidOperationException>(() => engine.PollAsync(readEnd, PollEvents.POLLIN));
            Assert.Contains("1 operations are already in flight", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadArguments_AreRefusedBeforeTheKernel_AndDoNotLeakAnOperation()
    {
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("f"), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        Assert.Equal("length", Assert.ThrowsAny<ArgumentOutOfRangeException>(() => engine.ReadAsync(file, buffer, 5000)).ParamName);
        Assert.Equal("offset", Assert.ThrowsAny<ArgumentOutOfRangeException>(() => engine.WriteAsync(file, buffer, 1, -1)).ParamName);
        Assert.Equal("file", Assert.ThrowsAny<ArgumentNullException>(() => engine.FsyncAsync(null!)).ParamName);

        // The one slot is still free.
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            _ = engine.PollAsync(readEnd, PollEvents.POLLIN);
            Assert.Equal(1, engine.InFlight);
        }
    }

    [Fact]
    public async Task Dispose_WithPollsInFlight_CompletesEveryAwaiterWithTheCancelledResult()
    {
        var logger = new ListLogger();
        var engine = new AioEngine(4, logger);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            ValueTask<AioResult> a = engine.PollAsync(readEnd, PollEvents.POLLIN);
            ValueTask<AioResult> b = engine.PollAsync(readEnd, PollEvents.POLLIN);
            await engine.DisposeAsync();
            AioResult ra = await a.AsTask().WaitAsync(s_wait);
            AioResult rb = await b.AsTask().WaitAsync(s_wait);
            Assert.True(ra.CancelRequested);
            Assert.True(rb.CancelRequested);
            Assert.Equal(0, ra.Result);
            Assert.True(logger.Has(11));
            Assert.Throws<ObjectDisposedException>(() => engine.PollAsync(readEnd, PollEvents.POLLIN));
        }
    }

    [Fact]
    public async Task InlineContinuations_RunOnTheCompletionThread()
    {
        using var engine = new AioEngine(2, runContinuationsInline: true);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            Task<string?> pending = PollAndReportThread(engine, readEnd);
            Assert.False(pending.IsCompleted);
            writeEnd.Write([1]);
            Assert.Equal(engine.CompletionThreadName, await pending.WaitAsync(s_wait));
        }

        static async Task<string?> PollAndReportThread(AioEngine engine, UnixFileHandle file)
        {
            // Without ConfigureAwait(false) the test runner's SynchronizationContext would take the continuation.
            AioResult r = await engine.PollAsync(file, PollEvents.POLLIN).ConfigureAwait(false);
            Assert.True(r.Result > 0);
            return Thread.CurrentThread.Name;
        }
    }

    [Fact]
    public async Task OperationsStartedWhileAReapIsDelivered_AreHeldUntilItEnds_ThenSubmittedInTheOrderStarted()
    {
        using var engine = new AioEngine(8, runContinuationsInline: true);
        var (wakeRead, wakeWrite) = UnixFileHandle.CreatePipe();
        var (dataRead, dataWrite) = UnixFileHandle.CreatePipe(nonBlocking: true);
        AioBuffer[] buffers = [AioBuffer.Allocate(4096), AioBuffer.Allocate(4096), AioBuffer.Allocate(4096)];
        using (wakeRead)
        using (wakeWrite)
        using (dataRead)
        using (dataWrite)
        {
            async Task<(int HeldInFlight, int BytesInPipe, AioResult[] Results)> WakeThenWriteThree()
            {
                await engine.PollAsync(wakeRead, PollEvents.POLLIN).ConfigureAwait(false);
                var writes = new ValueTask<AioResult>[3];
                for (int i = 0; i < 3; i++)
                {
                    buffers[i].Span[0] = (byte)(i + 1);
                    writes[i] = engine.WriteAsync(dataWrite, buffers[i], 1);
                }

                // Still inside the reap's delivery: nothing has reached the kernel yet.
                int held = engine.InFlight;
                int bytes = dataRead.TryRead(new byte[8], out int read) == Errno.None ? read : 0;
                var results = new AioResult[3];
                for (int i = 0; i < 3; i++)
                {
                    results[i] = await writes[i].ConfigureAwait(false);
                }

                return (held, bytes, results);
            }

            Task<(int HeldInFlight, int BytesInPipe, AioResult[] Results)> pending = WakeThenWriteThree();
            wakeWrite.Write([1]);
            (int heldInFlight, int bytesInPipe, AioResult[] results) = await pending.WaitAsync(s_wait);

            Assert.Equal(0, heldInFlight);
            Assert.Equal(0, bytesInPipe);
            Assert.All(results, r => Assert.Equal(1, r.Result));
            var sent = new byte[8];
            Assert.Equal(Errno.None, dataRead.TryRead(sent, out int count));
            Assert.Equal(new byte[] { 1, 2, 3 }, sent[..count]);
        }

        foreach (AioBuffer buffer in buffers)
        {
            buffer.Dispose();
        }
    }

    [Fact]
    public async Task StartsFromOtherThreadsDuringAReap_GoOutInterleavedWithTheCompletionThreadsOwn_InTheOrderTheyHappened()
    {
        using var engine = new AioEngine(8, runContinuationsInline: true);
        var (wakeRead, wakeWrite) = UnixFileHandle.CreatePipe();
        var (dataRead, dataWrite) = UnixFileHandle.CreatePipe(nonBlocking: true);
        AioBuffer[] buffers = [AioBuffer.Allocate(4096), AioBuffer.Allocate(4096), AioBuffer.Allocate(4096), AioBuffer.Allocate(4096)];
        using (wakeRead)
        using (wakeWrite)
        using (dataRead)
        using (dataWrite)
        {
            ValueTask<AioResult> Write(int index)
            {
                buffers[index].Span[0] = (byte)(index + 1);
                return engine.WriteAsync(dataWrite, buffers[index], 1);
            }

            // Waits until the write has started on a pool thread, not until it completes.
            Task<AioResult> StartElsewhere(int index)
                => Task.Factory.StartNew(() => Write(index).AsTask(), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default).Result;

            async Task<AioResult[]> WakeThenWriteFourFromTwoThreads()
            {
                await engine.PollAsync(wakeRead, PollEvents.POLLIN).ConfigureAwait(false);

                // On the completion thread, inside the reap's delivery: 1 and 3 from here, 2 and 4 from another thread.
                ValueTask<AioResult> first = Write(0);
                Task<AioResult> second = StartElsewhere(1);
                ValueTask<AioResult> third = Write(2);
                Task<AioResult> fourth = StartElsewhere(3);
                return [await first.ConfigureAwait(false), await second.ConfigureAwait(false), await third.ConfigureAwait(false), await fourth.ConfigureAwait(false)];
            }

            Task<AioResult[]> pending = WakeThenWriteFourFromTwoThreads();
            wakeWrite.Write([1]);
            AioResult[] results = await pending.WaitAsync(s_wait);

            Assert.All(results, r => Assert.Equal(1, r.Result));
            var sent = new byte[8];
            Assert.Equal(Errno.None, dataRead.TryRead(sent, out int count));
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, sent[..count]);
        }

        foreach (AioBuffer buffer in buffers)
        {
            buffer.Dispose();
        }
    }

    [Fact]
    public async Task RunExclusive_OnTheCompletionThread_SubmitsWhatIsHeldFirst()
    {
        using var engine = new AioEngine(4, runContinuationsInline: true);
        var (wakeRead, wakeWrite) = UnixFileHandle.CreatePipe();
        var (dataRead, dataWrite) = UnixFileHandle.CreatePipe(nonBlocking: true);
        using var buffer = AioBuffer.Allocate(4096);
        using (wakeRead)
        using (wakeWrite)
        using (dataRead)
        using (dataWrite)
        {
            async Task<int> WakeWriteThenReadExclusively()
            {
                await engine.PollAsync(wakeRead, PollEvents.POLLIN).ConfigureAwait(false);
                buffer.Span[0] = 42;
                ValueTask<AioResult> write = engine.WriteAsync(dataWrite, buffer, 1);
                int seen = engine.RunExclusive(static pipe => pipe.TryRead(new byte[1], out int n) == Errno.None ? n : -1, dataRead);
                await write.ConfigureAwait(false);
                return seen;
            }

            Task<int> pending = WakeWriteThenReadExclusively();
            wakeWrite.Write([1]);
            Assert.Equal(1, await pending.WaitAsync(s_wait));
        }
    }

    [Fact]
    public async Task CancelAll_CancelsEveryOperationOnThatFile_AndNoOther()
    {
        using var engine = new AioEngine(4);
        var (firstRead, firstWrite) = UnixFileHandle.CreatePipe();
        var (secondRead, secondWrite) = UnixFileHandle.CreatePipe();
        using (firstRead)
        using (firstWrite)
        using (secondRead)
        using (secondWrite)
        {
            ValueTask<AioResult> first = engine.PollAsync(firstRead, PollEvents.POLLIN);
            ValueTask<AioResult> second = engine.PollAsync(secondRead, PollEvents.POLLIN);

            engine.CancelAll(firstRead);

            AioResult cancelled = await first.AsTask().WaitAsync(s_wait);
            Assert.True(cancelled.CancelRequested);
            Assert.False(second.IsCompleted);
            secondWrite.Write([1]);
            AioResult ready = await second.AsTask().WaitAsync(s_wait);
            Assert.False(ready.CancelRequested);
            Assert.True(ready.Result > 0);
        }
    }

    [Fact]
    public async Task CancelAll_ReachesAnOperationHeldForTheNextBatch_OnceItIsSubmitted()
    {
        using var engine = new AioEngine(4, runContinuationsInline: true);
        var (wakeRead, wakeWrite) = UnixFileHandle.CreatePipe();
        var (idleRead, idleWrite) = UnixFileHandle.CreatePipe();
        using (wakeRead)
        using (wakeWrite)
        using (idleRead)
        using (idleWrite)
        {
            async Task<AioResult> WakeThenPollAndCancel()
            {
                await engine.PollAsync(wakeRead, PollEvents.POLLIN).ConfigureAwait(false);
                ValueTask<AioResult> held = engine.PollAsync(idleRead, PollEvents.POLLIN);
                engine.CancelAll(idleRead);
                return await held.ConfigureAwait(false);
            }

            Task<AioResult> pending = WakeThenPollAndCancel();
            wakeWrite.Write([1]);
            Assert.True((await pending.WaitAsync(s_wait)).CancelRequested);
        }
    }

    [Fact]
    public void RunExclusive_OffTheCompletionThread_RunsTheActionAndReturnsItsResult()
    {
        using var engine = new AioEngine(2);

        Assert.Equal(7, engine.RunExclusive(static x => x + 1, 6));
        Assert.Throws<ArgumentNullException>(() => engine.RunExclusive<int, int>(null!, 0));
    }

    [Fact]
    public async Task DisposingFromAnInlineContinuation_DoesNotDeadlock()
    {
        var engine = new AioEngine(2, runContinuationsInline: true);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            async Task PollThenDispose()
            {
                await engine.PollAsync(readEnd, PollEvents.POLLIN).ConfigureAwait(false);
                Assert.Equal(engine.CompletionThreadName, Thread.CurrentThread.Name);
                engine.Dispose();
            }

            Task pending = PollThenDispose();
            writeEnd.Write([1]);
            await pending.WaitAsync(s_wait);
            Assert.Throws<ObjectDisposedException>(() => engine.PollAsync(readEnd, PollEvents.POLLIN));
        }
    }

    [Fact]
    public void CompletionThread_IsANamedBackgroundThread_ThatDoesNotInheritTheCreatorsExecutionContext()
    {
        var probe = new ThreadProbeLogger();
        s_ambient.Value = "creator";
        try
        {
            using var engine = new AioEngine(1, probe);
            Assert.True(probe.Started.Wait(s_wait));
            Assert.Equal(engine.CompletionThreadName, probe.ThreadName);
            Assert.True(probe.IsBackground);
            Assert.Null(probe.AmbientValue);
        }
        finally
        {
            s_ambient.Value = null;
        }
    }

    private static readonly AsyncLocal<string?> s_ambient = new();

    private sealed class ThreadProbeLogger : Microsoft.Extensions.Logging.ILogger
    {
        public ManualResetEventSlim Started { get; } = new();

        public string? ThreadName { get; private set; }

        public bool IsBackground { get; private set; }

        public string? AmbientValue { get; private set; } = "not logged";

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 10 && !Started.IsSet)
            {
                ThreadName = Thread.CurrentThread.Name;
                IsBackground = Thread.CurrentThread.IsBackground;
                AmbientValue = s_ambient.Value;
                Started.Set();
            }
        }
    }

    [Fact]
    public void Constructor_RefusesANonPositiveSize()
        => Assert.Equal("maxEvents", Assert.Throws<ArgumentOutOfRangeException>(() => new AioEngine(0)).ParamName);
}
