using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// The SerialCommand sample against the real kernel's FunctionFS and USB host stack, driven by its own pyusb host
/// companion (gadgets/SerialCommand/host/command.py) as a user would drive it from a PC: command lines in, answer lines out.
/// </summary>
public abstract class SerialCommandSampleTests(GadgetVmFixture fixture, SampleBuild build) : VmTestBase(fixture)
{
    /// <summary>The sample as <c>dotnet SerialCommand.dll</c>.</summary>
    public sealed class UnderJit(GadgetVmFixture fixture) : SerialCommandSampleTests(fixture, SampleBuild.Jit);

    /// <summary>The sample published with NativeAOT for linux-x64.</summary>
    public sealed class AsNativeAot(GadgetVmFixture fixture) : SerialCommandSampleTests(fixture, SampleBuild.NativeAot);

    private const ushort VendorId = 0x1d6b;
    private const ushort ProductId = 0x0107;

    [Theory]
    [InlineData(GadgetVmSpeed.High)]
    [InlineData(GadgetVmSpeed.Super)]
    public async Task EachCommandLine_IsAnsweredWithOneLine(GadgetVmSpeed speed)
    {
        await Vm.SetSpeedAsync(speed);
        await using GuestProcess gadget = Sample.Start(Vm, "SerialCommand", build);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(180), gadget);

        // A 511-character ECHO makes a 512-byte line, exactly one high-speed packet: it needs the host's zero-length
        // packet to arrive, and its 515-byte answer spans two packets.
        string longText = new('x', 511 - "ECHO ".Length);
        GuestCommandResult result = await Vm.RunAsync(
            GuestShell.Join("/usr/bin/python3", Sample.HostScript("SerialCommand", "command.py"), "PING", "ECHO hello, gadget", "ADD 2 40", "COUNT", "COUNT", $"ECHO {longText}"),
            TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, $"command.py failed.{Environment.NewLine}{result.Describe()}{gadget.DescribeOutput()}");
        Assert.Equal(
            [
                "PING -> OK PONG",
                "ECHO hello, gadget -> OK hello, gadget",
                "ADD 2 40 -> OK 42",
                "COUNT -> OK 1",
                "COUNT -> OK 2",
                $"ECHO {longText} -> OK {longText}",
            ],
            result.StandardOutput.Trim().Split('\n'));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task AnUnknownCommand_IsAnsweredWithAnError_AndTheDeviceKeepsAnswering()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "SerialCommand", build);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(180), gadget);

        // Standard input: the interactive form, one command a line.
        GuestCommandResult result = await Vm.RunAsync(
            "printf 'FROB\\nADD two 3\\nping\\n' | " + GuestShell.Join("/usr/bin/python3", Sample.HostScript("SerialCommand", "command.py")),
            TimeSpan.FromMinutes(2));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "FROB -> ERR unknown command 'FROB': try HELP",
                "ADD two 3 -> ERR ADD takes two whole numbers, e.g. ADD 2 40",
                "ping -> OK PONG",
            ],
            result.StandardOutput.Trim().Split('\n'));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }

    [Fact]
    public async Task AfterTheHostUnbindsAndRebinds_TheNextSessionIsAnswered()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        await using GuestProcess gadget = Sample.Start(Vm, "SerialCommand", build);
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(180), gadget);
        string script = Sample.HostScript("SerialCommand", "command.py");
        Assert.Equal(0, (await Vm.RunAsync(GuestShell.Join("/usr/bin/python3", script, "COUNT"), TimeSpan.FromMinutes(1))).ExitCode);

        GuestCommandResult cycle = await Vm.RunAsync(
            "udc=/sys/kernel/config/usb_gadget/serialcommand/UDC; name=$(cat $udc); echo > $udc; sleep 1; echo $name > $udc; echo rebound $name");
        Assert.True(cycle.ExitCode == 0, cycle.Describe());
        await Vm.WaitForDeviceAsync(VendorId, ProductId, TimeSpan.FromSeconds(60), gadget);

        GuestCommandResult after = await Vm.RunAsync(GuestShell.Join("/usr/bin/python3", script, "PING", "COUNT"), TimeSpan.FromMinutes(1));
        Assert.True(after.ExitCode == 0, $"the gadget did not answer after the rebind.{Environment.NewLine}{after.Describe()}{gadget.DescribeOutput()}");
        Assert.Equal(["PING -> OK PONG", "COUNT -> OK 2"], after.StandardOutput.Trim().Split('\n'));
        await Sample.AssertStopsCleanlyAsync(Vm, gadget);
    }
}
