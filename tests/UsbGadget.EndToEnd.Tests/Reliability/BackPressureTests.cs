using System.Text.Json;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// A host that keeps writing but stops reading. The gadget stops taking OUT data once its IN queue is full (the host's
/// writes wait), it neither spins nor buffers without bound meanwhile, and when the host reads again every transfer
/// comes back intact and in order.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class BackPressureTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task HostStopsReadingIn_GadgetWaitsWithoutSpinningOrGrowing_AndNothingIsLostWhenReadingResumes()
    {
        ReliabilityProfile profile = ReliabilityProfile.Current;
        await using GuestProcess gadget = await Drill.StartLoopbackAsync(Vm);
        int pid = await Drill.GadgetPidAsync(Vm);
        double pause = profile.BackPressurePause.TotalSeconds;

        (_, JsonElement figures) = await Drill.RunAsync(Vm, gadget, profile.BackPressurePause + TimeSpan.FromMinutes(3),
            "backpressure", "--pause", $"{pause}", "--transfers", "400", "--gadget-pid", $"{pid}", "--seed", "11");

        Fixture.Log($"back-pressure ({profile.Name}): {figures.GetRawText()}");
        Assert.Equal(400, figures.GetProperty("transfers_verified").GetInt32());
        // The writer got only as far as the gadget's queues hold, then waited: the gadget pushed back instead of buffering.
        Assert.True(figures.GetProperty("written_during_pause").GetInt32() < 100, figures.GetRawText());
        // Waiting costs (almost) nothing: under 5 % of one CPU over the pause.
        Assert.True(figures.GetProperty("gadget_cpu_s_during_pause").GetDouble() < pause * 0.05, figures.GetRawText());
        Drill.AssertResourcesFlat(figures);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
