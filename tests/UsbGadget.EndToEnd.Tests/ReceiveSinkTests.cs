using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// <c>OutEndpoint.ReceiveAsync</c> against the real kernel's FunctionFS: the benchmark gadget's sink
/// (tests/UsbGadget.Benchmarks.Gadget) receives with it, and pyusb on the host writes to it.
/// </summary>
public sealed partial class ReceiveSinkTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0107;

    // The host never reads IN, so the gadget's source sends this many transfers per enable cycle and then waits.
    private const int InQueueDepth = 2;

    private const string Writer = """
        import sys, usb.core, usb.util
        device = usb.core.find(idVendor=0x1d6b, idProduct=0x0107)
        # The UDC assigns endpoint addresses: find the bulk OUT endpoint rather than assume one.
        interface = device.get_active_configuration()[(0, 0)]
        out = usb.util.find_descriptor(interface, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
        count = int(sys.argv[1])
        for i in range(count):
            out.write(bytes([i & 0xff]) * 4096, timeout=5000)
        print(f"wrote {count}")
        """;

    [Fact]
    public async Task A_sink_on_ReceiveAsync_takes_every_transfer_the_host_writes_and_receives_again_after_a_reconnect()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.Super);
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(Sample.RepositoryRoot, "tests", "UsbGadget.Benchmarks.Gadget", "bin", configuration, "net10.0", "UsbGadget.Benchmarks.Gadget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built: run 'dotnet build tests/UsbGadget.Benchmarks.Gadget -c {configuration}'.");
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(dll)! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Benchmark__Mode"] = "source-sink";
        options.Environment["Benchmark__StatsFile"] = "/tmp/receive-sink-stats";
        options.Environment["UsbGadget__InQueueDepth"] = $"{InQueueDepth}";
        options.Environment["UsbGadget__OutTransferSize"] = "4096";
        await using GuestProcess gadget = Vm.StartProcess(GuestShell.Join("dotnet", dll), options);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        await WriteAsync(1000, gadget);
        long first = await WaitForTransfersAsync(atLeast: 1000, gadget);
        Assert.InRange(first, 1000, 1000 + InQueueDepth);

        // Unplugged and plugged in again: the receive ends with Disabled and the function's next run receives anew.
        GuestCommandResult cycle = await Vm.RunAsync(
            "udc=/sys/kernel/config/usb_gadget/usbbench/UDC; name=$(cat $udc); echo > $udc; sleep 1; echo $name > $udc");
        Assert.True(cycle.ExitCode == 0, cycle.Describe());
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);
        await WriteAsync(500, gadget);
        long second = await WaitForTransfersAsync(atLeast: first + 500, gadget);
        Assert.InRange(second, first + 500, first + 500 + InQueueDepth);

        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    private async Task WriteAsync(int count, GuestProcess gadget)
    {
        GuestCommandResult written = await Vm.RunPythonAsync(Writer, [$"{count}"], TimeSpan.FromMinutes(2));
        Assert.True(written.ExitCode == 0 && written.StandardOutput.Contains($"wrote {count}", StringComparison.Ordinal),
            $"pyusb could not write to the sink.{Environment.NewLine}{written.Describe()}{gadget.DescribeOutput()}");
    }

    /// <summary>The gadget's transfer count (OUT reads plus IN sends) from its stats file, once it reaches <paramref name="atLeast"/>.</summary>
    private async Task<long> WaitForTransfersAsync(long atLeast, GuestProcess gadget)
    {
        long transfers = -1;
        for (int attempt = 0; attempt < 20 && transfers < atLeast; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            GuestCommandResult stats = await Vm.RunAsync("tail -n 1 /tmp/receive-sink-stats");
            Match match = TransfersLine().Match(stats.StandardOutput);
            transfers = match.Success ? long.Parse(match.Groups[1].Value) : -1;
        }

        Assert.True(transfers >= atLeast, $"the sink counted {transfers} transfers, not at least {atLeast}.{Environment.NewLine}{gadget.DescribeOutput()}");
        return transfers;
    }

    [GeneratedRegex(@"transfers=(\d+)")]
    private static partial Regex TransfersLine();
}
