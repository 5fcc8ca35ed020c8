using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

public class KernelReleaseTests
{
    [Theory]
    [InlineData("6.1.0-27-amd64", "6.1.0")]
    [InlineData("6.18.44-fc-v782", "6.18.44")]
    [InlineData("5.15.0-1034-raspi", "5.15.0")]
    [InlineData("5.16", "5.16")]
    [InlineData("4.19.94-ti-r42", "4.19.94")]
    [InlineData("6.6.51+rpt-rpi-v8", "6.6.51")]
    public void TryParse_reads_the_leading_version(string release, string expected)
    {
        Assert.True(KernelRelease.TryParse(release, out Version version));
        Assert.Equal(Version.Parse(expected), version);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("6")]
    [InlineData("linux")]
    [InlineData("6.")]
    [InlineData(".6.1")]
    [InlineData("99999999999.1")]
    public void TryParse_refuses_what_has_no_major_and_minor(string? release)
    {
        Assert.False(KernelRelease.TryParse(release, out _));
    }

    [Theory]
    [InlineData("5.15.0-1034-raspi", Ep0WaitStrategy.BlockingRead)]
    [InlineData("5.16.0", Ep0WaitStrategy.EventFd)]
    [InlineData("6.1.0-27-amd64", Ep0WaitStrategy.EventFd)]
    [InlineData("garbage", Ep0WaitStrategy.BlockingRead)]
    public void Auto_uses_the_eventfd_only_from_5_16(string release, Ep0WaitStrategy expected)
    {
        byte[] v2 = [3, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(expected, FunctionFsFunction.ResolveStrategy(Ep0WaitStrategy.Auto, release, v2));
    }

    [Fact]
    public void Auto_falls_back_to_blocking_reads_for_a_legacy_v1_blob()
    {
        byte[] v1 = [1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(Ep0WaitStrategy.BlockingRead, FunctionFsFunction.ResolveStrategy(Ep0WaitStrategy.Auto, "6.1.0", v1));
        Assert.Throws<ArgumentException>(() => FunctionFsFunction.ResolveStrategy(Ep0WaitStrategy.EventFd, "6.1.0", v1));
    }

    [Fact]
    public void An_explicit_strategy_is_kept()
    {
        byte[] v2 = [3, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(Ep0WaitStrategy.BlockingRead, FunctionFsFunction.ResolveStrategy(Ep0WaitStrategy.BlockingRead, "6.1.0", v2));
        Assert.Equal(Ep0WaitStrategy.EventFd, FunctionFsFunction.ResolveStrategy(Ep0WaitStrategy.EventFd, "5.10.0", v2));
    }
}
