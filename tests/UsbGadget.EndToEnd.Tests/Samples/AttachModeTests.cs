using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// configfs-scripts/usb-gadget.sh composes the gadget, the BulkLoopback sample serves it in Attach mode, and the script
/// tears it down afterwards: the script-plus-app arrangement of usbgadget-script@.service, on the real kernel.
/// </summary>
public sealed class AttachModeTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private static readonly string Script = Path.Combine(Sample.RepositoryRoot, "configfs-scripts", "usb-gadget.sh");
    private const string Settings = "GADGET_NAME=scripted GADGET_FUNCTIONS=loopback GADGET_PID=0x0105 GADGET_PRODUCT='Scripted loopback'";

    [Theory]
    [InlineData(SampleBuild.Jit)]
    [InlineData(SampleBuild.NativeAot)]
    public async Task ScriptSetup_AppServesInAttachMode_ScriptTeardownLeavesNothing(SampleBuild build)
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        GuestCommandResult setup = await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} setup");
        Assert.True(setup.ExitCode == 0, setup.Describe());

        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", build, stdinCommand: null,
            ("UsbGadget__Mode", "Attach"), ("UsbGadget__Name", "scripted"));
        await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), gadget);
        GuestCommandResult product = await Vm.RunPythonAsync(
            "import usb.core, usb.util; d = usb.core.find(idVendor=0x1d6b, idProduct=0x0105); print(usb.util.get_string(d, d.iProduct))");
        Assert.Equal("Scripted loopback", product.EnsureSuccess().StandardOutput.Trim());
        GuestCommandResult loop = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("BulkLoopback", "loopback.py"), "--mib", "2"), TimeSpan.FromMinutes(2));
        Assert.True(loop.ExitCode == 0, $"{loop.Describe()}{gadget.DescribeOutput()}");

        GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(stopped.ExitCode == 0, gadget.DescribeOutput());
        GuestCommandResult kept = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; cat /sys/kernel/config/usb_gadget/scripted/UDC");
        Assert.Equal("scripted", kept.StandardOutput.Split('\n')[0].Trim()); // Attach mode leaves the script's gadget, unbound

        GuestCommandResult teardown = await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} teardown");
        Assert.True(teardown.ExitCode == 0, teardown.Describe());
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, leftovers.StandardOutput);
    }

    [Fact]
    public async Task ScriptSetup_RefusesAGadgetNameThatExists_SayingHowToRemoveIt()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} setup")).EnsureSuccess();

        GuestCommandResult again = await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} setup");

        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("gadget 'scripted' already exists", again.StandardError, StringComparison.Ordinal);
        Assert.Contains("teardown", again.StandardError, StringComparison.Ordinal);
        (await Vm.RunAsync($"{Settings} sh {GuestShell.Quote(Script)} teardown")).EnsureSuccess();
    }
}
