using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary>StartRead/StartWrite: the kernel's result goes to a completion handler on the completion thread, no task.</summary>
public sealed class AioEngineHandlerTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task StartWriteThenStartRead_HandTheKernelsResultsToTheHandler_OnTheCompletionThread()
    {
        byte[] data = Patterns.Bytes(4096, seed: 11);
        using var engine = new AioEngine(4);
        using var file = UnixFileHandle.Open(_scratch.NewFile("rw"), OpenFlags.ReadWrite);
        using var buffer = AioBuffer.Allocate(4096);
        data.CopyTo(buffer.Span);

        var written = new RecordingHandler();
        engine.StartWrite(file, buffer, 4096, 4096, written);
        (AioResult writeResult, string? writeThread) = await written.Completed.WaitAsync(s_wait);

        buffer.Span.Clear();
        var read = new RecordingHandler();
        engine.StartRead(file, buffer, 4096, 4096, read);
        (AioResult readResult, string? readThread) = await read.Completed.WaitAsync(s_wait);

        Assert.Equal(4096, writeResult.Result);
        Assert.Equal(4096, readResult.Result);
        Assert.False(readResult.SubmitFailed);
        Assert.True(buffer.Span.SequenceEqual(data));
        Assert.Equal(engine.CompletionThreadName, writeThread);
        Assert.Equal(engine.CompletionThreadName, readThread);
        Assert.Equal(1, written.Calls);
        Assert.Equal(1, read.Calls);
    }

    [Fact]
    public async Task ASubmitRefusedByTheKernel_CallsTheHandlerBeforeStartReturns_AndFreesTheOperation()
    {
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("wo"), OpenFlags.WriteOnly);
        using var buffer = AioBuffer.Allocate(4096);

        var first = new RecordingHandler();
        engine.StartRead(file, buffer, 4096, 0, first);
        var second = new RecordingHandler();
        engine.StartRead(file, buffer, 4096, 0, second);

        Assert.True(first.Completed.IsCompleted);
        Assert.True(second.Completed.IsCompleted);
        AioResult refused = (await first.Completed).Result;
        Assert.True(refused.SubmitFailed);
        Assert.Equal(Errno.EBADF, refused.Error);
        Assert.Equal(0, engine.InFlight);
    }

    [Fact]
    public async Task AHandlerMayStartTheNextOperation_EvenWhenTheEngineHasRoomForOne()
    {
        // The operation goes back to the pool before its handler runs, so a chain of reads needs one slot, not two.
        const int Reads = 200;
        byte[] data = Patterns.Bytes(Reads * 512, seed: 12);
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("chain", data), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        var chain = new ChainedReads(engine, file, buffer, Reads, data);

        chain.Start();

        Assert.Equal(Reads, await chain.Done.WaitAsync(s_wait));
        Assert.Equal(0, engine.InFlight);
    }

    [Fact]
    public async Task BadArguments_AreRefused_AndLeakNoOperation()
    {
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("null", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);

        Assert.Throws<ArgumentNullException>(() => engine.StartRead(file, buffer, 4096, 0, null!));
        Assert.Throws<ArgumentNullException>(() => engine.StartWrite(file, buffer, 4096, 0, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.StartRead(file, buffer, 8192, 0, new RecordingHandler()));

        var handler = new RecordingHandler();
        engine.StartRead(file, buffer, 4096, 0, handler);
        Assert.Equal(4096, (await handler.Completed.WaitAsync(s_wait)).Result.Result);
    }

    private sealed class RecordingHandler : IAioCompletionHandler
    {
        private readonly TaskCompletionSource<(AioResult Result, string? Thread)> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task<(AioResult Result, string? Thread)> Completed => _completed.Task;

        public int Calls => Volatile.Read(ref _calls);

        public void OnAioCompleted(AioResult result)
        {
            Interlocked.Increment(ref _calls);
            _completed.TrySetResult((result, Thread.CurrentThread.Name));
        }
    }
}

/// <summary>
/// Reads 512-byte blocks one after another, each started by the previous one's handler: through the engine's pool, or
/// through one request reserved for the chain (<see cref="AioEngine.Reserve"/>).
/// </summary>
internal sealed class ChainedReads : IAioCompletionHandler
{
    private readonly AioEngine _engine;
    private readonly UnixFileHandle _file;
    private readonly AioBuffer _buffer;
    private readonly int _count;
    private readonly byte[]? _expected;
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completed;

    public ChainedReads(AioEngine engine, UnixFileHandle file, AioBuffer buffer, int count, byte[]? expected, bool reserved = false)
    {
        (_engine, _file, _buffer, _count, _expected) = (engine, file, buffer, count, expected);
        Request = reserved ? engine.Reserve(this) : null;
    }

    /// <summary>The chain's own request, when it was created reserved.</summary>
    public AioRequest? Request { get; }

    public Task<int> Done => _done.Task;

    public void Start() => Read(0);

    public void OnAioCompleted(AioResult result)
    {
        long offset = (long)_completed * 512;
        if (result.Result != 512 || (_expected is not null && !_buffer.Span[..512].SequenceEqual(_expected.AsSpan((int)offset, 512))))
        {
            _done.TrySetException(new InvalidOperationException($"read {_completed} returned {result.Result} or the wrong bytes"));
            return;
        }

        if (++_completed == _count)
        {
            _done.TrySetResult(_completed);
            return;
        }

        Read(_expected is null ? (long)_completed * 512 % (64 * 4096) : (long)_completed * 512);
    }

    private void Read(long offset)
    {
        if (Request is null)
        {
            _engine.StartRead(_file, _buffer, 512, offset, this);
        }
        else
        {
            Request.StartRead(_file, _buffer, 512, offset);
        }
    }
}
