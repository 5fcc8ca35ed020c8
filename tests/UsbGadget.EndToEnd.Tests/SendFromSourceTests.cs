using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// <c>InEndpoint.SendFromAsync</c> against the real kernel's FunctionFS: the benchmark gadget's source
/// (tests/UsbGadget.Benchmarks.Gadget) sends with it, and pyusb on the host reads from it.
/// </summary>
public sealed partial class SendFromSourceTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0107;

    // Shorter than a packet at every speed, so each of the source's writes ends one host transfer.
    private const int WriteSize = 300;

    private const string Reader = """
        import sys, usb.core, usb.util
        device = usb.core.find(idVendor=0x1d6b, idProduct=0x0107)
        interface = device.get_active_configuration()[(0, 0)]
        source = usb.util.find_descriptor(interface, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
        count, size = int(sys.argv[1]), int(sys.argv[2])
        lengths = set()
        for i in range(count):
            lengths.add(len(source.read(4096, timeout=5000)))
        print(f"read {count} lengths {sorted(lengths)}")
        """;

    [Fact]
    public async Task A_source_on_SendFromAsync_fills_every_transfer_the_host_reads_and_sends_again_after_a_reconnect()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.Super);
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(Sample.RepositoryRoot, "tests", "UsbGadget.Benchmarks.Gadget", "bin", configuration, "net10.0", "UsbGadget.Benchmarks.Gadget.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built: run 'dotnet build tests/UsbGadget.Benchmarks.Gadget -c {configuration}'.");
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(dll)! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Benchmark__Mode"] = "source-sink";
        options.Environment["Benchmark__WriteSize"] = $"{WriteSize}";
        options.Environment["Benchmark__StatsFile"] = "/tmp/send-from-stats";
        options.Environment["UsbGadget__InQueueDepth"] = "4";
        await using GuestProcess gadget = Vm.StartProcess(GuestShell.Join("dotnet", dll), options);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        await ReadAsync(1000, gadget);

        // Unplugged and plugged in again: the run ends with Disabled and the function's next run sends anew.
        GuestCommandResult cycle = await Vm.RunAsync(
            "udc=/sys/kernel/config/usb_gadget/usbbench/UDC; name=$(cat $udc); echo > $udc; sleep 1; echo $name > $udc");
        Assert.True(cycle.ExitCode == 0, cycle.Describe());
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);
        await ReadAsync(500, gadget);

        // Every buffer the source filled was read, or is one of the few still queued (1,500 reads, up to 4 in flight per cycle).
        long filled = await ReadTransfersAsync();
        Assert.InRange(filled, 1500, 1500 + (2 * 4));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    private async Task ReadAsync(int count, GuestProcess gadget)
    {
        GuestCommandResult read = await Vm.RunPythonAsync(Reader, [$"{count}", $"{WriteSize}"], TimeSpan.FromMinutes(2));
        Assert.True(read.ExitCode == 0 && read.StandardOutput.Contains($"read {count} lengths [{WriteSize}]", StringComparison.Ordinal),
            $"pyusb could not read {count} transfers of {WriteSize} bytes from the source.{Environment.NewLine}{read.Describe()}{gadget.DescribeOutput()}");
    }

    /// <summary>The gadget's transfer count (OUT reads plus IN fills) from its stats file, once it has settled.</summary>
    private async Task<long> ReadTransfersAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the stats file is written once a second
        GuestCommandResult stats = await Vm.RunAsync("tail -n 1 /tmp/send-from-stats");
        Match match = TransfersLine().Match(stats.StandardOutput);
        Assert.True(match.Success, $"no transfer count in the stats file.{Environment.NewLine}{stats.Describe()}");
        return long.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex(@"transfers=(\d+)")]
    private static partial Regex TransfersLine();
}
