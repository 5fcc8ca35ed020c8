using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// A sample started from another directory than its own (a service manager, <c>sudo ./BulkLoopback/BulkLoopback</c> from
/// a home directory) still reads its own appsettings.json: the host sees the sample's ids, not the framework's defaults,
/// and the app says at start which ids it uses and where it read its settings.
/// </summary>
public sealed class StartedFromAnyDirectoryTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Theory]
    [InlineData(SampleBuild.Jit)]
    [InlineData(SampleBuild.NativeAot)]
    public async Task StartedFromTheRootDirectory_PresentsTheIdsOfItsOwnSettings(SampleBuild build)
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        string program = build == SampleBuild.Jit ? Sample.Dll("BulkLoopback") : Sample.NativeExecutable("BulkLoopback");
        var options = new GuestCommandOptions { WorkingDirectory = "/" };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        await using GuestProcess gadget = Vm.StartProcess(
            build == SampleBuild.Jit ? GuestShell.Join("dotnet", program) : GuestShell.Quote(program), options);

        GuestUsbDevice device = await Vm.WaitForDeviceAsync(0x1d6b, 0x0105, TimeSpan.FromSeconds(90), gadget);
        GuestCommandResult lsusb = await Vm.RunAsync($"lsusb -v -d {device.LsusbId}");

        Assert.Contains("iProduct                2 UsbGadget Bulk Loopback", lsusb.EnsureSuccess().StandardOutput, StringComparison.Ordinal);
        string directory = Path.GetDirectoryName(program)!;
        Assert.Contains(
            $"Gadget 'bulkloopback' is 1d6b:0105 'UsbGadget' 'UsbGadget Bulk Loopback'; settings read from {directory}",
            gadget.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Function 'loopback' is FunctionFS instance 'bulkloopback-loopback'", gadget.StandardOutput, StringComparison.Ordinal);
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
