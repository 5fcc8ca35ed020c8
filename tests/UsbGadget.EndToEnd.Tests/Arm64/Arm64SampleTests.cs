using System.Globalization;
using System.Text.RegularExpressions;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Arm64;

/// <summary>
/// Both samples as a Raspberry Pi user runs them (published with <c>dotnet publish -r linux-arm64 -p:PublishAot=true</c>),
/// on Debian's arm64 kernel in a 512 MiB arm64 VM, against that kernel's own host stack: usbhid for the keyboard, pyusb
/// (arm64 python3-usb) for the loopback. Each test measures the time from start to enumerated and the gadget's memory.
/// </summary>
[Collection(Arm64VmCollection.Name)]
[Trait("Category", "EndToEnd")]
[Trait("Category", "Arm64")]
public sealed partial class Arm64SampleTests(Arm64VmFixture fixture) : IAsyncLifetime
{
    private const ushort VendorId = 0x1d6b;
    private const ushort KeyboardProductId = 0x0104;
    private const ushort LoopbackProductId = 0x0105;

    private GadgetVm Vm => fixture.Vm;

    public Task InitializeAsync() => Vm.CleanUpAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Guest_IsDebiansArm64Kernel_OnACortexA72_WithTheMemoryOfAPiZero2W()
    {
        GuestCommandResult result = await Vm.RunAsync("uname -m; uname -r; grep -m1 'CPU part' /proc/cpuinfo; grep MemTotal /proc/meminfo");

        string[] lines = result.EnsureSuccess().StandardOutput.Trim().Split('\n');
        Assert.Equal("aarch64", lines[0]);
        Assert.StartsWith(Arm64VmFixture.KernelSeries + ".", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("-arm64", lines[1], StringComparison.Ordinal);
        Assert.Matches(@"CPU part\s*:\s*0xd08", lines[2]); // ARM's part number of the Cortex-A72
        long totalKiB = long.Parse(MemTotal().Match(lines[3]).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(totalKiB, 256 * 1024, Arm64VmFixture.MemoryMiB * 1024);
    }

    [Fact]
    public async Task HidKeyboard_TypedLinesArriveThroughTheGuestsUsbhid_AndSigtermLeavesNothingBehind()
    {
        const string Input = "/tmp/keyboard-input.txt";
        await Vm.RunAsync($": > {Input}");
        await using GuestProcess gadget = Sample.Start(Vm, "HidKeyboard", SampleBuild.NativeAotArm64, $"tail -f {Input}");
        GuestProcess startup = StartEnumerationClock("HidKeyboard", KeyboardProductId);
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, KeyboardProductId, TimeSpan.FromSeconds(120), gadget);

        string interfaceDirectory = $"/sys/bus/usb/devices/{device.SysfsPath.Split('/')[^1]}:1.0";
        GuestCommandResult driver = await Vm.RunAsync($"readlink {interfaceDirectory}/driver; ls {interfaceDirectory}/*/hidraw 2>/dev/null");
        Assert.EndsWith("/usbhid", driver.StandardOutput.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("hidraw", driver.StandardOutput, StringComparison.Ordinal);

        // Real-time priority, as on amd64 (evdev keeps a few dozen events per reader); the arm64 userland has no chrt,
        // so python3 raises itself before it runs the reader.
        await using GuestProcess reader = Vm.StartProcess(GuestShell.Join(
            "/usr/bin/python3", "-c",
            "import os, sys; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10)); os.execv(sys.executable, [sys.executable] + sys.argv[1:])",
            Sample.HostScript("HidKeyboard", "read_keys.py"), "--lines", "2", "--timeout", "90"));
        await reader.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));

        await Vm.RunAsync($"echo 'Hello, World! 1+1=2' >> {Input}; echo 'the quick brown fox: {{[(\"ok\")]}}' >> {Input}");
        GuestCommandResult typed = await reader.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(typed.ExitCode == 0, $"{typed.Describe()}{gadget.DescribeOutput()}");
        Assert.True(string.IsNullOrEmpty(typed.StandardError), typed.Describe());
        Assert.Equal(["ready: listening on", "Hello, World! 1+1=2", "the quick brown fox: {[(\"ok\")]}"],
            typed.StandardOutput.Trim().Split('\n').Select((l, i) => i == 0 ? l[..l.IndexOf(" /", StringComparison.Ordinal)] : l));
        await ReportFiguresAsync("HidKeyboard", startup);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task BulkLoopback_EchoesRandomTransfersByteForByte_AndSigtermLeavesNothingBehind()
    {
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.NativeAotArm64);
        GuestProcess startup = StartEnumerationClock("BulkLoopback", LoopbackProductId);
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, LoopbackProductId, TimeSpan.FromSeconds(120), gadget);
        Assert.Equal(480, device.SpeedMbps);

        const int Mebibytes = 8;
        GuestCommandResult result = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", $"{Mebibytes}", "--seed", "20261204"),
            TimeSpan.FromMinutes(6));

        Assert.True(result.ExitCode == 0, $"loopback.py failed.{Environment.NewLine}{result.Describe()}{gadget.DescribeOutput()}");
        Assert.Contains("version: UsbGadget BulkLoopback 1.0", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("store/read-back: ok", result.StandardOutput, StringComparison.Ordinal);
        Match verified = Verified().Match(result.StandardOutput);
        Assert.True(verified.Success && long.Parse(verified.Groups[1].Value, CultureInfo.InvariantCulture) >= Mebibytes * 1048576L, result.StandardOutput);
        fixture.Log($"BulkLoopback: {result.StandardOutput.Trim().Split('\n')[^1]}");
        await ReportFiguresAsync("BulkLoopback", startup);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    /// <summary>
    /// Starts a guest-side clock for "start to enumerated": it polls sysfs every 20 ms until the device is configured,
    /// then prints the uptime of that moment, the process's start time and its CPU time so far (from /proc/PID/stat, in
    /// clock ticks), all by the guest's own clock, so the agent's latency does not count.
    /// </summary>
    private GuestProcess StartEnumerationClock(string processName, ushort productId) =>
        Vm.StartProcess($$"""
            end=$(( $(date +%s) + 150 ))
            while [ "$(date +%s)" -lt "$end" ]; do
                for d in /sys/bus/usb/devices/*; do
                    [ -r "$d/idProduct" ] && [ "$(cat $d/idVendor):$(cat $d/idProduct)" = "{{VendorId:x4}}:{{productId:x4}}" ] || continue
                    c=$(cat $d/bConfigurationValue)
                    [ -n "$c" ] || continue
                    read up _ < /proc/uptime
                    pid=$(pidof {{processName}}) || { echo "no process {{processName}}" >&2; exit 1; }
                    echo "enumerated $up started $(cut -d' ' -f22 /proc/$pid/stat) cpu $(cut -d' ' -f14,15 /proc/$pid/stat)"
                    exit 0
                done
                sleep 0.02
            done
            echo "{{VendorId:x4}}:{{productId:x4}} was not configured within 150 s" >&2; exit 1
            """);

    /// <summary>Logs the start-to-enumerated time and the gadget's resident memory, and holds them to loose bounds.</summary>
    private async Task ReportFiguresAsync(string processName, GuestProcess startup)
    {
        GuestCommandResult clock = await startup.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Match times = Clock().Match(clock.StandardOutput);
        Assert.True(clock.ExitCode == 0 && times.Success, clock.Describe());
        const double ClockTicksPerSecond = 100; // USER_HZ, fixed in Linux's ABI for /proc
        double seconds = double.Parse(times.Groups[1].Value, CultureInfo.InvariantCulture) - (double.Parse(times.Groups[2].Value, CultureInfo.InvariantCulture) / ClockTicksPerSecond);

        // The gadget's own CPU time (user + system) until then: what the start costs, whatever else the machine runs.
        double cpuSeconds = (long.Parse(times.Groups[3].Value, CultureInfo.InvariantCulture) + long.Parse(times.Groups[4].Value, CultureInfo.InvariantCulture)) / ClockTicksPerSecond;

        GuestCommandResult status = await Vm.RunAsync($"grep -E '^(VmRSS|VmHWM):' /proc/$(pidof {processName})/status");
        Match rss = Rss().Match(status.StandardOutput);
        Match peak = Peak().Match(status.StandardOutput);
        Assert.True(rss.Success && peak.Success, status.Describe());
        double rssMB = long.Parse(rss.Groups[1].Value, CultureInfo.InvariantCulture) / 1024.0;
        double peakMB = long.Parse(peak.Groups[1].Value, CultureInfo.InvariantCulture) / 1024.0;
        fixture.Log(string.Create(CultureInfo.InvariantCulture,
            $"{processName} (linux-arm64 NativeAOT) on {Vm.KernelRelease}, cortex-a72, {Arm64VmFixture.MemoryMiB} MiB: enumerated {seconds:0.00} s after start ({cpuSeconds:0.00} s of its own CPU time); RSS {rssMB:0.0} MiB (peak {peakMB:0.0} MiB)"));

        // Loose bounds, far above what was measured (about 2 s and 12 MiB), that still catch a gadget gone wrong.
        Assert.InRange(seconds, 0, 60);
        Assert.InRange(peakMB, 1, 64);
    }

    [GeneratedRegex(@"MemTotal:\s*(\d+) kB")]
    private static partial Regex MemTotal();

    [GeneratedRegex(@"loopback: \d+ transfers, (\d+) bytes verified")]
    private static partial Regex Verified();

    [GeneratedRegex(@"enumerated ([0-9.]+) started (\d+) cpu (\d+) (\d+)")]
    private static partial Regex Clock();

    [GeneratedRegex(@"VmRSS:\s*(\d+) kB")]
    private static partial Regex Rss();

    [GeneratedRegex(@"VmHWM:\s*(\d+) kB")]
    private static partial Regex Peak();
}
