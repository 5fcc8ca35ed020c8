using System.Buffers.Binary;

namespace UsbGadget.Descriptors;

/// <summary>
/// A growable little-endian byte buffer whose length fields are written as placeholders and back-patched once the
/// content after them is known (the Tmds.DBus / System.Reflection.Metadata pattern).
/// </summary>
internal sealed class BlobBuilder
{
    private byte[] _buffer;
    private int _count;

    public BlobBuilder(int initialCapacity = 256) => _buffer = new byte[initialCapacity];

    public int Count => _count;

    public void WriteByte(byte value) => Allocate(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Allocate(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Allocate(4), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Allocate(4), value);

    public void WriteBytes(ReadOnlySpan<byte> value) => value.CopyTo(Allocate(value.Length));

    /// <summary>Starts a USB descriptor: writes a bLength placeholder, returns the token for <see cref="EndDescriptor"/>.</summary>
    public DescriptorToken BeginDescriptor(byte descriptorType)
    {
        var token = new DescriptorToken(_count);
        WriteByte(0);
        WriteByte(descriptorType);
        return token;
    }

    /// <summary>Back-patches bLength with the number of bytes written since <see cref="BeginDescriptor"/>.</summary>
    public void EndDescriptor(DescriptorToken token)
    {
        int length = _count - token.Start;

        // Validation guarantees this; reaching it means a writer bug, not bad input.
        if (length > byte.MaxValue)
        {
            throw new InvalidOperationException($"Descriptor at offset {token.Start} is {length} bytes; bLength holds at most 255.");
        }

        _buffer[token.Start] = (byte)length;
    }

    /// <summary>Writes a 32-bit length placeholder that will count bytes from <paramref name="start"/>.</summary>
    public LengthToken ReserveLength32(int start)
    {
        var token = new LengthToken(_count, start);
        WriteUInt32(0);
        return token;
    }

    /// <summary>Back-patches a 32-bit length with the bytes written since the token's start.</summary>
    public uint PatchLength32(LengthToken token)
    {
        uint length = checked((uint)(_count - token.Start));
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(token.Offset), length);
        return length;
    }

    /// <summary>Writes a 32-bit placeholder to fill in later with <see cref="PatchUInt32"/>.</summary>
    public int ReserveUInt32()
    {
        int offset = _count;
        WriteUInt32(0);
        return offset;
    }

    public void PatchUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(offset), value);

    public byte[] ToArray() => _buffer.AsSpan(0, _count).ToArray();

    /// <summary>Appends <paramref name="size"/> bytes and returns them for the caller to fill.</summary>
    public Span<byte> Allocate(int size)
    {
        if (_buffer.Length - _count < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _count + size));
        }

        var span = _buffer.AsSpan(_count, size);
        _count += size;
        return span;
    }
}

/// <summary>Where a descriptor's bLength byte is.</summary>
internal readonly record struct DescriptorToken(int Start);

/// <summary>Where a 32-bit length field is (<see cref="Offset"/>) and from where it counts (<see cref="Start"/>).</summary>
internal readonly record struct LengthToken(int Offset, int Start);
