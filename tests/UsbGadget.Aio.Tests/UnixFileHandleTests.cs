using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

public sealed class UnixFileHandleTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Open_AMissingFile_ThrowsEnoentNamingThePath()
    {
        string path = Path.Combine(_scratch.Path, "missing");
        var e = Assert.Throws<LinuxIOException>(() => UnixFileHandle.Open(path, OpenFlags.ReadOnly));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal($"open(\"{path}\", ReadOnly)", e.Call);
        Assert.Equal($"open(\"{path}\", ReadOnly) failed: ENOENT (No such file or directory)", e.Message);
    }

    [Fact]
    public void Open_CreateExclusive_OnAnExistingFile_ThrowsEexist()
    {
        string path = _scratch.NewFile("exists");
        var e = Assert.Throws<LinuxIOException>(() => UnixFileHandle.Open(path, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive, 0x1B6));
        Assert.Equal(Errno.EEXIST, e.Errno);
    }

    [Fact]
    public void Open_RefusesBadArgumentsBeforeTheKernel()
    {
        Assert.Throws<ArgumentNullException>(() => UnixFileHandle.Open(null!, OpenFlags.ReadOnly));
        Assert.Throws<ArgumentException>(() => UnixFileHandle.Open("", OpenFlags.ReadOnly));
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => UnixFileHandle.Open("/x", OpenFlags.ReadOnly, -1)).ParamName);
    }

    [Fact]
    public void WriteThenRead_RoundTripsThroughTheFile()
    {
        string path = Path.Combine(_scratch.Path, "rw");
        using (var file = UnixFileHandle.Open(path, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate, 0x1A4))
        {
            Assert.Equal(5, file.Write("hello"u8));
        }

        using var reader = UnixFileHandle.Open(path, OpenFlags.ReadOnly);
        var buffer = new byte[16];
        Assert.Equal(5, reader.Read(buffer));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.Equal(0, reader.Read(buffer));
    }

    [Fact]
    public void TryRead_OnAnEmptyNonBlockingPipe_ReturnsEagainWithoutThrowing()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe(nonBlocking: true);
        using (readEnd)
        using (writeEnd)
        {
            Assert.Equal(Errno.EAGAIN, readEnd.TryRead(new byte[1], out int read));
            Assert.Equal(0, read);
            var e = Assert.Throws<LinuxIOException>(() => readEnd.Read(new byte[1]));
            Assert.Equal(Errno.EAGAIN, e.Errno);
            Assert.StartsWith($"read(fd {readEnd.Fd} \"pipe (read end)\", count=1) failed: EAGAIN", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryWrite_ToAPipeWithoutReader_ReturnsEpipe()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (writeEnd)
        {
            readEnd.Dispose();
            Assert.Equal(Errno.EPIPE, writeEnd.TryWrite([1], out int written));
            Assert.Equal(0, written);
        }
    }

    [Fact]
    public void Ioctl_ThatTheFileDoesNotSupport_FailsWithEnottyAndAHint()
    {
        using var file = UnixFileHandle.Open(_scratch.NewFile("f"), OpenFlags.ReadOnly);
        const nuint UnknownRequest = 0x4004_ffee;
        Assert.Equal(Errno.ENOTTY, file.TryIoctl(UnknownRequest, 0, out int result));
        Assert.Equal(-1, result);
        var e = Assert.Throws<LinuxIOException>(() => file.Ioctl(UnknownRequest, 0));
        Assert.Equal(Errno.ENOTTY, e.Errno);
        Assert.Contains("request=0x4004ffee", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not support that ioctl", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ioctl_Fionread_ReportsBytesWaitingInAPipe()
    {
        const nuint FIONREAD = 0x541B; // the same on x86 and arm
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        using (writeEnd)
        {
            writeEnd.Write([1, 2, 3]);
            unsafe
            {
                int available = 0;
                Assert.Equal(0, readEnd.Ioctl(FIONREAD, (nint)(&available)));
                Assert.Equal(3, available);
            }
        }
    }

    [Fact]
    public void Dispose_ClosesTheDescriptor_UnlessItIsNotOwned()
    {
        var (readEnd, writeEnd) = UnixFileHandle.CreatePipe();
        using (readEnd)
        {
            var borrowed = new UnixFileHandle(writeEnd.Fd, ownsHandle: false);
            borrowed.Dispose();
            Assert.Equal(Errno.None, writeEnd.TryWrite([1], out _));
            writeEnd.Dispose();
            Assert.True(writeEnd.IsClosed);

            // With the only write end closed, the reader gets the byte and then end of file.
            var buffer = new byte[4];
            Assert.Equal(1, readEnd.Read(buffer));
            Assert.Equal(0, readEnd.Read(buffer));
        }
    }
}
