using System.Buffers.Binary;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Edits the header of a FunctionFS v2 descriptors blob (magic 3, length, flags, [eventfd], counts...).
/// Pure functions, so the layout can be tested with hex vectors.
/// </summary>
internal static class FunctionFsDescriptorsHeader
{
    /// <summary>FUNCTIONFS_DESCRIPTORS_MAGIC_V2.</summary>
    public const uint MagicV2 = 3;

    /// <summary>FUNCTIONFS_EVENTFD.</summary>
    public const uint EventFdFlag = 32;

    private const int FlagsOffset = 8;
    private const int EventFdOffset = 12;

    /// <summary>
    /// Returns a copy of <paramref name="descriptors"/> that asks the kernel to signal <paramref name="eventFd"/> on
    /// every ep0 event: sets FUNCTIONFS_EVENTFD and inserts (or overwrites) the eventfd field after the flags,
    /// fixing the length field.
    /// </summary>
    /// <exception cref="ArgumentException">The blob is not a v2 descriptors blob whose length field matches its size.</exception>
    public static byte[] WithEventFd(ReadOnlySpan<byte> descriptors, int eventFd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventFd);
        if (descriptors.Length < 12 || BinaryPrimitives.ReadUInt32LittleEndian(descriptors) != MagicV2)
        {
            throw new ArgumentException("Only a FunctionFS v2 descriptors blob (magic 3) can carry an eventfd.", nameof(descriptors));
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(descriptors[4..]) != (uint)descriptors.Length)
        {
            throw new ArgumentException(
                $"The descriptors blob's length field ({BinaryPrimitives.ReadUInt32LittleEndian(descriptors[4..])}) does not match its size ({descriptors.Length}).",
                nameof(descriptors));
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(descriptors[FlagsOffset..]);
        byte[] result;
        if ((flags & EventFdFlag) != 0)
        {
            if (descriptors.Length < EventFdOffset + 4)
            {
                throw new ArgumentException("The descriptors blob sets FUNCTIONFS_EVENTFD but has no room for the eventfd field.", nameof(descriptors));
            }

            result = descriptors.ToArray();
        }
        else
        {
            result = new byte[descriptors.Length + 4];
            descriptors[..EventFdOffset].CopyTo(result);
            descriptors[EventFdOffset..].CopyTo(result.AsSpan(EventFdOffset + 4));
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)result.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(FlagsOffset), flags | EventFdFlag);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(EventFdOffset), (uint)eventFd);
        return result;
    }

    /// <summary>The flags field of a v2 blob, or 0 for anything else.</summary>
    public static uint ReadFlags(ReadOnlySpan<byte> descriptors)
        => descriptors.Length >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(descriptors) == MagicV2
            ? BinaryPrimitives.ReadUInt32LittleEndian(descriptors[FlagsOffset..])
            : 0;
}
