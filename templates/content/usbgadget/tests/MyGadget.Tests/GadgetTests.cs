using UsbGadget.Testing;

namespace MyGadget.Tests;

/// <summary>The gadget as a host computer sees it: it enumerates, and it echoes.</summary>
[Collection(VmCollection.Name)]
public sealed class GadgetTests(VmFixture fixture) : IAsyncLifetime
{
    private const ushort VendorId = 0x1209;  // appsettings.json
    private const ushort ProductId = 0x0001;

    private GadgetVm Vm => fixture.Vm;

    public Task InitializeAsync() => Vm.CleanUpAsync(); // every test starts with no gadget

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Enumerates_AndEchoesWhatTheHostWrites()
    {
        await using GuestProcess gadget = StartGadget();

        GuestUsbDevice device = await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(90), gadget);
        GuestCommandResult lsusb = (await Vm.RunAsync($"lsusb -v -d {device.LsusbId}")).EnsureSuccess();
        Assert.Contains("MyGadget echo", lsusb.StandardOutput, StringComparison.Ordinal); // the interface's name

        GuestCommandResult echo = (await Vm.RunPythonAsync("""
            import usb.core, usb.util
            dev = usb.core.find(idVendor=0x1209, idProduct=0x0001)
            print(bytes(dev.ctrl_transfer(0xC1, 0x01, 0, 0, 64)).decode())  # vendor request to interface 0: version
            # The board's controller picks the endpoint addresses: find them by direction.
            intf = dev.get_active_configuration()[(0, 0)]
            out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
            inp = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
            out.write(b"hello, gadget")
            print(bytes(inp.read(512, timeout=5000)).decode())
            """)).EnsureSuccess();
        Assert.Equal(["MyGadget 1.0", "hello, gadget"], echo.StandardOutput.Trim().Split('\n'));

        // SIGTERM, as systemd stops it; SIGKILL only if it is still there after 30 s (a busy machine is slow).
        GuestCommandResult stopped = await gadget.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopped.ExitCode == 0, $"The gadget exited with {stopped.ExitCode} on SIGTERM, not 0.{Environment.NewLine}{gadget.DescribeOutput()}");
    }

    private GuestProcess StartGadget()
    {
        // The working directory holds appsettings.json.
        var options = new GuestCommandOptions { WorkingDirectory = Path.GetDirectoryName(VmFixture.GadgetAssembly)! };
        options.Environment["DOTNET_NOLOGO"] = "1";
        return Vm.StartProgram("dotnet", [VmFixture.GadgetAssembly], options);
    }
}
