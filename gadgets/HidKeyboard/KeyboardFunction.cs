using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using UsbGadget.Descriptors;
using UsbGadget.Hosting.Hid;

namespace HidKeyboard;

/// <summary>
/// A boot keyboard that types the text it is given. The HID helper writes the descriptors and answers the host's
/// HID requests; what is left here is typing: each character becomes a key press report and a release report.
/// </summary>
internal sealed partial class KeyboardFunction(ILogger<KeyboardFunction> logger) : HidFunction(new HidDescription
{
    ReportDescriptor = HidReportDescriptors.BootKeyboard.ToArray(),
    BootProtocol = HidBootProtocol.Keyboard,
    InterfaceName = "Keyboard",
})
{
    private readonly Channel<string> _text = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public override string Name => "keyboard";

    /// <summary>Queues text to type; it is typed while the host has the keyboard enabled.</summary>
    public void Type(string text) => _text.Writer.TryWrite(text);

    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        // Boot keyboard input report (HID 1.11 Appendix B.1): modifiers, reserved, up to six pressed keys.
        byte[] report = new byte[HidReportDescriptors.BootKeyboardInputReportLength];
        while (await _text.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Peek, not read: a line cut short by a disable is typed again, whole, at the next enable.
            if (!_text.Reader.TryPeek(out string? text))
            {
                continue;
            }
            foreach (char c in text)
            {
                if (!UsKeyboardLayout.TryMap(c, out byte usage, out byte modifiers))
                {
                    Log.Unmapped(logger, c);
                    continue;
                }
                // Press, then release: the host's HID driver turns the pair into one key event.
                report[0] = modifiers;
                report[2] = usage;
                if (!await SendReportAsync(report, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
                Array.Clear(report);
                if (!await SendReportAsync(report, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            _text.Reader.TryRead(out _);
            Log.Typed(logger, text.Length);
        }
    }

    // The LED output report (HID 1.11 Appendix B.1): bit 0 Num Lock, bit 1 Caps Lock, bit 2 Scroll Lock.
    protected override void OnOutputReport(ReadOnlySpan<byte> report) =>
        Log.Leds(logger, report[0], (report[0] & 1) != 0, (report[0] & 2) != 0, (report[0] & 4) != 0);

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Host set LEDs 0x{Leds:x2}: NumLock={NumLock} CapsLock={CapsLock} ScrollLock={ScrollLock}")]
        public static partial void Leds(ILogger logger, byte leds, bool numLock, bool capsLock, bool scrollLock);

        [LoggerMessage(102, LogLevel.Warning, "No key types '{Character}' on a US layout; skipped")]
        public static partial void Unmapped(ILogger logger, char character);

        [LoggerMessage(103, LogLevel.Information, "Typed {Count} characters")]
        public static partial void Typed(ILogger logger, int count);
    }
}
