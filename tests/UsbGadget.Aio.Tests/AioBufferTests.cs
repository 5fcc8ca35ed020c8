using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

// Serial: the tests read /proc/self/maps, where other tests' mmap calls would reuse freed ranges.
[Collection(SerialCollection.Name)]
public sealed class AioBufferTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(65536)]
    public void Allocate_IsPageAligned_RoundedUpToPages_AndZeroed(int length)
    {
        int page = Environment.SystemPageSize;
        using var buffer = AioBuffer.Allocate(length);
        Assert.Equal(0, buffer.Address % page);
        Assert.Equal((length + page - 1) / page * page, buffer.Length);
        Assert.True(buffer.Span.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Allocate_RefusesANonPositiveLength()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => AioBuffer.Allocate(0)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => AioBuffer.Allocate(-1)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => AioBuffer.Allocate(int.MaxValue)).ParamName);
    }

    [Fact]
    public unsafe void Memory_And_Span_AreTheSameBytes_WithoutACopy()
    {
        using var buffer = AioBuffer.Allocate(100);
        buffer.Memory.Span[5] = 42;
        Assert.Equal(42, buffer.Span[5]);
        using (var pin = buffer.Memory.Pin())
        {
            Assert.Equal(buffer.Address, (nint)pin.Pointer);
        }

        Assert.Equal(buffer.Length, buffer.Memory.Length);
    }

    [Fact]
    public void Dispose_UnmapsTheMemory_AndLaterAccessThrows()
    {
        var buffer = AioBuffer.Allocate(4096);
        nint address = buffer.Address;
        Assert.True(ProcessMaps.IsMapped(address));
        buffer.Dispose();
        Assert.False(ProcessMaps.IsMapped(address));
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => buffer.Memory);
    }

    [Fact]
    public void Dispose_WithAPinAndABlockInFlight_UnmapsOnlyOnceTheKernelAndThePinHaveBothLetGo()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[1 << 20]), OpenFlags.ReadOnly | OpenFlags.Direct);
        using var context = new AioContext(1);
        using var block = new AioBlock();
        var buffer = AioBuffer.Allocate(1 << 20);
        System.Buffers.MemoryHandle pin = buffer.Memory.Pin();
        block.PrepareRead(file, buffer, 1 << 20, 0);
        context.Submit([block]);
        buffer.Dispose();

        var events = new AioEvent[1];
        Assert.Equal(1, context.GetEvents(1, events, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, buffer.KernelReferences);
        Assert.True(ProcessMaps.IsMapped(buffer.Address));

        pin.Dispose();
        Assert.False(ProcessMaps.IsMapped(buffer.Address));
    }

    [Fact]
    public void Dispose_WhileABlockIsInFlight_DefersTheUnmapUntilTheEventIsReaped()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f", new byte[1 << 20]), OpenFlags.ReadOnly | OpenFlags.Direct);
        using var context = new AioContext(1);
        using var block = new AioBlock();
        var buffer = AioBuffer.Allocate(1 << 20);
        block.PrepareRead(file, buffer, 1 << 20, 0);
        context.Submit([block]);

        buffer.Dispose();
        Assert.True(buffer.IsDisposed);
        Assert.True(ProcessMaps.IsMapped(buffer.Address));
        Assert.Equal(1, buffer.KernelReferences);

        var events = new AioEvent[1];
        Assert.Equal(1, context.GetEvents(1, events, TimeSpan.FromSeconds(10)));
        Assert.Equal(1 << 20, events[0].Result);
        Assert.Equal(0, buffer.KernelReferences);
        Assert.False(ProcessMaps.IsMapped(buffer.Address));
    }

    [Fact]
    public void Pool_ReusesReturnedBuffers_AndCountsOutstanding()
    {
        using var pool = new AioBufferPool(1000, maxRetained: 1);
        Assert.Equal(Environment.SystemPageSize, pool.BufferSize);
        AioBuffer a = pool.Rent();
        AioBuffer b = pool.Rent();
        Assert.Equal(2, pool.Outstanding);
        nint aAddress = a.Address;
        pool.Return(a);
        pool.Return(b);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(1, pool.Retained);
        Assert.True(b.IsDisposed);
        Assert.Equal(aAddress, pool.Rent().Address);
        Assert.Equal(1, pool.Outstanding);
        Assert.Throws<InvalidOperationException>(pool.Dispose);
    }

    [Fact]
    public void Pool_RefusesADoubleReturn_AndAForeignBuffer()
    {
        using var pool = new AioBufferPool(4096);
        using var other = new AioBufferPool(4096);
        AioBuffer buffer = pool.Rent();
        Assert.Equal("buffer", Assert.Throws<ArgumentException>(() => other.Return(buffer)).ParamName);
        using var stray = AioBuffer.Allocate(4096);
        Assert.Throws<ArgumentException>(() => pool.Return(stray));
        pool.Return(buffer);
        Assert.Contains("already returned", Assert.Throws<InvalidOperationException>(() => pool.Return(buffer)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pool_RefusesABufferTheKernelStillHolds()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        using (var pool = new AioBufferPool(4096))
        using (var context = new AioContext(1))
        using (var block = new AioBlock())
        {
            AioBuffer buffer = pool.Rent();
            block.PrepareWrite(writeEnd, buffer, 10, 0);
            Assert.Equal(1, context.Submit([block]));
            var events = new AioEvent[1];

            // A pipe write completes at once, but until the event is reaped the block holds the buffer.
            var e = Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));
            Assert.Contains("still used by 1 submitted AIO block", e.Message, StringComparison.Ordinal);
            Assert.Equal(1, context.GetEvents(1, events, TimeSpan.FromSeconds(10)));
            Assert.Equal(10, events[0].Result);
            pool.Return(buffer);
            Assert.Equal(0, pool.Outstanding);
        }
    }

    [Fact]
    public void Pool_DisposedWithBuffersOut_SaysHowManyWereNotReturned()
    {
        var pool = new AioBufferPool(4096);
        pool.Rent();
        pool.Rent();
        AioBuffer returned = pool.Rent();
        pool.Return(returned);
        var e = Assert.Throws<InvalidOperationException>(pool.Dispose);
        Assert.StartsWith("2 buffer(s) of 4096 bytes", e.Message, StringComparison.Ordinal);
        Assert.True(returned.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public void Pool_RefusesBadArguments()
    {
        Assert.Equal("bufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new AioBufferPool(0)).ParamName);
        Assert.Equal("maxRetained", Assert.Throws<ArgumentOutOfRangeException>(() => new AioBufferPool(1, -1)).ParamName);
    }
}
