using System.Buffers.Binary;
using System.Globalization;

namespace UsbGadget.FunctionFs;

/// <summary>Direction of a control transfer's data stage (bit 7 of <c>bmRequestType</c>).</summary>
public enum ControlDirection : byte
{
    /// <summary>Host to device (<c>USB_DIR_OUT</c>).</summary>
    Out = 0,
    /// <summary>Device to host (<c>USB_DIR_IN</c>).</summary>
    In = 0x80,
}

/// <summary>Type of a control request (bits 5..6 of <c>bmRequestType</c>).</summary>
public enum ControlRequestType : byte
{
    /// <summary><c>USB_TYPE_STANDARD</c>.</summary>
    Standard = 0x00,
    /// <summary><c>USB_TYPE_CLASS</c>.</summary>
    Class = 0x20,
    /// <summary><c>USB_TYPE_VENDOR</c>.</summary>
    Vendor = 0x40,
    /// <summary><c>USB_TYPE_RESERVED</c>.</summary>
    Reserved = 0x60,
}

/// <summary>Recipient of a control request (bits 0..4 of <c>bmRequestType</c>).</summary>
public enum ControlRecipient : byte
{
    /// <summary><c>USB_RECIP_DEVICE</c>. FunctionFS forwards these only with <c>FUNCTIONFS_ALL_CTRL_RECIP</c>.</summary>
    Device = 0,
    /// <summary><c>USB_RECIP_INTERFACE</c>. FunctionFS rewrites <c>wIndex</c> to the function-local interface number.</summary>
    Interface = 1,
    /// <summary><c>USB_RECIP_ENDPOINT</c>. FunctionFS rewrites <c>wIndex</c> to the function-local endpoint index.</summary>
    Endpoint = 2,
    /// <summary><c>USB_RECIP_OTHER</c>.</summary>
    Other = 3,
}

/// <summary>
/// A USB control request: the kernel's 8-byte <c>struct usb_ctrlrequest</c> (USB 2.0 §9.3), little endian.
/// </summary>
/// <param name="RequestType">Raw <c>bmRequestType</c>: direction, type and recipient.</param>
/// <param name="Request"><c>bRequest</c>.</param>
/// <param name="Value"><c>wValue</c>.</param>
/// <param name="Index"><c>wIndex</c>. FunctionFS has already mapped interface and endpoint numbers to the function's own.</param>
/// <param name="Length"><c>wLength</c>: the most data the host accepts (IN) or the data it sends (OUT).</param>
public readonly record struct ControlRequest(byte RequestType, byte Request, ushort Value, ushort Index, ushort Length)
{
    /// <summary>Size of <c>struct usb_ctrlrequest</c> in bytes.</summary>
    public const int Size = 8;

    /// <summary>Direction of the data stage.</summary>
    public ControlDirection Direction => (ControlDirection)(RequestType & 0x80);

    /// <summary>Standard, class, vendor or reserved.</summary>
    public ControlRequestType Type => (ControlRequestType)(RequestType & 0x60);

    /// <summary>Device, interface, endpoint or other.</summary>
    public ControlRecipient Recipient => (ControlRecipient)(RequestType & 0x1f);

    /// <summary><see langword="true"/> when the data stage goes from the device to the host.</summary>
    public bool IsIn => (RequestType & 0x80) != 0;

    /// <summary>Reads the 8-byte wire form.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than 8 bytes.</exception>
    public static ControlRequest Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"A usb_ctrlrequest is {Size} bytes; got {source.Length}.", nameof(source));
        }

        return new ControlRequest(
            source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]));
    }

    /// <summary>Writes the 8-byte wire form.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 8 bytes.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A usb_ctrlrequest is {Size} bytes; got room for {destination.Length}.", nameof(destination));
        }

        destination[0] = RequestType;
        destination[1] = Request;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], Value);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Index);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Length);
    }

    /// <summary>Formats as in the kernel's debug output, e.g. <c>c0 01 0000 0000 0040 (IN vendor device)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{RequestType:x2} {Request:x2} {Value:x4} {Index:x4} {Length:x4} ({(IsIn ? "IN" : "OUT")} {Type.ToString().ToLowerInvariant()} {Recipient.ToString().ToLowerInvariant()})");
}
