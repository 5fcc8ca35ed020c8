using System.Diagnostics;
using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// The gadget killed outright mid-transfer, then started again: it finds the dead process's gadget and FunctionFS
/// mount, removes them and serves, with no reboot and no manual step. SIGTERM under full traffic then tears everything
/// down within 5 s, every AIO buffer back from the kernel first.
/// </summary>
[Trait("Category", "Reliability")]
public sealed partial class CrashRestartTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private static readonly (string, string) s_debugLogging = ("Logging__LogLevel__UsbGadget", "Debug");

    [Fact]
    public async Task KilledMidTransfer_NextStartRemovesTheStaleGadgetAndServes_AndSigtermUnderTrafficStopsWithinFiveSeconds()
    {
        await using GuestProcess crashed = await Drill.StartLoopbackAsync(Vm);
        await using GuestProcess traffic = StartTraffic();
        await traffic.WaitForOutputAsync("device 1d6b:0105", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));

        await crashed.SignalAsync("KILL");
        await crashed.WaitForExitAsync(TimeSpan.FromSeconds(30));
        // The host sees the device go: the kernel unbinds a FunctionFS gadget whose files were all closed.
        GuestCommandResult gone = await Vm.RunAsync("for i in $(seq 100); do lsusb -d 1d6b:0105 >/dev/null || exit 0; sleep 0.1; done; exit 1");
        Assert.True(gone.ExitCode == 0, "the host still lists the device 10 s after the gadget was killed");
        await traffic.StopAsync(TimeSpan.FromSeconds(2)); // libusb without udev may not notice on its own
        GuestCommandResult stale = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep -c ' functionfs ' /proc/mounts");
        Assert.True(stale.StandardOutput.Contains("bulkloopback", StringComparison.Ordinal), $"kill -9 left no gadget to clean up:{Environment.NewLine}{stale.Describe()}");

        await using GuestProcess restarted = Sample.Start(Vm, "BulkLoopback", SampleBuild.NativeAot, environment: s_debugLogging);
        await Vm.WaitForDeviceAsync(Drill.VendorId, Drill.ProductId, TimeSpan.FromSeconds(90), restarted);
        Assert.Contains("is left over from process", restarted.StandardOutput, StringComparison.Ordinal);

        await using GuestProcess fullTraffic = StartTraffic();
        await fullTraffic.WaitForOutputAsync("device 1d6b:0105", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var stopwatch = Stopwatch.StartNew();
        GuestCommandResult stopped = await restarted.StopAsync(TimeSpan.FromSeconds(10));
        stopwatch.Stop();

        Assert.True(stopped.ExitCode == 0, $"exit code {stopped.ExitCode} on SIGTERM.{Environment.NewLine}{restarted.DescribeOutput()}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"SIGTERM under traffic took {stopwatch.Elapsed.TotalSeconds:0.00} s.{Environment.NewLine}{restarted.DescribeOutput()}");
        Assert.Equal(2, BuffersBack().Count(restarted.StandardOutput)); // the OUT and the IN endpoint
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind after SIGTERM:{Environment.NewLine}{leftovers.StandardOutput}");
        Fixture.Log($"crash and restart: SIGTERM under traffic to exit in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
    }

    private GuestProcess StartTraffic() => Vm.StartProcess(GuestShell.Join(
        "/usr/bin/python3", "-u", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "1024", "--skip-control"));

    [GeneratedRegex(@"all \d+ buffer\(s\) are back")]
    private static partial Regex BuffersBack();
}
