using UsbGadget.Linux;

namespace UsbGadget.Aio.Tests;

public class ErrorTests
{
    [Theory]
    [InlineData(Errno.EAGAIN, "EAGAIN (Resource temporarily unavailable)")]
    [InlineData(Errno.ECONNRESET, "ECONNRESET (Connection reset by peer)")]
    [InlineData(Errno.ESHUTDOWN, "ESHUTDOWN (Cannot send after transport endpoint shutdown)")]
    [InlineData(Errno.None, "None (Success)")]
    [InlineData(Errno.ENOTSUPP, "ENOTSUPP (Operation not supported by the driver)")]
    public void Describe_GivesTheCNameAndTheText(Errno errno, string expected)
        => Assert.Equal(expected, errno.Describe());

    [Fact]
    public void Describe_OfAnUnnamedValue_GivesTheNumber()
        => Assert.StartsWith("errno 133 (", ((Errno)133).Describe(), StringComparison.Ordinal);

    [Fact]
    public void LinuxIOException_WithAHint_PutsTheHintAfterTheErrnoName()
    {
        var e = new LinuxIOException("io_setup(nr_events=65536)", Errno.EAGAIN, "fs.aio-max-nr reached");
        Assert.Equal("io_setup(nr_events=65536) failed: EAGAIN (fs.aio-max-nr reached)", e.Message);
        Assert.Equal("io_setup(nr_events=65536)", e.Call);
        Assert.Equal(Errno.EAGAIN, e.Errno);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void LinuxIOException_WithoutAHint_UsesTheCLibraryText()
        => Assert.Equal("close(fd 3) failed: EBADF (Bad file descriptor)", new LinuxIOException("close(fd 3)", Errno.EBADF).Message);
}
