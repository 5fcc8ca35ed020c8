using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Cli;

/// <summary>
/// <c>usbgadget describe</c> (the NativeAOT tool) against the real thing: what it prints for the BulkLoopback sample
/// with a serial port and a keyboard beside its FunctionFS function, before any gadget exists, matches field by field
/// what <c>lsusb -v</c> shows once the same app runs and the host has enumerated it.
/// </summary>
public sealed class DescribeTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private static readonly (string Name, string Value)[] s_settings =
    [
        ("UsbGadget__SerialNumber", "describe-0001"),
        ("UsbGadget__KernelFunctions__Serial__0__Name", "console"),
        ("UsbGadget__KernelFunctions__HidDevices__0__Name", "keys"),
        ("UsbGadget__KernelFunctions__HidDevices__0__Protocol", "1"),
        ("UsbGadget__KernelFunctions__HidDevices__0__SubClass", "1"),
        ("UsbGadget__KernelFunctions__HidDevices__0__ReportDescriptor",
            "05 01 09 06 a1 01 05 07 19 e0 29 e7 15 00 25 01 75 01 95 08 81 02 95 01 75 08 81 03 95 06 75 08 15 00 25 65 05 07 19 00 29 65 81 00 c0"),
    ];

    // The fields that say what the host gets; class names and other prose differ between lsusb's usb.ids and the tool.
    private static readonly Dictionary<string, string[]> s_fields = new(StringComparer.Ordinal)
    {
        ["Device Descriptor:"] = ["bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol", "bMaxPacketSize0", "idVendor", "idProduct", "bcdDevice", "iManufacturer", "iProduct", "iSerial", "bNumConfigurations"],
        ["Configuration Descriptor:"] = ["wTotalLength", "bNumInterfaces", "bConfigurationValue", "iConfiguration", "bmAttributes", "MaxPower"],
        ["Interface Association:"] = ["bFirstInterface", "bInterfaceCount", "bFunctionClass", "bFunctionSubClass", "bFunctionProtocol", "iFunction"],
        ["Interface Descriptor:"] = ["bInterfaceNumber", "bAlternateSetting", "bNumEndpoints", "bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol", "iInterface"],
        ["Endpoint Descriptor:"] = ["bEndpointAddress", "bmAttributes", "wMaxPacketSize", "bInterval"],
    };

    private static readonly string[] s_stringFields = ["iManufacturer", "iProduct", "iSerial", "iConfiguration", "iFunction", "iInterface"];

    /// <summary>"Section field value" per line, in order: the value's first word, or for a string index the index and the string.</summary>
    internal static List<string> Fields(string lsusb)
    {
        var fields = new List<string>();
        string? section = null;
        foreach (string raw in lsusb.Split('\n'))
        {
            string line = raw.Trim();
            if (line.EndsWith(':'))
            {
                section = s_fields.ContainsKey(line) ? line : null;
                continue;
            }
            string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (section is null || words.Length < 2 || !s_fields[section].Contains(words[0]))
            {
                continue;
            }
            string value = words[1].Trim();
            fields.Add($"{section} {words[0]} {(s_stringFields.Contains(words[0]) ? value : value.Split(' ')[0])}");
        }
        return fields;
    }

    [Fact]
    public async Task Describe_BeforeTheGadgetExists_ShowsWhatLsusbShowsOnceItRuns()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        (string command, GuestCommandOptions options) = Sample.Command("BulkLoopback", SampleBuild.Jit, s_settings);
        options.Timeout = TimeSpan.FromMinutes(3);

        GuestCommandResult described = await Vm.RunAsync(GuestShell.Join([UsbGadgetTool.Executable, "describe", "dotnet", Sample.Dll("BulkLoopback")]), options);

        Assert.True(described.ExitCode == 0, described.Describe());
        Assert.Equal("", (await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/")).StandardOutput.Trim());
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit, stdinCommand: null, s_settings);
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(300), gadget);
        GuestCommandResult lsusb = await Vm.RunAsync($"lsusb -v -d {device.LsusbId}");
        Assert.True(lsusb.ExitCode == 0, lsusb.Describe());

        List<string> expected = Fields(lsusb.StandardOutput), actual = Fields(described.StandardOutput);
        Assert.True(expected.Count > 60, lsusb.StandardOutput);
        Assert.True(expected.SequenceEqual(actual),
            $"describe and lsusb differ:{Environment.NewLine}{string.Join(Environment.NewLine, expected.Zip(actual).Where(p => p.First != p.Second).Take(10).Select(p => $"lsusb: {p.First}  describe: {p.Second}"))}"
            + $"{Environment.NewLine}counts {expected.Count} / {actual.Count}{Environment.NewLine}--- describe:{Environment.NewLine}{described.StandardOutput}{Environment.NewLine}--- lsusb:{Environment.NewLine}{lsusb.StandardOutput}");
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
