using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// <c>OutEndpoint.ReceiveAsync</c> against the real kernel's FunctionFS: the benchmark gadget's sink
/// (tests/UsbGadget.Benchmarks.Gadget) receives with it, and pyusb on the host writes to it.
/// </summary>
public sealed class ReceiveSinkTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const string StatsFile = "/tmp/receive-sink-stats";

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
        await using GuestProcess gadget = await BenchmarkGadget.StartAsync(
            Vm, StatsFile, ("Benchmark__Mode", "source-sink"), ("UsbGadget__Endpoints__InQueueDepth", $"{InQueueDepth}"), ("UsbGadget__Endpoints__OutTransferSize", "4096"));

        await WriteAsync(1000, gadget);
        long first = await BenchmarkGadget.WaitForTransfersAsync(Vm, StatsFile, atLeast: 1000, gadget);
        Assert.InRange(first, 1000, 1000 + InQueueDepth);

        // Unplugged and plugged in again: the receive ends with Disabled and the function's next run receives anew.
        await BenchmarkGadget.ReconnectAsync(Vm, gadget);
        await WriteAsync(500, gadget);
        long second = await BenchmarkGadget.WaitForTransfersAsync(Vm, StatsFile, atLeast: first + 500, gadget);
        Assert.InRange(second, first + 500, first + 500 + InQueueDepth);

        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    private async Task WriteAsync(int count, GuestProcess gadget)
    {
        GuestCommandResult written = await Vm.RunPythonAsync(Writer, [$"{count}"], TimeSpan.FromMinutes(2));
        Assert.True(written.ExitCode == 0 && written.StandardOutput.Contains($"wrote {count}", StringComparison.Ordinal),
            $"pyusb could not write to the sink.{Environment.NewLine}{written.Describe()}{gadget.DescribeOutput()}");
    }
}
