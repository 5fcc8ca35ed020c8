namespace UsbGadget.Cli.Tests;

/// <summary>
/// usbgadget describe runs the app with UsbGadget__DescribeTo set and prints what it wrote. A shell stands in for the app
/// here; the hosting side is specified in UsbGadget.Hosting.Tests and the whole in the VM against lsusb.
/// </summary>
public sealed class DescribeTests : IDisposable
{
    private readonly FakeBoard _board = new(udcs: "dummy_udc.0");

    public void Dispose() => _board.Dispose();

    [Fact]
    public void Describe_PrintsWhatTheAppWroteToTheFileItWasGiven()
    {
        (int exitCode, string output, string error) = _board.Run("describe", "/bin/sh", "-c", "echo 'Device Descriptor:' > \"$UsbGadget__DescribeTo\"; echo 'info: log line'");

        Assert.Equal((0, "Device Descriptor:\n", ""), (exitCode, output, error));
    }

    [Fact]
    public void AnAppThatFails_IsReportedInOneLine_WithItsLastLine()
    {
        (int exitCode, string output, string error) = _board.Run("describe", "/bin/sh", "-c", "echo 'crit: Gadget g could not start: bad settings'; exit 3");

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Equal("usbgadget describe: '/bin/sh' exited with 3 without describing its gadget; its last line: crit: Gadget g could not start: bad settings\n", error);
    }

    [Fact]
    public void AnAppThatIsNoUsbGadgetApp_IsReportedInOneLine()
    {
        (int exitCode, _, string error) = _board.Run("describe", "/bin/true");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("usbgadget describe: '/bin/true' exited without describing a gadget: it does not run UsbGadget hosting", error, StringComparison.Ordinal);
    }

    [Fact]
    public void NoApp_IsAUsageError()
    {
        (int exitCode, _, string error) = _board.Run("describe");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("usbgadget describe: name the app", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAppThatCannotStart_IsReportedInOneLine()
    {
        (int exitCode, _, string error) = _board.Run("describe", "/nonexistent/app");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("usbgadget describe: cannot start '/nonexistent/app':", error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n ", error, StringComparison.Ordinal);
    }
}
