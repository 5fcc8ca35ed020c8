using System.Diagnostics;
using System.Text.Json;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// Proves the rig with the kernel's own functions (usb_f_ss_lb) and real host tools (lsusb, pyusb):
/// configfs composition, binding to dummy_udc.0, enumeration at each speed, descriptors, strings and bulk data.
/// </summary>
public sealed class KernelFunctionTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Theory]
    [InlineData(GadgetVmSpeed.High, 480, "0x0200  1x 512 bytes")]
    [InlineData(GadgetVmSpeed.Super, 5000, "0x0400  1x 1024 bytes")]
    public async Task Loopback_EnumeratesAtTheBusSpeed_AndLsusbReadsItsDescriptorsWithoutComplaint(GadgetVmSpeed speed, int expectedMbps, string expectedMaxPacket)
    {
        await Vm.SetSpeedAsync(speed);
        GuestProcess gadget = await KernelGadget.StartAsync(Vm, "lsusb", 0x0002, "Loopback");

        GuestUsbDevice device = await Vm.WaitForDeviceAsync(KernelGadget.VendorId, 0x0002, gadget: gadget);
        GuestCommandResult lsusb = await Vm.RunAsync($"lsusb -v -d {device.LsusbId}");

        Assert.Equal(expectedMbps, device.SpeedMbps);
        Assert.True(lsusb.ExitCode == 0 && lsusb.StandardError.Length == 0, lsusb.Describe());
        string text = lsusb.StandardOutput;
        Assert.Contains($"iManufacturer           1 {KernelGadget.Manufacturer}", text, StringComparison.Ordinal);
        Assert.Contains($"iProduct                2 {KernelGadget.Product}", text, StringComparison.Ordinal);
        Assert.Contains($"iSerial                 3 {KernelGadget.Serial}", text, StringComparison.Ordinal);
        Assert.Contains("iConfiguration          4 Loopback configuration", text, StringComparison.Ordinal);
        AssertOccurs(2, text, "Transfer Type            Bulk");
        AssertOccurs(2, text, $"wMaxPacketSize     {expectedMaxPacket}");
        if (speed == GadgetVmSpeed.Super)
        {
            Assert.Contains("bcdUSB               3.", text, StringComparison.Ordinal);
            AssertOccurs(2, text, "bMaxBurst"); // lsusb folds each SuperSpeed endpoint companion into its endpoint
            Assert.Contains("Binary Object Store Descriptor", text, StringComparison.Ordinal);
            Assert.Contains("SuperSpeed USB Device Capability", text, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("bcdUSB               2.00", text, StringComparison.Ordinal);
            Assert.DoesNotContain("bMaxBurst", text, StringComparison.Ordinal);
        }

        await KernelGadget.StopAndAssertRemovedAsync(gadget);
        GuestCommandResult gone = await Vm.RunAsync($"lsusb -d {device.LsusbId}");
        Assert.NotEqual(0, gone.ExitCode);
    }

    [Fact]
    public async Task Strings_InEnglishAndGerman_ReadBackByPyusbInEachLanguage()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        GuestProcess gadget = await KernelGadget.StartAsync(Vm, "strings", 0x0003, "Loopback");
        await Vm.WaitForDeviceAsync(KernelGadget.VendorId, 0x0003, gadget: gadget);

        GuestCommandResult result = (await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Path.Combine(AppContext.BaseDirectory, "vm", "usb_strings.py"), "1209", "0003"))).EnsureSuccess();

        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        int[] langids = json.RootElement.GetProperty("langids").EnumerateArray().Select(e => e.GetInt32()).Order().ToArray();
        Assert.Equal([0x0407, 0x0409], langids);
        JsonElement english = json.RootElement.GetProperty("strings").GetProperty("0x0409");
        JsonElement german = json.RootElement.GetProperty("strings").GetProperty("0x0407");
        Assert.Equal(KernelGadget.Manufacturer, english.GetProperty("manufacturer").GetString());
        Assert.Equal(KernelGadget.Product, english.GetProperty("product").GetString());
        Assert.Equal(KernelGadget.Serial, english.GetProperty("serial").GetString());
        Assert.Equal(KernelGadget.ManufacturerGerman, german.GetProperty("manufacturer").GetString());
        Assert.Equal(KernelGadget.ProductGerman, german.GetProperty("product").GetString());
        await KernelGadget.StopAndAssertRemovedAsync(gadget);
    }

    [Theory]
    [InlineData(GadgetVmSpeed.High, 16)]
    [InlineData(GadgetVmSpeed.Super, 32)]
    public async Task Loopback_EchoesSeededRandomBulkDataByteForByte(GadgetVmSpeed speed, int mebibytes)
    {
        await Vm.SetSpeedAsync(speed);
        ushort productId = (ushort)(speed == GadgetVmSpeed.Super ? 0x0005 : 0x0004);
        GuestProcess gadget = await KernelGadget.StartAsync(Vm, "loop", productId, "Loopback", german: false, "qlen=32", "bulk_buflen=16384");
        await Vm.WaitForDeviceAsync(KernelGadget.VendorId, productId, gadget: gadget);
        var stopwatch = Stopwatch.StartNew();

        GuestCommandResult result = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Path.Combine(AppContext.BaseDirectory, "vm", "loopback_check.py"),
                "1209", $"{productId:x4}", $"{mebibytes << 20}", "65536", "20261125"),
            TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, $"Loopback data check failed.{Environment.NewLine}{result.Describe()}{gadget.DescribeOutput()}");
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(mebibytes << 20, json.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal(speed == GadgetVmSpeed.Super ? 1024 : 512, json.RootElement.GetProperty("outMaxPacket").GetInt32());
        Fixture.Log($"loopback {speed}: {mebibytes} MiB in {json.RootElement.GetProperty("seconds")} s " +
            $"({json.RootElement.GetProperty("megabytesPerSecond")} MB/s each way, pyusb synchronous 64 KiB), {stopwatch.Elapsed.TotalSeconds:0.0} s with python start-up");
        await KernelGadget.StopAndAssertRemovedAsync(gadget);
    }

    private static void AssertOccurs(int expected, string text, string value) =>
        Assert.True(CountOccurrences(text, value) == expected, $"Expected \"{value}\" {expected} times in:{Environment.NewLine}{text}");

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
