using System.Globalization;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The HidKeyboard sample against the host kernel's own HID stack: usbhid binds it as a keyboard, and what the gadget
/// types arrives as key events on /dev/input, read by gadgets/HidKeyboard/host/read_keys.py.
/// </summary>
public abstract class HidKeyboardSampleTests(GadgetVmFixture fixture, SampleBuild build) : VmTestBase(fixture)
{
    /// <summary>The sample as <c>dotnet HidKeyboard.dll</c>.</summary>
    public sealed class UnderJit(GadgetVmFixture fixture) : HidKeyboardSampleTests(fixture, SampleBuild.Jit);

    /// <summary>The sample published with NativeAOT for linux-x64.</summary>
    public sealed class AsNativeAot(GadgetVmFixture fixture) : HidKeyboardSampleTests(fixture, SampleBuild.NativeAot);

    private GuestProcess StartSample(string? stdinCommand = null) => Sample.Start(Vm, "HidKeyboard", build, stdinCommand);

    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0104;

    [Fact]
    public async Task TypedLines_ArriveThroughTheHostsHidDriver_AsTheRightKeys()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        const string Input = "/tmp/keyboard-input.txt";
        await Vm.RunAsync($": > {Input}");
        // tail -f keeps standard input open, as a terminal would, and feeds lines as the test appends them.
        await using GuestProcess gadget = StartSample($"tail -f {Input}");
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        GuestCommandResult driver = await Vm.RunAsync($"cat /sys/bus/usb/devices/{device.SysfsPath.Split('/')[^1]}:1.0/bInterfaceProtocol; ls /sys/bus/usb/devices/{device.SysfsPath.Split('/')[^1]}:1.0/driver -l");
        Assert.Contains("usbhid", driver.StandardOutput, StringComparison.Ordinal);

        // Real-time priority: evdev keeps only a few dozen events per reader, and under emulation a Python reader can be
        // off the CPU longer than the keyboard takes to type that many (read_keys.py then reports SYN_DROPPED).
        await using GuestProcess reader = Vm.StartProcess(GuestShell.Join(
            "chrt", "-f", "10", "/usr/bin/python3", Sample.HostScript("HidKeyboard", "read_keys.py"), "--lines", "2", "--timeout", "60"));
        await reader.WaitForOutputAsync("ready", TimeSpan.FromSeconds(30));

        await Vm.RunAsync($"echo 'Hello, World! 1+1=2' >> {Input}; echo 'the quick brown fox: {{[(\"ok\")]}}' >> {Input}");
        GuestCommandResult typed = await reader.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(typed.ExitCode == 0, $"{typed.Describe()}{gadget.DescribeOutput()}");
        Assert.True(string.IsNullOrEmpty(typed.StandardError), typed.Describe());
        Assert.Equal(["ready: listening on", "Hello, World! 1+1=2", "the quick brown fox: {[(\"ok\")]}"],
            typed.StandardOutput.Trim().Split('\n').Select((l, i) => i == 0 ? l[..l.IndexOf(" /", StringComparison.Ordinal)] : l));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task HostLedReport_IsLogged_AndBootProtocolRequestsAreAnswered()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = StartSample("sleep infinity");
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);

        // Ask as the HID class spec has a host ask; detach usbhid first so pyusb owns the interface.
        GuestCommandResult result = await Vm.RunPythonAsync("""
            import usb.core
            d = usb.core.find(idVendor=0x1d6b, idProduct=0x0104)
            if d.is_kernel_driver_active(0):
                d.detach_kernel_driver(0)
            report = bytes(d.ctrl_transfer(0x81, 0x06, 0x2200, 0, 256))
            print("report descriptor", len(report), report[:4].hex())
            d.ctrl_transfer(0x21, 0x0b, 0, 0)                  # SET_PROTOCOL boot
            print("protocol", d.ctrl_transfer(0xA1, 0x03, 0, 0, 1)[0])
            d.ctrl_transfer(0x21, 0x0a, 0x7d00, 0)             # SET_IDLE 500 ms
            print("idle", d.ctrl_transfer(0xA1, 0x02, 0, 0, 1)[0])
            d.ctrl_transfer(0x21, 0x09, 0x0200, 0, bytes([0x03]))  # SET_REPORT output: NumLock + CapsLock
            print("leds sent")
            print("leds read", bytes(d.ctrl_transfer(0xA1, 0x01, 0x0200, 0, 1)).hex())  # GET_REPORT output
            print("input report", bytes(d.ctrl_transfer(0xA1, 0x01, 0x0100, 0, 8)).hex())  # GET_REPORT input
            # A bus reset is a new session for the host: the keyboard must be back in report protocol.
            import time
            d.reset()
            time.sleep(1)  # usbhid binds the interface again
            d = usb.core.find(idVendor=0x1d6b, idProduct=0x0104)
            if d.is_kernel_driver_active(0):
                d.detach_kernel_driver(0)
            print("protocol after reset", d.ctrl_transfer(0xA1, 0x03, 0, 0, 1)[0])
            """);

        string output = result.EnsureSuccess().StandardOutput;
        Assert.Contains("report descriptor 63 05010906", output, StringComparison.Ordinal);
        Assert.Contains("protocol 0", output, StringComparison.Ordinal);
        Assert.Contains("idle 125", output, StringComparison.Ordinal);
        Assert.Contains("leds read 03", output, StringComparison.Ordinal);
        Assert.Contains("input report 0000000000000000", output, StringComparison.Ordinal);
        Assert.Contains("protocol after reset 1", output, StringComparison.Ordinal);
        await gadget.WaitForOutputAsync("Host set LEDs 0x03: NumLock=True CapsLock=True ScrollLock=False", TimeSpan.FromSeconds(10));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task Sigterm_WhileStandardInputIsStillOpen_StopsWithinStopTimeout_AndLeavesNothingInConfigfs()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        // Standard input is a FIFO whose writer never closes it, as a terminal or an idle pipe would. The writer is a
        // separate process, so SIGTERM reaches the gadget alone (as `kill -TERM <pid>` does) and input stays open.
        // The guest clock times the stop: from just before the kill to the moment the shell reaps the gadget.
        (string command, GuestCommandOptions options) = Sample.Command("HidKeyboard", build);
        string script = $"""
            rm -f /tmp/keyboard-stdin && mkfifo /tmp/keyboard-stdin
            sleep 600 > /tmp/keyboard-stdin &
            holder=$!
            {command} < /tmp/keyboard-stdin &
            gadget=$!
            echo "gadget pid $gadget"
            wait $gadget
            status=$?
            echo "gadget exited $status at $(date +%s.%N)"
            kill $holder
            """;
        await using GuestProcess run = Vm.StartProcess(script, options);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), run);
        await run.WaitForOutputAsync("gadget pid ", TimeSpan.FromSeconds(10));
        string pid = run.StandardOutput.Split('\n').First(l => l.StartsWith("gadget pid ", StringComparison.Ordinal))["gadget pid ".Length..].Trim();

        GuestCommandResult kill = await Vm.RunAsync($"date +%s.%N; kill -TERM {pid}");
        GuestCommandResult stopped = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string exited = stopped.StandardOutput.Split('\n').Single(l => l.StartsWith("gadget exited ", StringComparison.Ordinal));
        Assert.True(exited.StartsWith("gadget exited 0 ", StringComparison.Ordinal), $"{exited}{Environment.NewLine}{run.DescribeOutput()}");
        double seconds = double.Parse(exited.Split(' ')[^1], CultureInfo.InvariantCulture) - double.Parse(kill.EnsureSuccess().StandardOutput.Trim(), CultureInfo.InvariantCulture);
        Fixture.Log($"HidKeyboard ({build}) stopped {seconds:0.00} s after SIGTERM with standard input open");
        // A console read the token could not interrupt used to hold the host for its whole 30 s shutdown timeout. Now
        // the stop waits at most StopTimeout (5 s) for the function, plus the teardown, which takes 1-4 s under
        // emulation on a loaded machine: 15 s tells the two apart with room to spare.
        Assert.True(seconds < 15, $"the gadget took {seconds:0.00} s to exit after SIGTERM with standard input open: it waited for something the stop did not cancel (StopTimeout is 5 s, the host's shutdown timeout 30 s).{Environment.NewLine}{run.DescribeOutput()}");
        Assert.DoesNotContain("did not finish within", stopped.StandardOutput, StringComparison.Ordinal);
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind after SIGTERM:{Environment.NewLine}{leftovers.StandardOutput}");
    }
}
