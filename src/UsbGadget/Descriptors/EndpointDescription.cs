namespace UsbGadget.Descriptors;

/// <summary>
/// One endpoint of an interface, described once for every speed. The writer derives each speed's
/// wMaxPacketSize and bInterval from <see cref="MaxPacketSize"/> and <see cref="PollingInterval"/>;
/// <see cref="FullSpeed"/>, <see cref="HighSpeed"/> and <see cref="SuperSpeed"/> override the result per speed.
/// </summary>
/// <remarks>
/// Derived values: bulk uses 64 (full), 512 (high) and 1024 (SuperSpeed) bytes, the only sizes USB 2.0 §5.8.3 and
/// USB 3.x §9.6.6 allow at high and SuperSpeed. Interrupt endpoints use <see cref="MaxPacketSize"/> capped at 64 on
/// full speed and 1024 elsewhere; isochronous ones cap at 1023 on full speed and 1024 elsewhere.
/// bInterval for interrupt endpoints at full speed counts 1 ms frames (1..255); everywhere else it is the exponent
/// <c>b</c> of a period of 2^(b-1) (micro)frames (1..16). The derived period is never longer than the one asked for.
/// </remarks>
public sealed class EndpointDescription
{
    /// <summary>Endpoint number, 1..15. Together with <see cref="Direction"/> it must be unique in the function.</summary>
    public required byte Number { get; init; }

    /// <summary>Direction seen from the host.</summary>
    public required EndpointDirection Direction { get; init; }

    /// <summary>Transfer type.</summary>
    public required EndpointTransferType Type { get; init; }

    /// <summary>Synchronization type. Isochronous endpoints only.</summary>
    /// <remarks>Defaults to <see cref="IsochronousSynchronization.None"/>.</remarks>
    public IsochronousSynchronization Synchronization { get; init; }

    /// <summary>Usage type. Isochronous endpoints, and interrupt endpoints (periodic or notification).</summary>
    /// <remarks>Defaults to <see cref="EndpointUsage.Data"/>.</remarks>
    public EndpointUsage Usage { get; init; }

    /// <summary>
    /// Largest payload per packet for interrupt and isochronous endpoints, before the per-speed caps. Must be null for
    /// bulk endpoints, whose size each speed fixes (use <see cref="FullSpeed"/> to pick 8, 16 or 32 at full speed).
    /// </summary>
    /// <remarks>Defaults to null: 64 for interrupt endpoints; isochronous endpoints must set it.</remarks>
    public ushort? MaxPacketSize { get; init; }

    /// <summary>Polling period for interrupt and isochronous endpoints, 125 µs .. 4.096 s. Must be null for bulk.</summary>
    /// <remarks>Defaults to null, meaning 1 ms.</remarks>
    public TimeSpan? PollingInterval { get; init; }

    /// <summary>Full speed overrides of the derived wMaxPacketSize and bInterval.</summary>
    /// <remarks>Defaults to null: derived values.</remarks>
    public EndpointSpeedOverride? FullSpeed { get; init; }

    /// <summary>High speed overrides. wMaxPacketSize may carry the additional-transactions bits 12..11.</summary>
    /// <remarks>Defaults to null: derived values.</remarks>
    public EndpointSpeedOverride? HighSpeed { get; init; }

    /// <summary>SuperSpeed overrides of the endpoint descriptor.</summary>
    /// <remarks>Defaults to null: derived values.</remarks>
    public EndpointSpeedOverride? SuperSpeed { get; init; }

    /// <summary>SuperSpeed endpoint companion contents. The companion itself is always written at SuperSpeed.</summary>
    /// <remarks>
    /// Defaults to null: bMaxBurst 0, bmAttributes 0, and wBytesPerInterval equal to the SuperSpeed max packet size
    /// for periodic endpoints (0 for bulk, where the field is reserved). See <see cref="SuperSpeedCompanion.BytesPerInterval"/>.
    /// </remarks>
    public SuperSpeedCompanion? Companion { get; init; }

    /// <summary>The bEndpointAddress byte: number in bits 3..0, direction in bit 7.</summary>
    public byte Address => (byte)((Number & 0x0F) | (int)Direction);

    /// <summary>Creates a bulk endpoint (64/512/1024 bytes at full/high/SuperSpeed).</summary>
    /// <param name="direction">Direction seen from the host.</param>
    /// <param name="number">Endpoint number, 1..15.</param>
    /// <returns>The endpoint description.</returns>
    public static EndpointDescription Bulk(EndpointDirection direction, byte number) =>
        new() { Number = number, Direction = direction, Type = EndpointTransferType.Bulk };

    /// <summary>Creates an interrupt endpoint.</summary>
    /// <param name="direction">Direction seen from the host.</param>
    /// <param name="number">Endpoint number, 1..15.</param>
    /// <param name="maxPacketSize">Largest report or message in bytes (capped at 64 on full speed).</param>
    /// <param name="pollingInterval">How often the host polls, 125 µs .. 4.096 s.</param>
    /// <returns>The endpoint description.</returns>
    public static EndpointDescription Interrupt(EndpointDirection direction, byte number, ushort maxPacketSize, TimeSpan pollingInterval) =>
        new()
        {
            Number = number,
            Direction = direction,
            Type = EndpointTransferType.Interrupt,
            MaxPacketSize = maxPacketSize,
            PollingInterval = pollingInterval,
        };

    /// <summary>Creates an isochronous endpoint.</summary>
    /// <param name="direction">Direction seen from the host.</param>
    /// <param name="number">Endpoint number, 1..15.</param>
    /// <param name="maxPacketSize">Payload per service interval in bytes (capped at 1023 on full speed, 1024 elsewhere).</param>
    /// <param name="pollingInterval">Service interval, 125 µs .. 4.096 s.</param>
    /// <param name="synchronization">Synchronization type.</param>
    /// <param name="usage">Usage type.</param>
    /// <returns>The endpoint description.</returns>
    public static EndpointDescription Isochronous(
        EndpointDirection direction,
        byte number,
        ushort maxPacketSize,
        TimeSpan pollingInterval,
        IsochronousSynchronization synchronization = IsochronousSynchronization.None,
        EndpointUsage usage = EndpointUsage.Data) =>
        new()
        {
            Number = number,
            Direction = direction,
            Type = EndpointTransferType.Isochronous,
            MaxPacketSize = maxPacketSize,
            PollingInterval = pollingInterval,
            Synchronization = synchronization,
            Usage = usage,
        };
}

/// <summary>Per-speed replacement values for an endpoint descriptor. A null member keeps the derived value.</summary>
public sealed record EndpointSpeedOverride
{
    /// <summary>
    /// The raw wMaxPacketSize field. At high speed, bits 12..11 give the additional transactions per microframe
    /// for periodic endpoints (high-bandwidth).
    /// </summary>
    /// <remarks>Defaults to null: derived.</remarks>
    public ushort? MaxPacketSize { get; init; }

    /// <summary>The raw bInterval field.</summary>
    /// <remarks>Defaults to null: derived.</remarks>
    public byte? Interval { get; init; }
}

/// <summary>Contents of the SuperSpeed endpoint companion descriptor (USB 3.x §9.6.7).</summary>
public sealed record SuperSpeedCompanion
{
    /// <summary>bMaxBurst: packets the endpoint can send or receive in a burst, minus one (0..15; interrupt 0..2).</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte MaxBurst { get; init; }

    /// <summary>
    /// bmAttributes: for bulk endpoints MaxStreams in bits 4..0 (0..16); for isochronous endpoints Mult in bits 1..0
    /// (0..2); 0 for interrupt endpoints.
    /// </summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte Attributes { get; init; }

    /// <summary>wBytesPerInterval for periodic endpoints. Null derives max packet × (burst + 1) × (mult + 1).</summary>
    /// <remarks>Defaults to null: derived.</remarks>
    public ushort? BytesPerInterval { get; init; }
}
