using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The HidEcho sample against the host kernel's own HID stack (usbhid + hidraw): output reports the host writes travel
/// on the interrupt OUT endpoint and come back as input reports, and the feature report is read and set with
/// GET_REPORT/SET_REPORT, all through gadgets/HidEcho/host/echo.py. This proves the HID helper's report IDs, OUT
/// endpoint and feature reports, which the keyboard does not use.
/// </summary>
public sealed class HidEchoSampleTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task OutputReports_ComeBackAsInputReports_AndTheFeatureReportCountsThem()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "HidEcho", SampleBuild.Jit);
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(0x1d6b, 0x0110, TimeSpan.FromSeconds(90), gadget);
        string usbInterface = device.SysfsPath.Split('/')[^1] + ":1.0";
        // usbhid binds the interface, and hidraw creates its node, shortly after enumeration.
        await Vm.RunAsync($"for i in $(seq 100); do ls /sys/bus/usb/devices/{usbInterface}/*/hidraw 2>/dev/null && break; sleep 0.1; done");

        GuestCommandResult first = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("HidEcho", "echo.py"), "--reset", "--count", "20", "hello, HID"), TimeSpan.FromMinutes(2));
        Assert.True(first.ExitCode == 0, $"{first.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("echoed 20: hello, HID", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("counter 20", first.StandardOutput, StringComparison.Ordinal);

        // The counter lives on in the gadget between host programs, and SET_REPORT(Feature) is what reset it.
        GuestCommandResult second = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("HidEcho", "echo.py"), "--count", "5", "again"), TimeSpan.FromMinutes(2));
        Assert.True(second.ExitCode == 0, $"{second.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("counter 25", second.StandardOutput, StringComparison.Ordinal);

        GuestCommandResult driver = await Vm.RunAsync($"readlink /sys/bus/usb/devices/{usbInterface}/driver");
        Assert.EndsWith("usbhid", driver.StandardOutput.Trim(), StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
