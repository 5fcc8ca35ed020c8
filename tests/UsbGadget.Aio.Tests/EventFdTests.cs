using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

public class EventFdTests
{
    [Fact]
    public void Read_ReturnsTheSumOfWrites_AndResetsTheCounter()
    {
        using var eventFd = new EventFd(initialValue: 2, nonBlocking: true);
        eventFd.Write(3);
        eventFd.Write(5);
        Assert.Equal(10ul, eventFd.Read());
        Assert.False(eventFd.TryRead(out ulong value));
        Assert.Equal(0ul, value);
    }

    [Fact]
    public void SemaphoreMode_TakesOneAtATime()
    {
        using var eventFd = new EventFd(initialValue: 2, nonBlocking: true, semaphore: true);
        Assert.Equal(1ul, eventFd.Read());
        Assert.Equal(1ul, eventFd.Read());
        Assert.False(eventFd.TryRead(out _));
    }

    [Fact]
    public void Read_OnAnEmptyNonBlockingEventFd_ThrowsEagainSayingWhy()
    {
        using var eventFd = new EventFd(nonBlocking: true);
        var e = Assert.Throws<LinuxIOException>(() => eventFd.Read());
        Assert.Equal(Errno.EAGAIN, e.Errno);
        Assert.Contains("the counter is 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OnABlockingEventFd_WaitsForAWriteFromAnotherThread()
    {
        using var eventFd = new EventFd();
        ulong value = 0;
        var reader = new Thread(() => value = eventFd.Read());
        reader.Start();
        Assert.False(reader.Join(50));
        eventFd.Write(7);
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(7ul, value);
    }

    [Fact]
    public void Write_OfUlongMaxValue_IsRefusedBeforeTheKernel()
    {
        using var eventFd = new EventFd(nonBlocking: true);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => eventFd.Write(ulong.MaxValue)).ParamName);
    }

    [Fact]
    public void Write_ThatWouldOverflowANonBlockingCounter_FailsWithEagain()
    {
        using var eventFd = new EventFd(nonBlocking: true);
        eventFd.Write(ulong.MaxValue - 1);
        Assert.Equal(Errno.EAGAIN, Assert.Throws<LinuxIOException>(() => eventFd.Write(1)).Errno);
    }

    [Fact]
    public void Handle_IsAnOpenDescriptor_ClosedByDispose()
    {
        var eventFd = new EventFd();
        Assert.False(eventFd.Handle.IsInvalid);
        Assert.True(eventFd.Fd >= 0);
        eventFd.Dispose();
        Assert.True(eventFd.Handle.IsClosed);
    }
}
