using System.Text.Json;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// Long traffic with a reconnect at a steady interval (by turns a UDC unbind and bind, and a host port reset): the gadget's open fds, threads, RSS and the system's AIO contexts
/// stay flat, and the kernel logs no WARN, BUG or oops.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SoakTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task TrafficWithPeriodicReconnects_LeavesFdsRssAndAioContextsFlat_AndTheKernelLogClean()
    {
        ReliabilityProfile profile = ReliabilityProfile.Current;
        await using GuestProcess gadget = await Drill.StartLoopbackAsync(Vm);
        int pid = await Drill.GadgetPidAsync(Vm);
        int kernelFaults = (await Drill.KernelFaultsAsync(Vm)).Length;

        (_, JsonElement figures) = await Drill.RunAsync(Vm, gadget, profile.SoakDuration + TimeSpan.FromMinutes(3),
            "churn", "--actions", "both", "--duration", $"{profile.SoakDuration.TotalSeconds}", "--interval", $"{profile.SoakInterval.TotalSeconds}",
            "--gadget-pid", $"{pid}", "--seed", "5");

        Fixture.Log($"soak ({profile.Name}): {figures.GetRawText()}");
        Assert.True(figures.GetProperty("cycles").GetInt32() >= (int)(profile.SoakDuration / profile.SoakInterval) - 1, figures.GetRawText());
        Drill.AssertResourcesFlat(figures);
        Assert.Equal([], (await Drill.KernelFaultsAsync(Vm)).Skip(kernelFaults));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
