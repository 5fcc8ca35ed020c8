using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting.Hid;

namespace UsbGadget.Hosting.Tests.Hid;

// The example of docs/hid.md, compiled here so the page cannot drift from the API.

/// <summary>A boot keyboard that presses and releases "a" once a second while the host has it enabled.</summary>
internal sealed class OneKey() : HidFunction(new HidDescription
{
    ReportDescriptor = HidReportDescriptors.BootKeyboard.ToArray(),
    BootProtocol = HidBootProtocol.Keyboard,
})
{
    public override string Name => "onekey";

    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        byte[] pressed = [0, 0, 0x04, 0, 0, 0, 0, 0], released = new byte[8];
        while (await SendReportAsync(pressed, cancellationToken) && await SendReportAsync(released, cancellationToken))
        {
            await Task.Delay(1000, cancellationToken);
        }
    }

    protected override void OnOutputReport(ReadOnlySpan<byte> leds) => Console.WriteLine($"LEDs: {leds[0]:x2}");
}

public class OneKeyExampleTests
{
    [Fact]
    public async Task The_documented_example_is_a_boot_keyboard_taking_8_byte_reports()
    {
        var oneKey = new OneKey();

        InterfaceDescription keyboard = Assert.Single(oneKey.Describe().Interfaces);
        Assert.Equal((UsbClass.Hid, (byte)1, (byte)1), (keyboard.Class, keyboard.SubClass, keyboard.Protocol));
        Assert.Equal(8, oneKey.InputReportLengths[0]);
        ControlResponse reportDescriptor = await ((IControlRequestHandler)oneKey)
            .HandleControlRequestAsync(new ControlRequest(0x81, 0x06, 0x2200, 0, 63), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        Assert.Equal(63, reportDescriptor.Payload.Length);
    }
}
