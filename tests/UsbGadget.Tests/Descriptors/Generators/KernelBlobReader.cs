using System.Buffers.Binary;
using System.Text;

namespace UsbGadget.Tests.Descriptors;

/// <summary>
/// Reads FunctionFS blobs the way f_fs.c does (__ffs_data_got_descs, ffs_do_single_desc, __ffs_data_do_entity,
/// ffs_do_os_descs, __ffs_data_got_strings), plus the self-consistency the kernel takes on trust (each OS descriptor
/// header's dwLength). Throws <see cref="FormatException"/> naming the offset and rule where the kernel would say
/// EINVAL, so a property failure points at the byte.
/// </summary>
internal static class KernelBlobReader
{
    public const uint KnownFlags = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128;

    public static DescriptorsBlob ReadDescriptors(ReadOnlySpan<byte> blob)
    {
        Require(blob.Length >= 12, 0, "header needs magic, length and flags (12 bytes)");
        Require(U32(blob, 0) == 3, 0, $"magic {U32(blob, 0)} is not FUNCTIONFS_DESCRIPTORS_MAGIC_V2 (3)");
        Require(U32(blob, 4) == blob.Length, 4, $"header length {U32(blob, 4)} != blob length {blob.Length}");
        uint flags = U32(blob, 8);
        Require((flags & ~KnownFlags) == 0, 8, $"unknown flags 0x{flags & ~KnownFlags:X}");
        int offset = 12;
        if ((flags & 32) != 0)
        {
            Require(blob.Length - offset >= 4, offset, "FUNCTIONFS_EVENTFD without the eventfd field");
            offset += 4;
        }

        var counts = new int[3];
        for (int speed = 0; speed < 3; speed++)
        {
            if ((flags & (1u << speed)) != 0)
            {
                Require(blob.Length - offset >= 4, offset, "count missing");
                counts[speed] = checked((int)U32(blob, offset));
                offset += 4;
            }
        }

        int osCount = 0;
        if ((flags & 8) != 0)
        {
            Require(blob.Length - offset >= 4, offset, "os_count missing");
            osCount = checked((int)U32(blob, offset));
            offset += 4;
        }

        int rawStart = offset;
        var speeds = new SpeedDescriptors?[3];
        for (int speed = 0; speed < 3; speed++)
        {
            if (counts[speed] == 0)
            {
                continue;
            }

            speeds[speed] = ReadSpeed(blob, ref offset, counts[speed]);
        }

        SpeedDescriptors[] present = [.. speeds.OfType<SpeedDescriptors>()];
        foreach (SpeedDescriptors other in present.Skip(1))
        {
            // The kernel compares eps_count and interfaces_count, and each endpoint's address via eps_addrmap.
            Require(other.InterfaceCount == present[0].InterfaceCount, offset, "interface count differs between speeds");
            Require(other.EndpointAddresses.SequenceEqual(present[0].EndpointAddresses), offset, "endpoint addresses differ between speeds");
        }

        var os = new List<OsDescriptor>();
        int interfaceCount = present.Length == 0 ? 0 : present[0].InterfaceCount;
        for (int i = 0; i < osCount; i++)
        {
            os.Add(ReadOsDescriptor(blob, ref offset, interfaceCount));
        }

        Require(offset != rawStart, offset, "no descriptors at all");
        Require(offset == blob.Length, offset, $"{blob.Length - offset} bytes left over");
        return new DescriptorsBlob(flags, speeds, os);
    }

    public static StringsBlob ReadStrings(ReadOnlySpan<byte> blob)
    {
        Require(blob.Length >= 16, 0, "strings header needs 16 bytes");
        Require(U32(blob, 0) == 2, 0, $"magic {U32(blob, 0)} is not FUNCTIONFS_STRINGS_MAGIC (2)");
        Require(U32(blob, 4) == blob.Length, 4, $"header length {U32(blob, 4)} != blob length {blob.Length}");
        int stringCount = checked((int)U32(blob, 8));
        int languageCount = checked((int)U32(blob, 12));
        Require((stringCount == 0) == (languageCount == 0), 8, "str_count and lang_count must be both zero or both non-zero");
        int offset = 16;
        var languages = new List<(ushort, string[])>();
        for (int l = 0; l < languageCount; l++)
        {
            Require(blob.Length - offset >= 3, offset, "language needs its id and at least one NUL");
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(blob[offset..]);
            offset += 2;
            var values = new string[stringCount];
            for (int s = 0; s < stringCount; s++)
            {
                int nul = blob[offset..].IndexOf((byte)0);
                Require(nul >= 0, offset, "string without NUL terminator");
                values[s] = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(blob.Slice(offset, nul));
                offset += nul + 1;
            }

            languages.Add((id, values));
        }

        Require(offset == blob.Length, offset, $"{blob.Length - offset} bytes left over");
        return new StringsBlob(stringCount, languages);
    }

    private static SpeedDescriptors ReadSpeed(ReadOnlySpan<byte> blob, ref int offset, int count)
    {
        var addresses = new List<byte>();
        var types = new List<byte>();
        int interfaceCount = 0;
        int maxString = 0;
        byte currentClass = 0;
        for (int n = 0; n < count; n++)
        {
            Require(blob.Length - offset >= 2, offset, "descriptor too short");
            int length = blob[offset];
            byte type = blob[offset + 1];
            Require(length >= 2 && length <= blob.Length - offset, offset, $"bLength {length} does not fit");
            ReadOnlySpan<byte> d = blob.Slice(offset, length);
            switch (type)
            {
                case 0x04:
                    Require(length == 9, offset, "interface descriptor must be 9 bytes");
                    interfaceCount = Math.Max(interfaceCount, d[2] + 1);
                    currentClass = d[5];
                    maxString = Math.Max(maxString, d[8]);
                    break;
                case 0x05:
                    Require(length is 7 or 9, offset, "endpoint descriptor must be 7 or 9 bytes");
                    Require((d[2] & 0x0F) != 0, offset, "endpoint number 0");
                    addresses.Add(d[2]);
                    break;
                case 0x21:
                    Require(currentClass is 0x03 or 0x0B, offset, $"type 0x21 after interface class 0x{currentClass:X2}");
                    Require(length == (currentClass == 0x03 ? 9 : 54), offset, $"class descriptor 0x21 of {length} bytes");
                    break;
                case 0x0B:
                    Require(length == 8, offset, "interface association must be 8 bytes");
                    maxString = Math.Max(maxString, d[7]);
                    break;
                case 0x30:
                    Require(length == 6, offset, "SuperSpeed companion must be 6 bytes");
                    break;
                default:
                    Require(false, offset, $"descriptor type 0x{type:X2} is refused");
                    break;
            }

            types.Add(type);
            offset += length;
        }

        Require(addresses.Count < 31, offset, $"{addresses.Count} endpoints; FFS_MAX_EPS_COUNT is 31");
        return new SpeedDescriptors(count, interfaceCount, addresses, types, maxString);
    }

    private static OsDescriptor ReadOsDescriptor(ReadOnlySpan<byte> blob, ref int offset, int interfaceCount)
    {
        int start = offset;
        Require(blob.Length - offset >= 11, offset, "OS descriptor header needs 11 bytes");
        byte @interface = blob[offset];
        int length = checked((int)U32(blob, offset + 1));
        ushort bcd = BinaryPrimitives.ReadUInt16LittleEndian(blob[(offset + 5)..]);
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(blob[(offset + 7)..]);
        Require(length <= blob.Length - offset, offset, "dwLength beyond the blob");
        Require(bcd is 0x0001 or 0x0100, offset + 5, $"bcdVersion 0x{bcd:X4}");
        Require(@interface < interfaceCount, offset, $"OS descriptor for interface {@interface} of {interfaceCount}");
        int entries;
        if (index == 4)
        {
            entries = blob[offset + 9];
            Require(blob[offset + 10] == 0, offset + 10, "extended compat header Reserved must be 0");
            offset += 11;
            for (int i = 0; i < entries; i++)
            {
                Require(blob.Length - offset >= 24, offset, "extended compat entry needs 24 bytes");
                Require(blob[offset] < interfaceCount, offset, "bFirstInterfaceNumber beyond the interfaces");
                Require(blob.Slice(offset + 18, 6).IndexOfAnyExcept((byte)0) < 0, offset + 18, "Reserved2 must be 0");
                offset += 24;
            }
        }
        else
        {
            Require(index == 5, offset + 7, $"wIndex {index} is neither 4 nor 5");
            entries = BinaryPrimitives.ReadUInt16LittleEndian(blob[(offset + 9)..]);
            offset += 11;
            for (int i = 0; i < entries; i++)
            {
                Require(blob.Length - offset >= 14, offset, "extended property needs 14 bytes");
                int size = checked((int)U32(blob, offset));
                uint type = U32(blob, offset + 4);
                int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(blob[(offset + 8)..]);
                Require(type is >= 1 and <= 7, offset + 4, $"property type {type}");
                Require(blob.Length - offset >= 14 + nameLength, offset, "property name beyond the blob");
                int dataLength = checked((int)U32(blob, offset + 10 + nameLength));
                Require(size == 14 + nameLength + dataLength, offset, $"dwSize {size} != 14 + {nameLength} + {dataLength}");
                Require(size <= blob.Length - offset, offset, "property beyond the blob");
                offset += size;
            }
        }

        Require(offset - start == length, start + 1, $"dwLength {length} but the descriptor spans {offset - start} bytes");
        return new OsDescriptor(@interface, index, entries);
    }

    private static uint U32(ReadOnlySpan<byte> blob, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(blob[offset..]);

    private static void Require(bool condition, int offset, string rule)
    {
        if (!condition)
        {
            throw new FormatException($"at byte {offset}: {rule}");
        }
    }
}

internal sealed record SpeedDescriptors(int Count, int InterfaceCount, IReadOnlyList<byte> EndpointAddresses, IReadOnlyList<byte> Types, int MaxStringIndex);

internal sealed record OsDescriptor(byte Interface, ushort Index, int Entries);

/// <param name="Speeds">Full, high and SuperSpeed descriptors, null where the flag is clear.</param>
internal sealed record DescriptorsBlob(uint Flags, IReadOnlyList<SpeedDescriptors?> Speeds, IReadOnlyList<OsDescriptor> Os);

internal sealed record StringsBlob(int StringCount, IReadOnlyList<(ushort Language, string[] Values)> Languages);
