namespace UsbGadget.Hosting.Hid;

/// <summary>
/// What a <see cref="HidFunction"/> presents to the host: its report descriptor and the few choices around it. Report
/// lengths are read from the report descriptor, so they cannot disagree with it.
/// </summary>
public sealed class HidDescription
{
    /// <summary>
    /// The HID report descriptor (HID 1.11 §6.2.2), for example <see cref="UsbGadget.Descriptors.HidReportDescriptors.BootKeyboard"/>.
    /// It must declare at least one input report. When it has Report ID items, every report starts with its ID byte.
    /// </summary>
    public required ReadOnlyMemory<byte> ReportDescriptor { get; init; }

    /// <summary>Whether this is a boot keyboard or boot mouse, which BIOSes and boot loaders can use.</summary>
    /// <remarks>
    /// Defaults to <see cref="HidBootProtocol.None"/>. A boot device answers GET_PROTOCOL and SET_PROTOCOL, and while
    /// the host has selected <see cref="HidProtocol.Boot"/> it must send boot reports (see <see cref="HidFunction.Protocol"/>).
    /// </remarks>
    public HidBootProtocol BootProtocol { get; init; }

    /// <summary>How often the host polls the interrupt endpoints for reports: 1 ms to 255 ms.</summary>
    /// <remarks>Defaults to 10 ms, the interval of a typical USB keyboard.</remarks>
    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Whether the host sends output reports on an interrupt OUT endpoint as well as with SET_REPORT on ep0.
    /// The report descriptor must then declare output reports of at most 63 bytes: the endpoint's packets are 64 bytes,
    /// so every report is a short packet, which is what ends an OUT read.
    /// </summary>
    /// <remarks>
    /// Defaults to <see langword="false"/>: output reports come only with SET_REPORT, as on a boot keyboard, whose LED
    /// report is rare. Choose an endpoint when the host streams output reports (force feedback, a display).
    /// </remarks>
    public bool OutEndpoint { get; init; }

    /// <summary>The interface's name (its iInterface string), shown by some hosts.</summary>
    /// <remarks>Defaults to <see langword="null"/>: no string.</remarks>
    public string? InterfaceName { get; init; }
}
