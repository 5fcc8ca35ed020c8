using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// One <c>InEndpoint.WriteAsync</c> is one host transfer on every kernel of the matrix, checked with the BulkLoopback
/// sample (primary API: <c>ReadAsync(Memory)</c> then <c>WriteAsync</c>) and pyusb reading with room to spare.
/// dummy_hcd before 6.1.168, 6.12.81 and 6.18.22 sends a queued zero-length packet ahead of a request its per-tick
/// budget (53,248 bytes at high speed) cut short, which ended such a read at 53,248 bytes; the framework holds the
/// zero-length packet back there (docs/kernels.md, "Transfer framing").
/// </summary>
[Trait("Category", "KernelMatrix")]
public sealed partial class TransferFramingTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const string Echo = """
        import random, sys, usb.core, usb.util
        d = usb.core.find(idVendor=0x1d6b, idProduct=0x0105)
        intf = d.get_active_configuration()[(0, 0)]
        usb.util.claim_interface(d, intf.bInterfaceNumber)
        ep_out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
        ep_in = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
        packet = ep_out.wMaxPacketSize
        rng = random.Random(27)
        failures = 0
        for size in map(int, sys.argv[1:]):
            data = rng.randbytes(size)
            ep_out.write(data, timeout=5000)
            if size % packet == 0:
                ep_out.write(b"", timeout=5000)
            echo = bytes(ep_in.read(size + packet, timeout=5000))
            if echo != data:
                failures += 1
                print(f"CUT {size}: got {len(echo)}")
        print(f"packet {packet} transfers {len(sys.argv) - 1} failures {failures}")
        """;

    [Fact]
    public async Task A_write_of_whole_packets_longer_than_dummy_hcds_budget_arrives_as_one_transfer_at_high_speed()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit);
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), gadget);

        // 105, 112, 127 and 128 packets of 512 bytes, each more than one tick's 53,248 bytes, five times over.
        string[] sizes = [.. Enumerable.Repeat(new[] { 53760, 57344, 65024, 65536 }, 5).SelectMany(s => s).Select(s => $"{s}")];
        GuestCommandResult echo = await Vm.RunPythonAsync(Echo, sizes, TimeSpan.FromMinutes(2));

        Assert.True(echo.ExitCode == 0 && echo.StandardOutput.Contains("packet 512 transfers 20 failures 0", StringComparison.Ordinal),
            $"a transfer of whole packets did not come back whole.{Environment.NewLine}{echo.Describe()}{gadget.DescribeOutput()}");
        bool affected = await KernelHasTheDummyHcdBugAsync();
        Fixture.Log($"dummy_hcd zero-length packet bug on {Vm.KernelRelease}: {(affected ? "present, worked around" : "fixed")}");
        Assert.Equal(affected, gadget.StandardOutput.Contains("[5000]", StringComparison.Ordinal));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task A_write_that_fills_a_high_speed_packet_but_not_a_super_speed_one_gets_no_zero_length_packet_at_super_speed()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.Super);
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit);
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), gadget);

        // 512 and 1536 bytes end with a short packet at 1024: a zero-length packet after them would be an empty
        // transfer of its own, read as the next echo.
        GuestCommandResult echo = await Vm.RunPythonAsync(Echo, ["512", "1", "1536", "1", "1024", "1", "2048", "1"], TimeSpan.FromMinutes(2));

        Assert.True(echo.ExitCode == 0 && echo.StandardOutput.Contains("packet 1024 transfers 8 failures 0", StringComparison.Ordinal),
            $"an echo at super speed was not one transfer.{Environment.NewLine}{echo.Describe()}{gadget.DescribeOutput()}");
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    /// <summary>
    /// Whether the booted kernel predates the dummy_hcd fix of its stable series. Debian's 6.1 kernels say 6.1.0 in
    /// <c>uname -r</c>; /proc/version names the stable release (<c>Debian 6.1.192-3</c>).
    /// </summary>
    private async Task<bool> KernelHasTheDummyHcdBugAsync()
    {
        string procVersion = (await Vm.RunAsync("cat /proc/version")).EnsureSuccess().StandardOutput;
        MatchCollection debian = DebianRelease().Matches(procVersion);
        Version kernel = Version.Parse(debian.Count > 0 ? debian[^1].Groups[1].Value : Vm.KernelRelease.Split('-', '+')[0]);
        return (kernel.Major, kernel.Minor) switch
        {
            (6, 1) => kernel.Build < 168,
            (6, 12) => kernel.Build < 81,
            (6, 18) => kernel.Build < 22,
            _ => kernel < new Version(7, 0),
        };
    }

    [GeneratedRegex(@"\bDebian (\d+\.\d+\.\d+)")]
    private static partial Regex DebianRelease();
}
