using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>The harness itself: the guest is ready for gadgets, commands come back faithfully, processes stop cleanly.</summary>
public sealed class HarnessTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task Guest_HasConfigfsFunctionFsLibcompositeAndDummyUdcReady()
    {
        GuestCommandResult result = (await Vm.RunAsync("""
            uname -r
            id -u
            ls /sys/class/udc
            for m in libcomposite usb_f_fs usb_f_ss_lb dummy_hcd configfs; do [ -d /sys/module/$m ] && echo "module $m"; done
            grep -E ' (configfs|9p|tmpfs|devtmpfs) ' /proc/mounts | cut -d' ' -f2,3
            """)).EnsureSuccess();

        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Vm.KernelRelease, lines[0]);
        Assert.Equal("0", lines[1]);
        Assert.Contains(GadgetVm.UdcName, result.StandardOutput, StringComparison.Ordinal);
        foreach (string module in (string[])["libcomposite", "usb_f_fs", "usb_f_ss_lb", "dummy_hcd", "configfs"])
        {
            Assert.Contains($"module {module}", lines);
        }

        Assert.Contains("/sys/kernel/config configfs", lines);
        Assert.Contains("/ 9p", lines);
        Assert.Contains("/tmp tmpfs", lines);
        Assert.Contains($"{GadgetVm.GuestShareDirectory} 9p", lines);
        Fixture.Log($"boot took {Vm.BootTime.TotalSeconds:0.0} s, preparation {Vm.PreparationTime.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task RunAsync_ReturnsExitCodeAndBothStreamsSeparately()
    {
        GuestCommandResult result = await Vm.RunAsync("echo to-stdout; echo to-stderr >&2; printf 'ünïcode\\n'; exit 3");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("to-stdout\nünïcode\n", result.StandardOutput);
        Assert.Equal("to-stderr\n", result.StandardError);
        Assert.Throws<GadgetVmException>(() => result.EnsureSuccess());
    }

    [Fact]
    public async Task RunAsync_UsesWorkingDirectoryAndEnvironment()
    {
        var options = new GuestCommandOptions { WorkingDirectory = "/sys/class/udc" };
        options.Environment["GREETING"] = "it's quoted";

        GuestCommandResult result = (await Vm.RunAsync("pwd; echo \"$GREETING\"; ls", options)).EnsureSuccess();

        Assert.Equal($"/sys/class/udc\nit's quoted\n{GadgetVm.UdcName}\n", result.StandardOutput);
    }

    [Fact]
    public async Task RunAsync_KillsACommandThatOutlivesItsTimeout_AndTheVmKeepsWorking()
    {
        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => Vm.RunAsync("echo started; sleep 60", TimeSpan.FromSeconds(2)));

        Assert.Contains("timed out", exception.Message, StringComparison.Ordinal);
        Assert.Contains("started", exception.Message, StringComparison.Ordinal);
        GuestCommandResult after = (await Vm.RunAsync("pgrep -x sleep || echo none")).EnsureSuccess();
        Assert.Equal("none\n", after.StandardOutput);
    }

    [Fact]
    public async Task StartProcess_StopAsync_SendsSigtermToTheWholeGroupAndCollectsOutput()
    {
        await using GuestProcess process = Vm.StartProcess("""
            sleep 300 & child=$!
            trap 'echo "got TERM"; kill $child 2>/dev/null; exit 7' TERM
            echo running
            wait $child
            """);
        await process.WaitForOutputAsync("running", TimeSpan.FromSeconds(30));
        Assert.False(process.HasExited);

        GuestCommandResult result = await process.StopAsync();

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("running\ngot TERM\n", result.StandardOutput);
        GuestCommandResult leftovers = (await Vm.RunAsync("pgrep -x sleep || echo none")).EnsureSuccess();
        Assert.Equal("none\n", leftovers.StandardOutput);
    }

    [Fact]
    public async Task StopAsync_ReportsTheExitCodeOfAProgramStartedFromACommandLine_NotTheWrappingShells()
    {
        // The program is a child of the command line's shell (last in a pipeline); it handles SIGTERM itself and exits with 5.
        GuestProcess process = Vm.StartProcess("""
            echo input | /bin/sh -c 'read line; sleep 100 & s=$!; trap "echo bye; kill \$s; exit 5" TERM; echo up; wait $s'
            """);
        await process.WaitForOutputAsync("up", TimeSpan.FromSeconds(30));

        GuestCommandResult result = await process.StopAsync();

        Assert.Equal(5, result.ExitCode);
        Assert.Equal("up\nbye\n", result.StandardOutput);
    }

    [Fact]
    public async Task SignalAsync_Int_ReachesCommandsWithTheDefaultDisposition()
    {
        GuestProcess process = Vm.StartProcess("sleep 100");

        // Signal only once sleep has been exec'd: a signal that lands between a shell's fork and exec is lost with the handler.
        (await Vm.RunAsync($"until pgrep -g {await ProcessIdAsync(process)} -x sleep; do sleep 0.1; done", TimeSpan.FromSeconds(30))).EnsureSuccess();

        await process.SignalAsync("INT");
        GuestCommandResult result = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(128 + 2, result.ExitCode);
    }

    [Fact]
    public async Task WaitForOutputAsync_FailsWithTheOutputWhenTheProcessExitsWithoutIt()
    {
        await using GuestProcess process = Vm.StartProcess("echo 'configfs: no such thing' >&2; exit 4");

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => process.WaitForOutputAsync("bound", TimeSpan.FromSeconds(30)));

        Assert.Contains("exited with code 4", exception.Message, StringComparison.Ordinal);
        Assert.Contains("configfs: no such thing", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunPythonAsync_UsesDebiansPythonWithPyusb()
    {
        GuestCommandResult result = (await Vm.RunPythonAsync("""
            import sys, usb.core
            print(sys.executable)
            print(sorted(f"{d.idVendor:04x}:{d.idProduct:04x}" for d in usb.core.find(find_all=True)))
            """)).EnsureSuccess();

        Assert.StartsWith("/usr/bin/python3", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1d6b:0002", result.StandardOutput, StringComparison.Ordinal); // dummy_hcd's root hub
    }

    private static async Task<int> ProcessIdAsync(GuestProcess process)
    {
        for (int i = 0; i < 300 && process.ProcessId is null; i++)
        {
            await Task.Delay(100);
        }

        return process.ProcessId ?? throw new TimeoutException("The guest agent did not report the process id.");
    }
}

/// <summary>A guest that misses its boot deadline: the error carries the console, and QEMU and its session are gone.</summary>
[Collection(GadgetVmCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class BootDeadlineTests
{
    [Fact]
    public async Task StartAsync_WhenTheGuestMissesItsBootDeadline_FailsWithTheConsoleTail_AndLeavesNoQemuOrSessionBehind()
    {
        var options = new GadgetVmOptions { BootTimeout = TimeSpan.FromSeconds(1) };
        string sessions = Path.Combine(options.ResolveCacheDirectory(), "sessions");
        HashSet<string> before = OurSessions(sessions);

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("did not become ready within 1 s", exception.Message, StringComparison.Ordinal);
        Assert.Contains("--- guest console (last 60 lines", exception.Message, StringComparison.Ordinal);
        HashSet<string> left = OurSessions(sessions);
        left.ExceptWith(before);
        Assert.Empty(left);
        string ours = Path.Combine(sessions, $"{Environment.ProcessId}-"); // other processes may run VMs from the same cache
        Assert.DoesNotContain(QemuCommandLines(), line => line.Contains(ours, StringComparison.Ordinal) && !before.Any(s => line.Contains(s, StringComparison.Ordinal)));
    }

    private static HashSet<string> OurSessions(string sessions) =>
        Directory.Exists(sessions)
            ? [.. Directory.EnumerateDirectories(sessions, $"{Environment.ProcessId}-*")]
            : [];

    private static IEnumerable<string> QemuCommandLines()
    {
        foreach (string process in Directory.EnumerateDirectories("/proc"))
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (text.Contains("qemu-system", StringComparison.Ordinal))
            {
                yield return text;
            }
        }
    }
}
