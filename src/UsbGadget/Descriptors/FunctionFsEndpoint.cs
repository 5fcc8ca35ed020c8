namespace UsbGadget.Descriptors;

/// <summary>
/// One endpoint file of a FunctionFS function. f_fs creates ep1..epN in the order endpoint descriptors appear in
/// the descriptors blob (or epXX named by address with <see cref="FunctionDescription.VirtualAddresses"/>).
/// </summary>
public sealed class FunctionFsEndpoint
{
    internal FunctionFsEndpoint(
        int index,
        string fileName,
        EndpointDescription description,
        byte interfaceNumber,
        byte alternateSetting,
        EndpointSpeedParameters? fullSpeed,
        EndpointSpeedParameters? highSpeed,
        EndpointSpeedParameters? superSpeed)
    {
        Index = index;
        FileName = fileName;
        Description = description;
        InterfaceNumber = interfaceNumber;
        AlternateSetting = alternateSetting;
        FullSpeed = fullSpeed;
        HighSpeed = highSpeed;
        SuperSpeed = superSpeed;
    }

    /// <summary>1-based position among the function's endpoint descriptors (the N of epN).</summary>
    public int Index { get; }

    /// <summary>The file name in the FunctionFS mount, e.g. "ep1", or "ep81" with virtual addresses.</summary>
    public string FileName { get; }

    /// <summary>bEndpointAddress as written in the descriptors.</summary>
    /// <remarks>
    /// Without <see cref="FunctionDescription.VirtualAddresses"/> f_fs lets the UDC pick the endpoint at bind time, so
    /// the host may see another number (on dummy_hcd 0x83 became 0x81 and 0x81 became 0x86). The
    /// FUNCTIONFS_ENDPOINT_REVMAP ioctl on the endpoint file returns the one in use.
    /// </remarks>
    public byte Address => Description.Address;

    /// <summary>Endpoint number, 1..15.</summary>
    public byte Number => Description.Number;

    /// <summary>Direction seen from the host: IN endpoints are written by the function, OUT endpoints read.</summary>
    public EndpointDirection Direction => Description.Direction;

    /// <summary>Transfer type.</summary>
    public EndpointTransferType Type => Description.Type;

    /// <summary>Function-local number of the interface the endpoint belongs to.</summary>
    public byte InterfaceNumber { get; }

    /// <summary>Alternate setting the endpoint belongs to.</summary>
    public byte AlternateSetting { get; }

    /// <summary>The description the endpoint came from.</summary>
    public EndpointDescription Description { get; }

    /// <summary>Full speed descriptor values, or null when the function has no full speed descriptors.</summary>
    public EndpointSpeedParameters? FullSpeed { get; }

    /// <summary>High speed descriptor values, or null when the function has no high speed descriptors.</summary>
    public EndpointSpeedParameters? HighSpeed { get; }

    /// <summary>SuperSpeed descriptor values, or null when the function has no SuperSpeed descriptors.</summary>
    public EndpointSpeedParameters? SuperSpeed { get; }

    /// <summary>The descriptor values for a speed.</summary>
    /// <param name="speed">The speed the gadget runs at.</param>
    /// <returns>The values, or null when the function has no descriptors for that speed.</returns>
    public EndpointSpeedParameters? ForSpeed(UsbSpeed speed) => speed switch
    {
        UsbSpeed.Full => FullSpeed,
        UsbSpeed.High => HighSpeed,
        UsbSpeed.Super => SuperSpeed,
        _ => throw new ArgumentOutOfRangeException(nameof(speed), speed, "Unknown USB speed."),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{FileName} (0x{Address:X2} {Type} {Direction})";
}

/// <summary>What an endpoint descriptor says at one speed.</summary>
/// <param name="MaxPacketSizeField">The raw wMaxPacketSize field.</param>
/// <param name="Interval">The raw bInterval field.</param>
/// <param name="MaxBurst">bMaxBurst of the SuperSpeed companion (0 below SuperSpeed).</param>
/// <param name="BytesPerInterval">wBytesPerInterval of the SuperSpeed companion (0 below SuperSpeed).</param>
public sealed record EndpointSpeedParameters(ushort MaxPacketSizeField, byte Interval, byte MaxBurst, ushort BytesPerInterval)
{
    /// <summary>Payload bytes per packet (bits 10..0 of wMaxPacketSize). Size OUT reads in multiples of it.</summary>
    public int MaxPacketSize => MaxPacketSizeField & 0x07FF;

    /// <summary>Transactions per microframe for high-bandwidth high speed periodic endpoints (1..3), from bits 12..11.</summary>
    public int TransactionsPerMicroframe => ((MaxPacketSizeField >> 11) & 0x03) + 1;
}
