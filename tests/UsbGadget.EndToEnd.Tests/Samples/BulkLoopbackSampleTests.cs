using System.Text.RegularExpressions;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The BulkLoopback sample against the real kernel's FunctionFS and USB host stack, talked to by lsusb and by its own
/// pyusb host companion (gadgets/BulkLoopback/host/loopback.py), exactly as a user would on a PC.
/// </summary>
public abstract partial class BulkLoopbackSampleTests(GadgetVmFixture fixture, SampleBuild build) : VmTestBase(fixture)
{
    /// <summary>The sample as <c>dotnet BulkLoopback.dll</c>.</summary>
    public sealed class UnderJit(GadgetVmFixture fixture) : BulkLoopbackSampleTests(fixture, SampleBuild.Jit);

    /// <summary>The sample published with NativeAOT for linux-x64.</summary>
    public sealed class AsNativeAot(GadgetVmFixture fixture) : BulkLoopbackSampleTests(fixture, SampleBuild.NativeAot);

    private GuestProcess StartSample(string? stdinCommand = null) => Sample.Start(Vm, "BulkLoopback", build, stdinCommand);

    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0105;

    [Theory]
    [InlineData(GadgetVmSpeed.High, 480, 512)]
    [InlineData(GadgetVmSpeed.Super, 5000, 1024)]
    public async Task Enumerates_WithDescriptorsLsusbParses_AndStringsInTwoLanguages(GadgetVmSpeed speed, int expectedMbps, int expectedMaxPacket)
    {
        await Vm.SetSpeedAsync(speed);
        await using GuestProcess gadget = StartSample();

        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);
        GuestCommandResult lsusb = await Vm.RunAsync($"lsusb -v -d {device.LsusbId}");

        Assert.Equal(expectedMbps, device.SpeedMbps);
        Assert.True(lsusb.ExitCode == 0 && lsusb.StandardError.Length == 0, lsusb.Describe());
        string text = lsusb.StandardOutput;
        Assert.Contains("iProduct                2 UsbGadget Bulk Loopback", text, StringComparison.Ordinal);
        Assert.True(Regex.IsMatch(text, @"bInterfaceClass\s+255\b"), text);
        Assert.Matches(@"iInterface\s+\d+ Bulk loopback", text);
        Assert.Equal(2, MaxPacketLine().Matches(text).Count(m => int.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.HexNumber) == expectedMaxPacket));
        Assert.Equal(2, Regex.Count(text, "Transfer Type\\s+Bulk"));

        GuestCommandResult german = await Vm.RunPythonAsync(
            "import usb.core, usb.util; d = usb.core.find(idVendor=0x1d6b, idProduct=0x0105); print(usb.util.get_string(d, d.iProduct, 0x0407))");
        Assert.Equal("UsbGadget Bulk-Schleife", german.EnsureSuccess().StandardOutput.Trim());

        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Theory]
    [InlineData(GadgetVmSpeed.High, 64)]
    [InlineData(GadgetVmSpeed.Super, 8)]
    public async Task EchoesRandomTransfersByteForByte_AndAnswersVendorControlRequests(GadgetVmSpeed speed, int mebibytes)
    {
        await Vm.SetSpeedAsync(speed);
        await using GuestProcess gadget = StartSample();
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        GuestCommandResult result = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", $"{mebibytes}", "--seed", "20261125"),
            TimeSpan.FromMinutes(6));

        Assert.True(result.ExitCode == 0, $"loopback.py failed.{Environment.NewLine}{result.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("version: UsbGadget BulkLoopback 1.0", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("store/read-back: ok", result.StandardOutput, StringComparison.Ordinal);
        Match verified = Regex.Match(result.StandardOutput, @"loopback: \d+ transfers, (\d+) bytes verified");
        Assert.True(verified.Success && long.Parse(verified.Groups[1].Value) >= mebibytes * 1048576L, result.StandardOutput);
        Fixture.Log($"BulkLoopback {build} {speed}: {result.StandardOutput.Trim().Split('\n')[^1]}");
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task RejectedControlRequest_Stalls_AndTheDeviceKeepsWorking()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartSample();
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        GuestCommandResult result = await Vm.RunPythonAsync("""
            import usb.core, usb.util
            d = usb.core.find(idVendor=0x1d6b, idProduct=0x0105)
            for request, direction in ((0x7f, 0xC1), (0x01, 0x41), (0x02, 0xC1)):
                try:
                    d.ctrl_transfer(direction, request, 0, 0, 16 if direction & 0x80 else b"x")
                    print("answered", hex(request))
                except usb.core.USBError as e:
                    print("stalled" if e.errno == 32 else f"error {e.errno}", hex(request))
            # Too much data for the store request: refused before the data stage.
            try:
                d.ctrl_transfer(0x41, 0x02, 0, 0, bytes(300))
                print("answered big")
            except usb.core.USBError as e:
                print("stalled big" if e.errno == 32 else f"error {e.errno}")
            print(bytes(d.ctrl_transfer(0xC1, 0x01, 0, 0, 64)).decode())
            """);

        string output = result.EnsureSuccess().StandardOutput;
        Assert.Contains("stalled 0x7f", output, StringComparison.Ordinal);
        Assert.Contains("stalled 0x1", output, StringComparison.Ordinal);
        Assert.Contains("stalled 0x2", output, StringComparison.Ordinal);
        Assert.Contains("stalled big", output, StringComparison.Ordinal);
        Assert.EndsWith("UsbGadget BulkLoopback 1.0", output.Trim(), StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task UnbindAndRebindMidTransfer_GadgetRecoversByItself_AndTheNextTransferSucceeds()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartSample();
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        // Traffic in the background, then pull the plug (unbind) and put it back while it runs.
        await using GuestProcess traffic = Vm.StartProcess(GuestShell.Join(
            "/usr/bin/python3", "-u", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "256", "--skip-control"));
        await traffic.WaitForOutputAsync("device 1d6b:0105", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        GuestCommandResult cycle = await Vm.RunAsync(
            "udc=/sys/kernel/config/usb_gadget/bulkloopback/UDC; name=$(cat $udc); echo > $udc; sleep 1; echo $name > $udc; echo rebound $name");
        Assert.True(cycle.ExitCode == 0, cycle.Describe());
        GuestCommandResult interrupted = await traffic.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, interrupted.ExitCode); // the host saw the disconnect as a failed transfer, not silent loss

        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);
        // A host-side port reset (USBDEVFS_RESET) as well. (Soft-disconnect through the UDC's soft_connect file cannot be
        // tested here: on dummy_hcd, 6.1 to 6.18, not even the kernel's own Loopback function re-enumerates after it; docs/kernels.md.)
        GuestCommandResult reset = await Vm.RunPythonAsync(
            "import usb.core; usb.core.find(idVendor=0x1d6b, idProduct=0x0105).reset(); print('reset')");
        Assert.True(reset.ExitCode == 0, reset.Describe());
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);

        GuestCommandResult after = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "4", "--seed", "3"), TimeSpan.FromMinutes(2));
        Assert.True(after.ExitCode == 0, $"the gadget did not recover.{Environment.NewLine}{after.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("enabled by the host (time 3)", gadget.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [GeneratedRegex(@"wMaxPacketSize\s+0x([0-9a-f]{4})")]
    private static partial Regex MaxPacketLine();
}
