namespace UsbGadget.Descriptors;

/// <summary>The endpoint descriptor and SuperSpeed companion fields for one speed.</summary>
internal readonly record struct ResolvedEndpoint(
    byte Attributes,
    ushort MaxPacketSizeField,
    byte Interval,
    byte MaxBurst,
    byte CompanionAttributes,
    ushort BytesPerInterval);

/// <summary>Derives each speed's wMaxPacketSize and bInterval from the speed-independent description.</summary>
internal static class EndpointSpeedResolver
{
    public static readonly TimeSpan DefaultPollingInterval = TimeSpan.FromMilliseconds(1);

    private const long MicroframeTicks = TimeSpan.TicksPerMillisecond / 8; // 125 µs

    public static byte GetAttributes(EndpointDescription endpoint, UsbSpeed speed)
    {
        int attributes = (int)endpoint.Type & 0x03;
        if (endpoint.Type == EndpointTransferType.Isochronous)
        {
            attributes |= ((int)endpoint.Synchronization & 0x03) << 2;
        }

        // Interrupt usage (periodic/notification) exists only in USB 3.x; USB 2.0 reserves bits 5..4 for interrupt.
        if (endpoint.Type == EndpointTransferType.Isochronous
            || (endpoint.Type == EndpointTransferType.Interrupt && speed == UsbSpeed.Super))
        {
            attributes |= ((int)endpoint.Usage & 0x03) << 4;
        }

        return (byte)attributes;
    }

    public static ushort DeriveMaxPacketSize(EndpointDescription endpoint, UsbSpeed speed) => endpoint.Type switch
    {
        EndpointTransferType.Bulk => speed switch
        {
            UsbSpeed.Full => 64,
            UsbSpeed.High => 512,
            _ => 1024,
        },
        EndpointTransferType.Interrupt => Math.Min(endpoint.MaxPacketSize ?? 64, speed == UsbSpeed.Full ? (ushort)64 : (ushort)1024),
        _ => Math.Min(endpoint.MaxPacketSize ?? 0, speed == UsbSpeed.Full ? (ushort)1023 : (ushort)1024),
    };

    public static byte DeriveInterval(EndpointDescription endpoint, UsbSpeed speed)
    {
        if (endpoint.Type == EndpointTransferType.Bulk)
        {
            // Full speed ignores it, high speed reads it as the OUT NAK rate (0: none), SuperSpeed reserves it.
            return 0;
        }

        TimeSpan period = endpoint.PollingInterval ?? DefaultPollingInterval;
        if (speed == UsbSpeed.Full)
        {
            long frames = Math.Max(1, period.Ticks / TimeSpan.TicksPerMillisecond);
            return endpoint.Type == EndpointTransferType.Interrupt
                ? (byte)Math.Min(frames, 255)
                : ExponentFor(frames);
        }

        return ExponentFor(Math.Max(1, period.Ticks / MicroframeTicks));
    }

    public static ResolvedEndpoint Resolve(EndpointDescription endpoint, UsbSpeed speed)
    {
        EndpointSpeedOverride? overrides = speed switch
        {
            UsbSpeed.Full => endpoint.FullSpeed,
            UsbSpeed.High => endpoint.HighSpeed,
            _ => endpoint.SuperSpeed,
        };

        ushort maxPacket = overrides?.MaxPacketSize ?? DeriveMaxPacketSize(endpoint, speed);
        byte interval = overrides?.Interval ?? DeriveInterval(endpoint, speed);

        byte burst = endpoint.Companion?.MaxBurst ?? 0;
        byte companionAttributes = endpoint.Companion?.Attributes ?? 0;
        ushort bytesPerInterval = endpoint.Companion?.BytesPerInterval ?? DeriveBytesPerInterval(endpoint.Type, maxPacket, burst, companionAttributes);

        return new ResolvedEndpoint(GetAttributes(endpoint, speed), maxPacket, interval, burst, companionAttributes, bytesPerInterval);
    }

    /// <summary>Largest payload per service interval: max packet × (bMaxBurst + 1) × (Mult + 1).</summary>
    public static int MaxBytesPerInterval(EndpointTransferType type, ushort maxPacket, byte burst, byte companionAttributes)
    {
        int mult = type == EndpointTransferType.Isochronous ? companionAttributes & 0x03 : 0;
        return (maxPacket & 0x07FF) * (burst + 1) * (mult + 1);
    }

    private static ushort DeriveBytesPerInterval(EndpointTransferType type, ushort maxPacket, byte burst, byte companionAttributes) =>
        type == EndpointTransferType.Bulk
            ? (ushort)0
            : (ushort)Math.Min(ushort.MaxValue, MaxBytesPerInterval(type, maxPacket, burst, companionAttributes));

    /// <summary>bInterval b such that 2^(b-1) ≤ <paramref name="units"/>: the period never gets longer than asked.</summary>
    private static byte ExponentFor(long units) => (byte)Math.Min(16, 1 + (63 - long.LeadingZeroCount(units)));
}
