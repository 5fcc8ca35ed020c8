namespace UsbGadget.Descriptors;

/// <summary>
/// A descriptor placed right after an interface descriptor (class- or vendor-specific, such as the HID descriptor).
/// </summary>
/// <remarks>
/// FunctionFS parses every descriptor it is given (f_fs.c, ffs_do_single_desc) and rejects the types it does not
/// know with EINVAL. Of the class-specific ones it passes only type 0x21 after a HID (0x03) or CCID (0x0B)
/// interface, with the exact size of the HID (9 bytes) or CCID (54 bytes) descriptor. Validation enforces this so
/// the problem is reported with its field path instead of as a bare EINVAL.
/// </remarks>
public abstract class ClassSpecificDescriptor
{
    /// <summary>The descriptor type (second byte).</summary>
    public abstract byte DescriptorType { get; }

    /// <summary>The total length in bytes, including bLength and bDescriptorType.</summary>
    public abstract int Length { get; }

    /// <summary>Writes the whole descriptor, starting with bLength.</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    public abstract void WriteTo(Span<byte> destination);

    /// <summary>Returns the descriptor bytes.</summary>
    /// <returns>A new array of <see cref="Length"/> bytes.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }
}

/// <summary>A descriptor given as its raw bytes, bLength and bDescriptorType included.</summary>
public sealed class RawDescriptor : ClassSpecificDescriptor
{
    private readonly byte[] _bytes;

    /// <summary>Creates a raw descriptor.</summary>
    /// <param name="bytes">The whole descriptor. Validation checks that bytes[0] (bLength) equals its length.</param>
    public RawDescriptor(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2)
        {
            throw new ArgumentException($"A descriptor needs at least bLength and bDescriptorType (2 bytes); got {bytes.Length}.", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>The bytes as given.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The bLength byte as given (bytes[0]).</summary>
    public byte DeclaredLength => _bytes[0];

    /// <inheritdoc/>
    public override byte DescriptorType => _bytes[1];

    /// <inheritdoc/>
    public override int Length => _bytes.Length;

    /// <inheritdoc/>
    public override void WriteTo(Span<byte> destination) => _bytes.CopyTo(destination);
}
