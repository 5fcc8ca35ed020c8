using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>A broken gadget must make tests fail, with a message that shows why.</summary>
public sealed class BrokenGadgetTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task WaitForDeviceAsync_FailsAtOnceWithTheGadgetsOutput_WhenTheGadgetDiesBeforeBinding()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        GuestProcess gadget = KernelGadget.Start(Vm, "broken", 0x0007, "Loopback", german: false, "bulk_buflen=not-a-number");

        var exception = await Assert.ThrowsAsync<GadgetVmException>(
            () => Vm.WaitForDeviceAsync(KernelGadget.VendorId, 0x0007, TimeSpan.FromSeconds(60), gadget));

        Assert.Contains("exited before 1209:0007 enumerated", exception.Message, StringComparison.Ordinal);
        Assert.Contains("write error: Invalid argument", exception.Message, StringComparison.Ordinal);
        Assert.Contains("writing 'not-a-number' to /sys/kernel/config/usb_gadget/broken/functions/Loopback.0/bulk_buflen failed", exception.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, (await gadget.Completion).ExitCode);
    }

    [Fact]
    public async Task WaitForDeviceAsync_TimesOutListingTheDevicesPresent_WhenTheGadgetEnumeratesWithOtherIds()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        GuestProcess gadget = await KernelGadget.StartAsync(Vm, "wrongid", 0x0008, "Loopback", german: false);

        var exception = await Assert.ThrowsAsync<GadgetVmException>(
            () => Vm.WaitForDeviceAsync(KernelGadget.VendorId, 0x0009, TimeSpan.FromSeconds(3), gadget));

        Assert.Contains("No configured USB device 1209:0009 appeared", exception.Message, StringComparison.Ordinal);
        Assert.Contains("1209:0008", exception.Message, StringComparison.Ordinal);
        await KernelGadget.StopAndAssertRemovedAsync(gadget);
    }
}
