using System.Text.Json;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// A host that sends garbage on ep0: thousands of random control requests, IN and OUT, up to 4096 bytes. Every one is
/// answered or stalled in time, and the gadget keeps working afterwards.
/// </summary>
/// <remarks>
/// The emulated controller loses about one stall in 10,000-30,000 (dummy_hcd sets its halt bit without its lock; see
/// tests/vm/hostile_control.py). A request that timed out counts as such a lost stall only when the kernel's
/// usb_ep_set_halt tracepoint shows the gadget halted ep0 for it; any other timeout fails the test.
/// </remarks>
[Trait("Category", "Reliability")]
public sealed class HostileControlRequestTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task TenThousandRandomControlRequests_AreEachAnsweredOrStalled_AndTheLoopbackStillWorks()
    {
        await using GuestProcess gadget = await Drill.StartLoopbackAsync(Vm);

        GuestCommandResult hostile = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", VmScript("hostile_control.py"), "1d6b", "0105", $"{ReliabilityProfile.Current.HostileRequests}", "20261126"), TimeSpan.FromMinutes(10));

        Assert.True(hostile.ExitCode == 0, $"{hostile.Describe()}{gadget.DescribeOutput()}");
        using JsonDocument figures = JsonDocument.Parse(hostile.StandardOutput.Trim().Split('\n')[^1]);
        JsonElement root = figures.RootElement;
        Assert.Equal(ReliabilityProfile.Current.HostileRequests, root.GetProperty("requests").GetInt32());
        Assert.Equal(0, root.GetProperty("failures").GetInt32());
        Assert.True(root.GetProperty("answered").GetInt32() >= 500 && root.GetProperty("stalled").GetInt32() >= 5000, hostile.StandardOutput);
        Fixture.Log($"hostile control requests: {hostile.StandardOutput.Trim()}");

        GuestCommandResult after = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "2", "--seed", "7"), TimeSpan.FromMinutes(2));
        Assert.True(after.ExitCode == 0, $"the gadget stopped working after the hostile requests.{Environment.NewLine}{after.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("version: UsbGadget BulkLoopback 1.0", after.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task TenThousandRandomControlRequests_ToTheHidKeyboard_AreEachAnsweredOrStalled_AndItStillServesTheHost()
    {
        // The HID helper's ep0 answers: anything it does not recognise, or that does not fit the report descriptor, stalls.
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "HidKeyboard", SampleBuild.Jit, "sleep infinity");
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0104, TimeSpan.FromSeconds(90), gadget);

        GuestCommandResult hostile = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", VmScript("hostile_control.py"), "1d6b", "0104", $"{ReliabilityProfile.Current.HostileRequests}", "20261204"), TimeSpan.FromMinutes(10));

        Assert.True(hostile.ExitCode == 0, $"{hostile.Describe()}{gadget.DescribeOutput()}");
        using JsonDocument figures = JsonDocument.Parse(hostile.StandardOutput.Trim().Split('\n')[^1]);
        JsonElement root = figures.RootElement;
        Assert.Equal(ReliabilityProfile.Current.HostileRequests, root.GetProperty("requests").GetInt32());
        Assert.Equal(0, root.GetProperty("failures").GetInt32());
        Assert.True(root.GetProperty("stalled").GetInt32() >= ReliabilityProfile.Current.HostileRequests / 2, hostile.StandardOutput);
        Fixture.Log($"hostile control requests to the HID keyboard: {hostile.StandardOutput.Trim().Split('\n')[^1]}");

        GuestCommandResult after = await Vm.RunPythonAsync("""
            import usb.core
            d = usb.core.find(idVendor=0x1d6b, idProduct=0x0104)
            print("report descriptor", len(d.ctrl_transfer(0x81, 0x06, 0x2200, 0, 256)))
            """);
        Assert.Contains("report descriptor 63", after.EnsureSuccess().StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", gadget.StandardError, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
