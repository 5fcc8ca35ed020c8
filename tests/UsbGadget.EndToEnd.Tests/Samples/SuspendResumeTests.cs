using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The host's USB runtime power management suspends the idle BulkLoopback sample (no driver holds it) and resumes it; the
/// FunctionFS SUSPEND and RESUME events reach the hosted function, which logs them (event 4013) and sees them on its
/// <c>GadgetFunctionContext</c>.
/// </summary>
public sealed class SuspendResumeTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task TheHostSuspendingAndResumingTheDevice_ReachesTheFunction()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.NativeAot);
        GuestUsbDevice device = await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), gadget);
        string power = $"{device.SysfsPath}/power";

        (await Vm.RunAsync($"echo 0 > {power}/autosuspend_delay_ms && echo auto > {power}/control")).EnsureSuccess();
        await gadget.WaitForOutputAsync("Function 'loopback': bus suspended", TimeSpan.FromSeconds(30));
        GuestCommandResult status = await Vm.RunAsync($"cat {power}/runtime_status");
        (await Vm.RunAsync($"echo on > {power}/control")).EnsureSuccess();
        await gadget.WaitForOutputAsync("Function 'loopback': bus resumed", TimeSpan.FromSeconds(30));

        Assert.Equal("suspended", status.EnsureSuccess().StandardOutput.Trim());
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
