using System.Runtime.InteropServices;
using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary>The steady state allocates nothing: measured over thousands of operations.</summary>
[Collection(SerialCollection.Name)]
public sealed class AllocationTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void LowLevel_SubmitAndGetEvents_AllocateZeroBytes()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[32 * 4096]), OpenFlags.ReadOnly);
        using var context = new AioContext(32);
        using var eventFd = new EventFd(nonBlocking: true);
        var blocks = new AioBlock[32];
        var buffers = new AioBuffer[32];
        var events = new AioEvent[32];
        for (int i = 0; i < blocks.Length; i++)
        {
            buffers[i] = AioBuffer.Allocate(4096);
            blocks[i] = new AioBlock { ResultEventFd = eventFd };
        }

        void Round()
        {
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i].PrepareRead(file, buffers[i], 4096, i * 4096L);
            }

            context.Submit(blocks);
            int reaped = 0;
            while (reaped < blocks.Length)
            {
                reaped += context.GetEvents(1, events, null);
            }

            eventFd.TryRead(out _);
        }

        for (int i = 0; i < 50; i++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            Round();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        foreach (AioBlock b in blocks)
        {
            b.Dispose();
        }

        foreach (AioBuffer b in buffers)
        {
            b.Dispose();
        }
    }

    [Fact]
    public async Task Engine_ReadAsyncInALoop_AllocatesNothingPerOperation()
    {
        // Measured process-wide because continuations hop threads, so the runner's own threads and
        // thread-pool growth add noise (seen: up to ~75 KB). The smallest object is 24 bytes, so one
        // allocation per operation would cost at least 24 bytes each; an average under 8 rules that out.
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[64 * 4096]), OpenFlags.ReadOnly);
        using var engine = new AioEngine(16);
        using var pool = new AioBufferPool(4096, 16);

        static async Task Loop(AioEngine engine, SafeHandle file, AioBuffer buffer, int count, int lane)
        {
            for (int i = 0; i < count; i++)
            {
                AioResult r = await engine.ReadAsync(file, buffer, 4096, ((i + lane) % 64) * 4096L);
                if (r.Result != 4096)
                {
                    throw new InvalidOperationException($"read returned {r}");
                }
            }
        }

        AioBuffer[] buffers = [.. Enumerable.Range(0, 8).Select(_ => pool.Rent())];
        await Task.WhenAll(buffers.Select((b, lane) => Loop(engine, file, b, 500, lane)));

        const int PerLane = 4000;
        var lanes = new Task[buffers.Length];
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int lane = 0; lane < lanes.Length; lane++)
        {
            lanes[lane] = Loop(engine, file, buffers[lane], PerLane, lane);
        }

        await Task.WhenAll(lanes);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        int operations = PerLane * lanes.Length;

        foreach (AioBuffer b in buffers)
        {
            pool.Return(b);
        }

        Assert.True(allocated < operations * 8L, $"{allocated} bytes allocated over {operations} operations");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChainedHandlerReads_AllocateNothingPerOperation(bool throughAReservedRequest)
    {
        const int Reads = 100_000;
        byte[] data = new byte[64 * 4096]; // the reads wrap around it
        using var engine = new AioEngine(1);
        using var file = UnixFileHandle.Open(_scratch.NewFile("alloc", data), OpenFlags.ReadOnly);
        using var buffer = AioBuffer.Allocate(4096);

        var warmup = new ChainedReads(engine, file, buffer, 500, expected: null, throughAReservedRequest);
        warmup.Start();
        await warmup.Done.WaitAsync(TimeSpan.FromSeconds(10));
        warmup.Request?.Dispose();

        var chain = new ChainedReads(engine, file, buffer, Reads, expected: null, throughAReservedRequest);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        chain.Start();
        await chain.Done.WaitAsync(TimeSpan.FromSeconds(10));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Process-wide, so the runner's own threads add some noise; one object per read would be 24 bytes or more.
        Assert.True(allocated < Reads * 8L, $"{allocated} bytes allocated over {Reads} reads");
    }
}
