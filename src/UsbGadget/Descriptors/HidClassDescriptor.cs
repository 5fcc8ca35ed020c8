using System.Buffers.Binary;

namespace UsbGadget.Descriptors;

/// <summary>
/// The HID class descriptor (HID 1.11 §6.2.1, type 0x21) announcing one report descriptor (type 0x22).
/// Place it in <see cref="InterfaceDescription.ClassDescriptors"/> of an interface whose class is 0x03 (HID).
/// </summary>
/// <remarks>
/// Always 9 bytes with exactly one class descriptor entry: f_fs.c accepts a HID descriptor only at that size
/// (newer kernels accept more entries, older ones do not). Physical descriptors are therefore not supported.
/// </remarks>
public sealed class HidClassDescriptor : ClassSpecificDescriptor
{
    /// <summary>HID class descriptor type.</summary>
    public const byte HidDescriptorType = 0x21;

    /// <summary>HID report descriptor type.</summary>
    public const byte ReportDescriptorType = 0x22;

    /// <summary>Creates a HID class descriptor.</summary>
    /// <param name="reportDescriptorLength">Length of the report descriptor the host will request with GET_DESCRIPTOR(0x22).</param>
    /// <param name="bcdHid">HID specification release, BCD.</param>
    /// <param name="countryCode">Country code of localized hardware, 0 when not localized.</param>
    public HidClassDescriptor(ushort reportDescriptorLength, ushort bcdHid = 0x0111, byte countryCode = 0)
    {
        ReportDescriptorLength = reportDescriptorLength;
        BcdHid = bcdHid;
        CountryCode = countryCode;
    }

    /// <summary>bcdHID, e.g. 0x0111 for HID 1.11.</summary>
    public ushort BcdHid { get; }

    /// <summary>bCountryCode.</summary>
    public byte CountryCode { get; }

    /// <summary>wDescriptorLength of the report descriptor.</summary>
    public ushort ReportDescriptorLength { get; }

    /// <inheritdoc/>
    public override byte DescriptorType => HidDescriptorType;

    /// <inheritdoc/>
    public override int Length => 9;

    /// <summary>Creates the HID class descriptor for a report descriptor.</summary>
    /// <param name="reportDescriptor">The report descriptor; only its length is used.</param>
    /// <returns>The descriptor.</returns>
    public static HidClassDescriptor For(ReadOnlySpan<byte> reportDescriptor)
    {
        if (reportDescriptor.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(reportDescriptor), reportDescriptor.Length, "A HID report descriptor is at most 65535 bytes (wDescriptorLength is 16 bits).");
        }

        return new HidClassDescriptor((ushort)reportDescriptor.Length);
    }

    /// <inheritdoc/>
    public override void WriteTo(Span<byte> destination)
    {
        destination = destination[..9];
        destination[0] = 9;
        destination[1] = HidDescriptorType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], BcdHid);
        destination[4] = CountryCode;
        destination[5] = 1; // bNumDescriptors
        destination[6] = ReportDescriptorType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[7..], ReportDescriptorLength);
    }
}

/// <summary>Ready-made HID report descriptors.</summary>
public static class HidReportDescriptors
{
    /// <summary>
    /// The boot protocol keyboard report descriptor of HID 1.11 Appendix B.1 (63 bytes): 8 modifier bits, a reserved
    /// byte and 6 key codes in (8-byte input report), 5 LED bits out (1-byte output report).
    /// Use it with interface class 0x03, subclass 0x01 (boot), protocol 0x01 (keyboard).
    /// </summary>
    public static ReadOnlySpan<byte> BootKeyboard =>
    [
        0x05, 0x01, // Usage Page (Generic Desktop)
        0x09, 0x06, // Usage (Keyboard)
        0xA1, 0x01, // Collection (Application)
        0x05, 0x07, //   Usage Page (Key Codes)
        0x19, 0xE0, //   Usage Minimum (224, Left Control)
        0x29, 0xE7, //   Usage Maximum (231, Right GUI)
        0x15, 0x00, //   Logical Minimum (0)
        0x25, 0x01, //   Logical Maximum (1)
        0x75, 0x01, //   Report Size (1)
        0x95, 0x08, //   Report Count (8)
        0x81, 0x02, //   Input (Data, Variable, Absolute): modifier byte
        0x95, 0x01, //   Report Count (1)
        0x75, 0x08, //   Report Size (8)
        0x81, 0x01, //   Input (Constant): reserved byte
        0x95, 0x05, //   Report Count (5)
        0x75, 0x01, //   Report Size (1)
        0x05, 0x08, //   Usage Page (LEDs)
        0x19, 0x01, //   Usage Minimum (1, Num Lock)
        0x29, 0x05, //   Usage Maximum (5, Kana)
        0x91, 0x02, //   Output (Data, Variable, Absolute): LED report
        0x95, 0x01, //   Report Count (1)
        0x75, 0x03, //   Report Size (3)
        0x91, 0x01, //   Output (Constant): LED report padding
        0x95, 0x06, //   Report Count (6)
        0x75, 0x08, //   Report Size (8)
        0x15, 0x00, //   Logical Minimum (0)
        0x25, 0x65, //   Logical Maximum (101)
        0x05, 0x07, //   Usage Page (Key Codes)
        0x19, 0x00, //   Usage Minimum (0)
        0x29, 0x65, //   Usage Maximum (101)
        0x81, 0x00, //   Input (Data, Array): key array (6 bytes)
        0xC0,       // End Collection
    ];

    /// <summary>Size of a boot keyboard input report: modifiers, reserved, 6 key codes.</summary>
    public const int BootKeyboardInputReportLength = 8;
}
