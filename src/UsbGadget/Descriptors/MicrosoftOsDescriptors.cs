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
    /// WinUSB for <paramref name="interfaceNumber"/> and a DeviceInterfaceGUID property, which is what a vendor
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
            Properties = [MicrosoftOsExtendedProperty.DeviceInterfaceGuid(deviceInterfaceGuid)],
        };
}

/// <summary>Registry value type of an extended property (dwPropertyDataType).</summary>
/// <remarks>
/// The Linux gadget core answers the host's request only for <see cref="String"/>, <see cref="ExpandString"/>,
/// <see cref="Link"/> and <see cref="Binary"/>: for the other types composite.c (fill_ext_prop) returns EINVAL and
/// the request stalls, taking every property of the interface with it. f_fs accepts them in the blob all the same,
/// so only those four can be created here.
/// </remarks>
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

    private MicrosoftOsExtendedProperty(string name, MicrosoftOsPropertyType type, byte[] data, string? text)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Type = type;
        _data = data;
        Text = text;
    }

    /// <summary>Property name, e.g. "DeviceInterfaceGUID".</summary>
    public string Name { get; }

    /// <summary>Registry value type.</summary>
    public MicrosoftOsPropertyType Type { get; }

    /// <summary>For the string types: the value; null for <see cref="MicrosoftOsPropertyType.Binary"/>.</summary>
    public string? Text { get; }

    /// <summary>
    /// The bytes written to FunctionFS as the property data: for the string types ASCII with a NUL terminator
    /// (the gadget core widens it to UTF-16 for the host); for REG_BINARY the raw value.
    /// </summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>
    /// A REG_SZ "DeviceInterfaceGUID" property with the GUID in registry format ({XXXXXXXX-...}): WinUSB registers
    /// the device interface under it, so applications can find the device.
    /// </summary>
    /// <remarks>
    /// Not the REG_MULTI_SZ "DeviceInterfaceGUIDs" of MS OS 2.0: the Linux gadget core cannot serve REG_MULTI_SZ
    /// (see <see cref="MicrosoftOsPropertyType"/>). WinUSB reads the REG_SZ form from MS OS 1.0 descriptors.
    /// </remarks>
    /// <param name="guid">The device interface GUID.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty DeviceInterfaceGuid(Guid guid) =>
        String("DeviceInterfaceGUID", guid.ToString("B").ToUpperInvariant());

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
            throw new ArgumentOutOfRangeException(nameof(type), type, "Use String, ExpandString or Link here, or Binary(). Linux cannot serve REG_MULTI_SZ or the DWORD types to the host.");
        }

        return new(name, type, EncodeString(value), value);
    }

    /// <summary>A REG_BINARY property.</summary>
    /// <param name="name">Property name.</param>
    /// <param name="value">The bytes.</param>
    /// <returns>The property.</returns>
    public static MicrosoftOsExtendedProperty Binary(string name, ReadOnlySpan<byte> value) =>
        new(name, MicrosoftOsPropertyType.Binary, value.ToArray(), null);

    private static byte[] EncodeString(string value)
    {
        // Latin1 keeps one byte per char; validation rejects anything outside printable ASCII before it is written.
        var bytes = new byte[value.Length + 1];
        Encoding.Latin1.GetBytes(value, bytes);
        return bytes;
    }
}
