using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

/// <summary>Closing a context never frees what the kernel may still write to.</summary>
[Collection(SerialCollection.Name)]
public sealed class AioContextDisposalTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Dispose_WithPollsInFlight_CancelsThemAndWaitsUntilTheKernelReturnedEach()
    {
        var logger = new ListLogger();
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            var context = new AioContext(8, logger);
            AioBlock[] blocks = [new(), new(), new()];
            foreach (AioBlock b in blocks)
            {
                b.PreparePoll(readEnd, PollEvents.POLLIN);
            }

            context.Submit(blocks);
            Assert.Equal(3, context.InFlight);
            context.Dispose();

            Assert.Equal(0, context.InFlight);
            Assert.All(blocks, b => Assert.False(b.IsInFlight));
            Assert.All(blocks, b => Assert.True(b.CancelRequested));
            Assert.Contains(logger.Entries, e => e.Id.Id == 1 && e.Message.Contains("3 block(s) in flight", StringComparison.Ordinal));
            Assert.True(logger.Has(2));
            Assert.False(logger.Has(3));

            // The pipe's read end is no longer referenced by any block, so closing it closes it.
            readEnd.Dispose();
            Assert.True(readEnd.IsClosed);
            foreach (AioBlock b in blocks)
            {
                b.Dispose();
            }
        }
    }

    [Fact]
    public void Dispose_WithBuffersInFlight_UnmapsThemOnlyAfterTheKernelReturnedThem()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[1 << 20]), OpenFlags.ReadOnly | OpenFlags.Direct);
        var context = new AioContext(4, new ListLogger());
        var block = new AioBlock();
        var buffer = AioBuffer.Allocate(1 << 20);
        block.PrepareRead(file, buffer, 1 << 20, 0);
        context.Submit([block]);
        buffer.Dispose();
        block.Dispose();
        Assert.True(ProcessMaps.IsMapped(buffer.Address));

        context.Dispose();
        Assert.Equal(0, buffer.KernelReferences);
        Assert.False(ProcessMaps.IsMapped(buffer.Address));
    }

    [Fact]
    public void Dispose_WhenTheDrainTimesOut_LeaksTheContextAndKeepsTheBuffersMapped()
    {
        var logger = new ListLogger();
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[1 << 20]), OpenFlags.ReadOnly | OpenFlags.Direct);
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (writeEnd)
        {
            var context = new AioContext(4, logger) { DrainTimeout = TimeSpan.Zero };
            using var read = new AioBlock();
            var buffer = AioBuffer.Allocate(1 << 20);
            read.PrepareRead(file, buffer, 1 << 20, 0);
            using var poll = new AioBlock();
            poll.PreparePoll(readEnd, PollEvents.POLLIN);
            context.Submit([read, poll]);
            buffer.Dispose();

            context.Dispose();

            // No time to drain: nothing was reaped, so both blocks count as in flight and keep what they reference.
            Assert.True(read.IsInFlight);
            Assert.True(poll.IsInFlight);
            Assert.Equal(2, context.InFlight);
            Assert.Contains(logger.Entries, e => e.Id.Id == 3 && e.Message.Contains("2 AIO block(s) still in flight", StringComparison.Ordinal));
            Assert.Equal(1, buffer.KernelReferences);
            Assert.True(ProcessMaps.IsMapped(buffer.Address));
        }

        readEnd.Dispose();
    }

    [Fact]
    public void Dispose_WithNothingInFlight_LogsNothing()
    {
        var logger = new ListLogger();
        new AioContext(1, logger).Dispose();
        Assert.Empty(logger.Entries);
    }
}
