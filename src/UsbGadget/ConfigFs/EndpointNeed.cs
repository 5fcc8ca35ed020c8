using UsbGadget.Descriptors;

namespace UsbGadget.ConfigFs;

/// <summary>
/// One endpoint a function claims from the UDC when the gadget binds, as the function driver asks the kernel's
/// <c>usb_ep_autoconfig</c> for it: direction, transfer type and the full-speed packet size it asks for.
/// </summary>
/// <param name="Direction">The direction seen from the host.</param>
/// <param name="Type">The transfer type.</param>
/// <param name="MaxPacketSize">The packet size the driver asks for at bind time; 0 when it leaves it to the UDC (bulk, f_hid).</param>
public sealed record EndpointNeed(EndpointDirection Direction, EndpointTransferType Type, ushort MaxPacketSize = 0)
{
    /// <summary>
    /// Whether the function binds without it: it takes the endpoint when the UDC has one left and drops the feature
    /// otherwise (SourceSink's isochronous pair). Consecutive optional needs are claimed all or none.
    /// </summary>
    /// <remarks>Defaults to false.</remarks>
    public bool Optional { get; init; }

    /// <summary>A bulk IN endpoint.</summary>
    public static EndpointNeed BulkIn { get; } = new(EndpointDirection.In, EndpointTransferType.Bulk);

    /// <summary>A bulk OUT endpoint.</summary>
    public static EndpointNeed BulkOut { get; } = new(EndpointDirection.Out, EndpointTransferType.Bulk);

    /// <summary>An interrupt IN endpoint of the given packet size.</summary>
    /// <param name="maxPacketSize">The packet size the driver asks for, or 0 for any.</param>
    public static EndpointNeed InterruptIn(ushort maxPacketSize) => new(EndpointDirection.In, EndpointTransferType.Interrupt, maxPacketSize);

    /// <summary>An interrupt OUT endpoint of the given packet size.</summary>
    /// <param name="maxPacketSize">The packet size the driver asks for, or 0 for any.</param>
    public static EndpointNeed InterruptOut(ushort maxPacketSize) => new(EndpointDirection.Out, EndpointTransferType.Interrupt, maxPacketSize);

    /// <summary>What lsusb calls it: "bulk IN", "interrupt OUT"…</summary>
    public override string ToString() =>
        $"{(Optional ? "optional " : "")}{Type switch { EndpointTransferType.Bulk => "bulk", EndpointTransferType.Interrupt => "interrupt", _ => "isochronous" }} {(Direction == EndpointDirection.In ? "IN" : "OUT")}";
}
