using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace HidKeyboard;

/// <summary>
/// A boot-protocol HID keyboard over FunctionFS: one interrupt IN endpoint carrying 8-byte boot reports, and the HID
/// class requests on ep0 (report descriptor, idle rate, protocol, LED output reports).
/// </summary>
internal sealed partial class KeyboardFunction : IGadgetFunction
{
    public const byte ReportEndpointNumber = 1;
    private const int ReportLength = 8;

    // HID 1.11, section 7.2: class requests, and the standard GET_DESCRIPTOR for the report descriptor.
    private const byte GetDescriptor = 0x06;
    private const byte GetReport = 0x01;
    private const byte GetIdle = 0x02;
    private const byte GetProtocol = 0x03;
    private const byte SetReport = 0x09;
    private const byte SetIdle = 0x0a;
    private const byte SetProtocol = 0x0b;
    private const byte HidDescriptorType = 0x21;
    private const byte ReportDescriptorType = 0x22;

    private static readonly byte[] s_reportDescriptor = HidReportDescriptors.BootKeyboard.ToArray();
    private static readonly byte[] s_hidDescriptor = HidClassDescriptor.For(s_reportDescriptor).ToArray();
    private static readonly byte[] s_idleReport = new byte[ReportLength];

    private readonly Channel<string> _text = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger<KeyboardFunction> _logger;
    private byte _idleRate;
    private byte _protocol = 1; // report protocol until the host asks for boot

    public KeyboardFunction(ILogger<KeyboardFunction> logger) => _logger = logger;

    public string Name => "keyboard";

    /// <summary>Queues text to type; it is typed while the host has the keyboard enabled.</summary>
    public ValueTask TypeAsync(string text, CancellationToken cancellationToken) => _text.Writer.WriteAsync(text, cancellationToken);

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Class = UsbClass.Hid,
                SubClass = 1, // boot interface
                Protocol = 1, // keyboard
                NameIndex = 1,
                ClassDescriptors = [HidClassDescriptor.For(s_reportDescriptor)],
                Endpoints = [EndpointDescription.Interrupt(EndpointDirection.In, ReportEndpointNumber, ReportLength, TimeSpan.FromMilliseconds(10))],
            },
        ],
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "Keyboard"),
    };

    public bool AcceptsOutData(in ControlRequest request) =>
        request.Type == ControlRequestType.Class && request.Request == SetReport && request.Length <= ReportLength;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken)
    {
        ControlResponse response = (request.Type, request.Request, request.IsIn) switch
        {
            (ControlRequestType.Standard, GetDescriptor, true) => (request.Value >> 8) switch
            {
                ReportDescriptorType => ControlResponse.Data(s_reportDescriptor),
                HidDescriptorType => ControlResponse.Data(s_hidDescriptor),
                _ => ControlResponse.Stall,
            },
            (ControlRequestType.Class, GetReport, true) => ControlResponse.Data(s_idleReport),
            (ControlRequestType.Class, GetIdle, true) => ControlResponse.Data(new[] { _idleRate }),
            (ControlRequestType.Class, GetProtocol, true) => ControlResponse.Data(new[] { _protocol }),
            (ControlRequestType.Class, SetIdle, false) => SetIdleRate((byte)(request.Value >> 8)),
            (ControlRequestType.Class, SetProtocol, false) when request.Value <= 1 => SetProtocolValue((byte)request.Value),
            (ControlRequestType.Class, SetReport, false) => LogLeds(outData.Span),
            _ => ControlResponse.Stall,
        };
        return ValueTask.FromResult(response);
    }

    private ControlResponse SetIdleRate(byte rate)
    {
        _idleRate = rate;
        return ControlResponse.Ack;
    }

    private ControlResponse SetProtocolValue(byte protocol)
    {
        _protocol = protocol;
        Log.ProtocolSet(_logger, protocol == 0 ? "boot" : "report");
        return ControlResponse.Ack;
    }

    private ControlResponse LogLeds(ReadOnlySpan<byte> report)
    {
        if (report.Length > 0)
        {
            byte leds = report[0];
            Log.Leds(_logger, leds, (leds & 1) != 0, (leds & 2) != 0, (leds & 4) != 0);
        }
        return ControlResponse.Ack;
    }

    public async Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        InEndpoint reports = context.GetInEndpoint(ReportEndpointNumber);
        byte[] report = new byte[ReportLength];
        while (await _text.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!_text.Reader.TryPeek(out string? text))
            {
                continue;
            }
            foreach (char c in text)
            {
                if (!UsKeyboardLayout.TryMap(c, out byte usage, out byte modifiers))
                {
                    Log.Unmapped(_logger, c);
                    continue;
                }
                // Press, then release: the host's HID driver turns the pair into one key event.
                report[0] = modifiers;
                report[2] = usage;
                try
                {
                    await reports.WriteAsync(report, cancellationToken).ConfigureAwait(false);
                    Array.Clear(report);
                    await reports.WriteAsync(report, cancellationToken).ConfigureAwait(false);
                }
                catch (EndpointDisabledException)
                {
                    return; // disabled: the line is typed again, whole, at the next enable
                }
            }
            _text.Reader.TryRead(out _);
            Log.Typed(_logger, text.Length);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Host set LEDs 0x{Leds:x2}: NumLock={NumLock} CapsLock={CapsLock} ScrollLock={ScrollLock}")]
        public static partial void Leds(ILogger logger, byte leds, bool numLock, bool capsLock, bool scrollLock);

        [LoggerMessage(101, LogLevel.Information, "Host selected the {Protocol} protocol")]
        public static partial void ProtocolSet(ILogger logger, string protocol);

        [LoggerMessage(102, LogLevel.Warning, "No key types '{Character}' on a US layout; skipped")]
        public static partial void Unmapped(ILogger logger, char character);

        [LoggerMessage(103, LogLevel.Information, "Typed {Count} characters")]
        public static partial void Typed(ILogger logger, int count);
    }
}
