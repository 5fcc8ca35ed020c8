using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// <c>InEndpoint.SendFromAsync</c> against the real kernel's FunctionFS: the benchmark gadget's source
/// (tests/UsbGadget.Benchmarks.Gadget) sends with it, and pyusb on the host reads from it.
/// </summary>
public sealed class SendFromSourceTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const string StatsFile = "/tmp/send-from-stats";
    private const int InQueueDepth = 4;

    // Shorter than a packet at every speed, so each of the source's writes ends one host transfer.
    private const int WriteSize = 300;

    private const string Reader = """
        import sys, usb.core, usb.util
        device = usb.core.find(idVendor=0x1d6b, idProduct=0x0107)
        interface = device.get_active_configuration()[(0, 0)]
        source = usb.util.find_descriptor(interface, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
        count = int(sys.argv[1])
        lengths = set()
        for i in range(count):
            lengths.add(len(source.read(4096, timeout=5000)))
        print(f"read {count} lengths {sorted(lengths)}")
        """;

    [Fact]
    public async Task A_source_on_SendFromAsync_fills_every_transfer_the_host_reads_and_sends_again_after_a_reconnect()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.Super);
        await using GuestProcess gadget = await BenchmarkGadget.StartAsync(
            Vm, StatsFile, ("Benchmark__Mode", "source-sink"), ("Benchmark__WriteSize", $"{WriteSize}"), ("UsbGadget__Endpoints__InQueueDepth", $"{InQueueDepth}"));

        await ReadAsync(1000, gadget);

        // Unplugged and plugged in again: the run ends with Disabled and the function's next run sends anew.
        await BenchmarkGadget.ReconnectAsync(Vm, gadget);
        await ReadAsync(500, gadget);

        // Every buffer the source filled was read, or is one of the few still queued in either enable cycle.
        long filled = await BenchmarkGadget.WaitForTransfersAsync(Vm, StatsFile, atLeast: 1500, gadget);
        Assert.InRange(filled, 1500, 1500 + (2 * InQueueDepth));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    private async Task ReadAsync(int count, GuestProcess gadget)
    {
        GuestCommandResult read = await Vm.RunPythonAsync(Reader, [$"{count}"], TimeSpan.FromMinutes(2));
        Assert.True(read.ExitCode == 0 && read.StandardOutput.Contains($"read {count} lengths [{WriteSize}]", StringComparison.Ordinal),
            $"pyusb could not read {count} transfers of {WriteSize} bytes from the source.{Environment.NewLine}{read.Describe()}{gadget.DescribeOutput()}");
    }
}
