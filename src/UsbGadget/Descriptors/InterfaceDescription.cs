namespace UsbGadget.Descriptors;

/// <summary>
/// One interface descriptor (USB 2.0 §9.6.5): one alternate setting of one interface, with its class-specific
/// descriptors and endpoints. Alternate settings of the same interface are separate entries with the same
/// <see cref="Number"/>, listed one after another with <see cref="AlternateSetting"/> 0, 1, 2, ...
/// </summary>
/// <remarks>
/// Interface numbers are local to the function: f_fs rewrites them to the numbers the configuration assigns.
/// An endpoint address may appear in only one alternate setting: FunctionFS creates one epN file per endpoint
/// descriptor and refuses two descriptors for the same address when the gadget is bound (writing UDC fails).
/// </remarks>
public sealed class InterfaceDescription
{
    /// <summary>bInterfaceNumber, local to the function. Numbers must run 0, 1, 2, ... without gaps.</summary>
    public required byte Number { get; init; }

    /// <summary>bAlternateSetting.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte AlternateSetting { get; init; }

    /// <summary>bInterfaceClass, e.g. 0xFF (vendor specific) or 0x03 (HID).</summary>
    /// <remarks>Defaults to 0xFF (vendor specific).</remarks>
    public byte Class { get; init; } = UsbClass.VendorSpecific;

    /// <summary>bInterfaceSubClass.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte SubClass { get; init; }

    /// <summary>bInterfaceProtocol.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte Protocol { get; init; }

    /// <summary>iInterface: 1-based index into <see cref="FunctionDescription.Strings"/>, or 0 for none.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte NameIndex { get; init; }

    /// <summary>Descriptors written right after the interface descriptor, before the endpoints (e.g. HID).</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<ClassSpecificDescriptor> ClassDescriptors { get; init; } = [];

    /// <summary>The endpoints of this alternate setting, in the order they get epN files.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<EndpointDescription> Endpoints { get; init; } = [];

    /// <summary>
    /// A HID interface (class 0x03) with its HID class descriptor and an interrupt IN endpoint, plus an optional
    /// interrupt OUT endpoint for output reports. The function must answer GET_DESCRIPTOR(Report, 0x22) on ep0 with
    /// <paramref name="reportDescriptor"/>: FunctionFS forwards that request instead of answering it.
    /// </summary>
    /// <param name="number">Function-local interface number.</param>
    /// <param name="reportDescriptor">The report descriptor, e.g. <see cref="HidReportDescriptors.BootKeyboard"/>.</param>
    /// <param name="inEndpoint">The interrupt IN endpoint for input reports.</param>
    /// <param name="outEndpoint">An interrupt OUT endpoint for output reports, or null to receive them with SET_REPORT on ep0.</param>
    /// <param name="bootProtocol">For boot devices: 1 keyboard, 2 mouse (subclass 1); 0 for none (subclass 0).</param>
    /// <param name="nameIndex">iInterface string index, or 0.</param>
    /// <returns>The interface.</returns>
    public static InterfaceDescription Hid(
        byte number,
        ReadOnlySpan<byte> reportDescriptor,
        EndpointDescription inEndpoint,
        EndpointDescription? outEndpoint = null,
        byte bootProtocol = 0,
        byte nameIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(inEndpoint);
        return new InterfaceDescription
        {
            Number = number,
            Class = UsbClass.Hid,
            SubClass = bootProtocol == 0 ? (byte)0 : (byte)1,
            Protocol = bootProtocol,
            NameIndex = nameIndex,
            ClassDescriptors = [HidClassDescriptor.For(reportDescriptor)],
            Endpoints = outEndpoint is null ? [inEndpoint] : [inEndpoint, outEndpoint],
        };
    }
}

/// <summary>
/// An interface association descriptor (USB IAD ECN, type 0x0B) grouping consecutive interfaces into one function.
/// The writer places it right before alternate setting 0 of <see cref="FirstInterface"/>.
/// </summary>
/// <remarks>
/// f_fs rewrites interface numbers in interface descriptors but not bFirstInterface here, so the IAD is only right
/// when this function's interfaces get the same numbers in the configuration, i.e. when it comes first.
/// </remarks>
public sealed class InterfaceAssociationDescription
{
    /// <summary>bFirstInterface, a function-local interface number.</summary>
    public required byte FirstInterface { get; init; }

    /// <summary>bInterfaceCount: how many consecutive interfaces belong to the association (at least 1).</summary>
    public required byte InterfaceCount { get; init; }

    /// <summary>bFunctionClass.</summary>
    /// <remarks>Defaults to 0xFF (vendor specific).</remarks>
    public byte Class { get; init; } = UsbClass.VendorSpecific;

    /// <summary>bFunctionSubClass.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte SubClass { get; init; }

    /// <summary>bFunctionProtocol.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte Protocol { get; init; }

    /// <summary>iFunction: 1-based string index, or 0 for none.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte NameIndex { get; init; }
}

/// <summary>Common USB class codes (usb.org defined class codes).</summary>
public static class UsbClass
{
    /// <summary>Audio.</summary>
    public const byte Audio = 0x01;

    /// <summary>Communications and CDC control.</summary>
    public const byte Communications = 0x02;

    /// <summary>Human interface device.</summary>
    public const byte Hid = 0x03;

    /// <summary>Mass storage.</summary>
    public const byte MassStorage = 0x08;

    /// <summary>CDC data.</summary>
    public const byte CdcData = 0x0A;

    /// <summary>Smart card (CCID).</summary>
    public const byte SmartCard = 0x0B;

    /// <summary>Video.</summary>
    public const byte Video = 0x0E;

    /// <summary>Miscellaneous (used with IAD).</summary>
    public const byte Miscellaneous = 0xEF;

    /// <summary>Application specific (DFU, IrDA, test and measurement).</summary>
    public const byte ApplicationSpecific = 0xFE;

    /// <summary>Vendor specific.</summary>
    public const byte VendorSpecific = 0xFF;
}
