using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary><see cref="AioEngine.Reserve"/>: one operation kept for one handler, started again and again, like an iocb per buffer.</summary>
public sealed class AioRequestTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task AReservedRequest_RestartedFromItsHandler_ReadsEveryBlockInTurn()
    {
        const int Reads = 200;
        byte[] data = Patterns.Bytes(Reads * 512, seed: 21);
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("chain", data), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        var chain = new ChainedReads(engine, file, buffer, Reads, data, reserved: true);

        chain.Start();

        Assert.Equal(Reads, await chain.Done.WaitAsync(s_wait));
        Assert.Equal(0, engine.InFlight);
        Assert.False(chain.Request!.IsInFlight);
    }

    [Fact]
    public void AReservation_CountsAgainstMaxEvents_UntilItIsDisposed()
    {
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("small", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        AioRequest request = engine.Reserve(new Discard());

        Assert.Throws<InvalidOperationException>(() => engine.StartRead(file, buffer, 512, 0, new Discard()));
        Assert.Throws<InvalidOperationException>(() => engine.Reserve(new Discard()));

        request.Dispose();
        request.Dispose();
        engine.Reserve(new Discard()).Dispose();
    }

    [Fact]
    public async Task StartingARequestInFlight_IsRefused_AndTheTransferInFlightCompletes()
    {
        using var engine = new AioEngine(2);
        (UnixFileHandle readEnd, UnixFileHandle writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            using var buffer = AioBuffer.Allocate(4096);
            var handler = new Recording();
            using AioRequest request = engine.Reserve(handler);

            // A pipe read has no asynchronous path in the kernel: io_submit itself waits for data, with the block
            // already in flight. That holds the request in flight for as long as the test needs.
            Task started = Task.Factory.StartNew(() => request.StartRead(readEnd, buffer, 16, 0), TaskCreationOptions.LongRunning);
            for (int waited = 0; !request.IsInFlight; waited += 10)
            {
                Assert.True(waited < 10_000, "io_submit never took the pipe read");
                await Task.Delay(10);
            }

            Assert.Throws<InvalidOperationException>(() => request.StartRead(readEnd, buffer, 16, 0));
            Assert.Throws<InvalidOperationException>(request.Dispose);
            writeEnd.TryWrite([1, 2, 3], out _);
            await started.WaitAsync(s_wait);
            Assert.Equal(3, (await handler.Next.WaitAsync(s_wait)).Result);
        }
    }

    [Fact]
    public async Task ASubmitRefusedByTheKernel_ReachesTheHandlerAtOnce_AndTheRequestCanStartAgain()
    {
        using var engine = new AioEngine(1);
        using var writeOnly = UnixFileHandle.Open(_scratch.NewFile("wo"), OpenFlags.WriteOnly);
        using var readable = UnixFileHandle.Open(_scratch.NewFile("ro", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        var handler = new Recording();
        using AioRequest request = engine.Reserve(handler);

        request.StartRead(writeOnly, buffer, 4096, 0);

        Assert.True(handler.Next.IsCompleted);
        AioResult refused = await handler.Next;
        Assert.True(refused.SubmitFailed);
        Assert.Equal(Errno.EBADF, refused.Error);

        handler.Reset();
        request.StartRead(readable, buffer, 4096, 0);
        Assert.Equal(4096, (await handler.Next.WaitAsync(s_wait)).Result);
    }

    [Fact]
    public void AReservedRequest_IsRefusedAfterItsEngineIsDisposed_AndDisposingItThenDoesNothing()
    {
        var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("gone", new byte[4096]), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);
        AioRequest request = engine.Reserve(new Discard());

        engine.Dispose();

        Assert.Throws<ObjectDisposedException>(() => request.StartRead(file, buffer, 512, 0));
        request.Dispose();
    }

    [Fact]
    public async Task ARestartedRequest_IsCheckedAsFullyAsItsFirstStart_AndMayChangeDirection()
    {
        byte[] data = Patterns.Bytes(8192, seed: 5);
        string path = _scratch.NewFile("again", data);
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(path, OpenFlags.ReadWrite);
        using var buffer = AioBuffer.Allocate(4096);
        var handler = new Recording();
        using AioRequest request = engine.Reserve(handler);
        request.StartRead(file, buffer, 4096, 4096);
        Assert.Equal(4096, (await handler.Next.WaitAsync(s_wait)).Result);

        // Same file and buffer as the start before: only length and offset differ, and they are still checked.
        Assert.Throws<ArgumentOutOfRangeException>(() => request.StartRead(file, buffer, 4097, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.StartRead(file, buffer, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.StartRead(file, buffer, 512, -1));
        Assert.False(request.IsInFlight);

        // The second half of the file, read into the buffer, written back over the first half's first 512 bytes.
        handler.Reset();
        request.StartWrite(file, buffer, 512, 0);
        Assert.Equal(512, (await handler.Next.WaitAsync(s_wait)).Result);
        Assert.Equal(data.AsSpan(4096, 512), File.ReadAllBytes(path).AsSpan(0, 512));
    }

    [Fact]
    public async Task ARestartedRequest_GivenAnotherBuffer_ReadsIntoThatOne_AndNeitherKeepsAKernelReference()
    {
        byte[] data = Patterns.Bytes(4096, seed: 9);
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("swap", data), OpenFlags.ReadOnly);
        using var first = AioBuffer.Allocate(4096);
        using var second = AioBuffer.Allocate(4096);
        var handler = new Recording();
        using AioRequest request = engine.Reserve(handler);
        request.StartRead(file, first, 512, 0);
        Assert.Equal(512, (await handler.Next.WaitAsync(s_wait)).Result);
        first.Span.Clear();

        // An echo's exchanged buffers: same request and file, the buffer changes from one start to the next.
        handler.Reset();
        request.StartRead(file, second, 1024, 1024);

        Assert.Equal(1024, (await handler.Next.WaitAsync(s_wait)).Result);
        Assert.Equal(data.AsSpan(1024, 1024), second.Span[..1024]);
        Assert.True(first.Span.IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(0, first.KernelReferences);
        Assert.Equal(0, second.KernelReferences);
    }

    [Fact]
    public async Task ARestartedRequest_IsRefused_OnceItsFileIsClosed_OrItsBufferDisposed()
    {
        using var engine = new AioEngine(1);
        var file = UnixFileHandle.Open(_scratch.NewFile("closing", new byte[4096]), OpenFlags.ReadOnly);
        var buffer = AioBuffer.Allocate(4096);
        var handler = new Recording();
        using AioRequest request = engine.Reserve(handler);
        request.StartRead(file, buffer, 512, 0);
        Assert.Equal(512, (await handler.Next.WaitAsync(s_wait)).Result);

        file.Dispose();
        Assert.Throws<ArgumentException>(() => request.StartRead(file, buffer, 512, 0));

        using var reopened = UnixFileHandle.Open(_scratch.NewFile("open", new byte[4096]), OpenFlags.ReadOnly);
        handler.Reset();
        request.StartRead(reopened, buffer, 512, 0);
        Assert.Equal(512, (await handler.Next.WaitAsync(s_wait)).Result);

        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => request.StartRead(reopened, buffer, 512, 0));
        Assert.False(request.IsInFlight);
    }

    private sealed class Discard : IAioCompletionHandler
    {
        public void OnAioCompleted(AioResult result)
        {
        }
    }

    private sealed class Recording : IAioCompletionHandler
    {
        private TaskCompletionSource<AioResult> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<AioResult> Next => _next.Task;

        public void Reset() => _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnAioCompleted(AioResult result) => _next.TrySetResult(result);
    }
}
