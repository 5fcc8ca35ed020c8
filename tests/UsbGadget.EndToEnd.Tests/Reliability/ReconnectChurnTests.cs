using System.Text.Json;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// The plug pulled again and again while data flows, at a random moment mid-transfer: by turns the UDC unbound and bound
/// again, and a host-side port reset (USBDEVFS_RESET). The gadget comes back by itself every time, and no byte is lost,
/// duplicated or corrupted without the host being told.
/// </summary>
/// <remarks>
/// Soft disconnects (the UDC's <c>soft_connect</c>) are not among the cuts: on dummy_hcd (6.1, 6.12 and 6.18; docs/kernels.md)
/// not even the kernel's own loopback function enumerates again after one.
/// </remarks>
[Trait("Category", "Reliability")]
public sealed class ReconnectChurnTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task UnbindsAndPortResetsMidTransfer_TheGadgetReenumeratesEachTime_AndEveryByteComesBackOrIsReportedFailed()
    {
        ReliabilityProfile profile = ReliabilityProfile.Current;
        await using GuestProcess gadget = await Drill.StartLoopbackAsync(Vm);
        int pid = await Drill.GadgetPidAsync(Vm);
        int kernelFaults = (await Drill.KernelFaultsAsync(Vm)).Length;

        (_, JsonElement figures) = await Drill.RunAsync(Vm, gadget, TimeSpan.FromSeconds(30 + profile.ChurnCycles * 6),
            "churn", "--actions", "both", "--cycles", $"{profile.ChurnCycles}", "--gadget-pid", $"{pid}", "--seed", "20261126");

        Fixture.Log($"reconnect churn ({profile.Name}): {figures.GetRawText()}");
        Assert.Equal(profile.ChurnCycles, figures.GetProperty("cycles").GetInt32());
        Assert.Equal(profile.ChurnCycles, figures.GetProperty("unbinds").GetInt32() + figures.GetProperty("resets").GetInt32());
        Assert.True(figures.GetProperty("resets").GetInt32() >= profile.ChurnCycles / 4, figures.GetRawText());
        Assert.True(figures.GetProperty("transfers_verified").GetInt32() >= 3 * profile.ChurnCycles, figures.GetRawText());
        Drill.AssertResourcesFlat(figures);
        Assert.Equal([], (await Drill.KernelFaultsAsync(Vm)).Skip(kernelFaults));
        Assert.False(gadget.HasExited, gadget.DescribeOutput());
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
