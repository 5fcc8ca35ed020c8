namespace UsbGadget.Aio;

/// <summary>One element of a vectored read or write (one struct iovec).</summary>
public readonly struct AioBufferSegment
{
    /// <summary>A range of an <see cref="AioBuffer"/>; the buffer stays mapped while the block is in flight.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="offset">Start within the buffer.</param>
    /// <param name="length">Length in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the buffer.</exception>
    public AioBufferSegment(AioBuffer buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)offset + length, buffer.Length, nameof(length));
        Buffer = buffer;
        Address = buffer.Address + offset;
        Length = length;
    }

    /// <summary>A raw address range. The caller keeps the memory valid until the block's event was reaped.</summary>
    /// <param name="address">Start address.</param>
    /// <param name="length">Length in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public AioBufferSegment(nint address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Address = address;
        Length = length;
    }

    /// <summary>The buffer, when the segment was made from one.</summary>
    public AioBuffer? Buffer { get; }

    /// <summary>The start address.</summary>
    public nint Address { get; }

    /// <summary>The length in bytes.</summary>
    public int Length { get; }
}
