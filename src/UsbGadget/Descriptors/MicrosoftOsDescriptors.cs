using System.Buffers.Binary;
using System.Text;

namespace UsbGadget.Descriptors;

/// <summary>
/// Microsoft OS 1.0 descriptors for one interface: an extended compatible id (e.g. "WINUSB", so Windows binds
/// WinUSB without an INF) and extended properties (e.g. DeviceInterfaceGUIDs, so applications can find the device).
/// </summary>
/// <remarks>
/// The host only asks for them if the gadget enables OS descriptors in configfs (os_desc/use = 1, b_vendor_code,
/// qw_sign, and the configuration linked into os_desc). Windows caches the answer per VID/PID/bcdDevice, so bump
/// bcdDevice after changing them.
/// </remarks>
public sealed class MicrosoftOsInterfaceDescriptors
{
    /// <summary>Function-local interface number the descriptors belong to.</summary>
    public required byte Interface { get; init; }

    /// <summary>CompatibleID, up to 8 ASCII characters (e.g. "WINUSB"), or null to write no extended compat id.</summary>
    /// <remarks>Defaults to null.</remarks>
    public string? CompatibleId { get; init; }

    /// <summary>SubCompatibleID, up to 8 ASCII characters.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public string SubCompatibleId { get; init; } = "";

    /// <summary>Extended properties (registry values under the device's key).</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<MicrosoftOsExtendedProperty> Properties { get; init; } = [];

    /// <summary>
    /// WinUSB for <paramref name="interfaceNumber"/> and a DeviceInterfaceGUIDs property, which is what a vendor
    /// bulk function needs to work on Windows without a driver package.
    /// </summary>
    /// <param name="interfaceNumber">Function-local interface number.</param>
    /// <param name="deviceInterfaceGuid">The GUID applications open the device by.</param>
    /// <returns>The descriptors.</returns>
    public static MicrosoftOsInterfaceDescriptors WinUsb(byte interfaceNumber, Guid deviceInterfaceGuid) =>
        new()
        {
            Interface = interfaceNumber,
            CompatibleId = "WINUSB",
            Properties = [MicrosoftOsExtendedProperty.DeviceInterfaceGuids(deviceInterfaceGuid)],
        };
}

/// <summary>Registry value type of an extended property (dwPropertyDataType).</summary>
public enum MicrosoftOsPropertyType
{
    /// <summary>REG_SZ: a NUL-terminated Unicode string.</summary>
    String = 1,

    /// <summary>REG_EXPAND_SZ: a NUL-terminated Unicode string with environment variables.</summary>
    ExpandString = 2,

    /// <summary>REG_BINARY: free-form bytes.</summary>
    Binary = 3,

    /// <summary>REG_DWORD_LITTLE_ENDIAN.</summary>
    DwordLittleEndian = 4,

    /// <summary>REG_DWORD_BIG_ENDIAN.</summary>
    DwordBigEndian = 5,

    /// <summary>REG_LINK: a NUL-terminated Unicode string holding a symbolic link.</summary>
    Link = 6,

    /// <summary>REG_MULTI_SZ: NUL-terminated Unicode strings, ended by an empty string.</summary>
    MultiString = 7,
}

/// <summary>One Microsoft OS 1.0 extended property (registry value).</summary>
/// <remarks>
/// The host receives the name and string values as UTF-16LE, but FunctionFS expects them as 8-bit text and converts
/// them itself: the gadget core doubles wPropertyNameLength and, for string types, dwPropertyDataLength, then runs
/// utf8s_to_utf16s (drivers/usb/gadget/u_os_desc.h, f_fs.c __ffs_func_bind_do_os_desc). The writer therefore
/// emits the name and string data as NUL-terminated ASCII; validation rejects non-ASCII text, whose UTF-16 length
/// would not be twice its byte length.
/// </remarks>
public sealed class MicrosoftOsExtendedProperty
{
    private readonly byte[] _data;

    private MicrosoftOsExtendedProperty(string name, MicrosoftOsPropertyType type, byte[] data, IReadOnlyList<string>? strings)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Type = type;
        _data = data;
        Strings = strings ?? [];
    }

    /// <summary>Property name, e.g. "DeviceInterfaceGUIDs".</summary>
    public string Name { get; }

    /// <summary>Registry value type.</summary>
    public MicrosoftOsPropertyType Type { get; }

    /// <summary>For string types: the string values (one for REG_SZ, REG_EXPAND_SZ and REG_LINK).</summary>
    public IReadOnlyList<string> Strings { get; }

    /// <summary>
    /// The bytes written to FunctionFS as the property data: for string types ASCII with NUL terminators
    /// (REG_MULTI_SZ ends with an extra NUL); otherwise the raw value.
    /// </summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>A REG_MULTI_SZ "DeviceInterfaceGUIDs" property with the GUIDs in registry format ({xxxxxxxx-...}).</summary>
    /// <param name="guids">One or more GUIDs.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty DeviceInterfaceGuids(params IReadOnlyList<Guid> guids)
    {
        ArgumentNullException.ThrowIfNull(guids);
        return MultiString("DeviceInterfaceGUIDs", [.. guids.Select(static g => g.ToString("B").ToUpperInvariant())]);
    }

    /// <summary>A REG_SZ (or REG_EXPAND_SZ / REG_LINK) property.</summary>
    /// <param name="name">Property name.</param>
    /// <param name="value">The string.</param>
    /// <param name="type">One of the single-string types.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty String(string name, string value, MicrosoftOsPropertyType type = MicrosoftOsPropertyType.String)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (type is not (MicrosoftOsPropertyType.String or MicrosoftOsPropertyType.ExpandString or MicrosoftOsPropertyType.Link))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Use String, ExpandString or Link; MultiString, Binary and the DWORD types have their own factory methods.");
        }

        return new(name, type, EncodeStrings([value], extraTerminator: false), [value]);
    }

    /// <summary>A REG_MULTI_SZ property.</summary>
    /// <param name="name">Property name.</param>
    /// <param name="values">The strings.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty MultiString(string name, params IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(name, MicrosoftOsPropertyType.MultiString, EncodeStrings(values, extraTerminator: true), [.. values]);
    }

    /// <summary>A REG_BINARY property.</summary>
    /// <param name="name">Property name.</param>
    /// <param name="value">The bytes.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty Binary(string name, ReadOnlySpan<byte> value) =>
        new(name, MicrosoftOsPropertyType.Binary, value.ToArray(), null);

    /// <summary>A REG_DWORD_LITTLE_ENDIAN property.</summary>
    /// <param name="name">Property name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty Dword(string name, uint value)
    {
        var data = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        return new(name, MicrosoftOsPropertyType.DwordLittleEndian, data, null);
    }

    private static byte[] EncodeStrings(IReadOnlyList<string> values, bool extraTerminator)
    {
        var bytes = new List<byte>();
        foreach (string value in values)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(values));

            // Latin1 keeps one byte per char; validation rejects anything outside ASCII before it is written.
            bytes.AddRange(Encoding.Latin1.GetBytes(value));
            bytes.Add(0);
        }

        if (extraTerminator)
        {
            bytes.Add(0);
        }

        return [.. bytes];
    }
}
