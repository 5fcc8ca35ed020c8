namespace UsbGadget.ConfigFs;

/// <summary>
/// A function instance of the gadget: the directory <c>functions/&lt;Type&gt;.&lt;Instance&gt;</c>.
/// FunctionFS instances (<c>ffs</c>) are served by user space; the others are the kernel's own functions.
/// </summary>
/// <param name="Type">The kernel function name, such as <c>ffs</c>, <c>hid</c>, <c>acm</c>, <c>ecm</c>,
/// <c>mass_storage</c>, <c>SourceSink</c> or <c>Loopback</c>.</param>
/// <param name="Instance">The instance name. For FunctionFS it is also the device name given to mount(2), and system-wide unique.</param>
public sealed record FunctionDefinition(string Type, string Instance)
{
    /// <summary>The function type of FunctionFS.</summary>
    public const string FunctionFsType = "ffs";

    /// <summary>Directories to create inside the function before writing attributes, such as <c>lun.1</c> of mass_storage.</summary>
    /// <remarks>Defaults to none. They are removed again, in reverse order, before the function.</remarks>
    public IReadOnlyList<string> Directories { get; init; } = [];

    /// <summary>Attributes to write, in order, after the function and its <see cref="Directories"/> exist.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<ConfigFsAttribute> Attributes { get; init; } = [];

    /// <summary>The directory name under <c>functions/</c>: <c>&lt;Type&gt;.&lt;Instance&gt;</c>.</summary>
    public string DirectoryName => $"{Type}.{Instance}";

    /// <summary>Whether this is a FunctionFS instance, which must be mounted and must write its descriptors before binding.</summary>
    public bool IsFunctionFs => Type == FunctionFsType;

    /// <summary>A FunctionFS instance, served by a user-space function through its mount.</summary>
    /// <param name="instance">The instance name, also the mount(2) device name.</param>
    public static FunctionDefinition FunctionFs(string instance) => new(FunctionFsType, instance);

    /// <summary>The kernel's HID function (<c>usb_f_hid</c>); reports go through <c>/dev/hidgN</c>.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="protocol">bInterfaceProtocol: 1 keyboard, 2 mouse, 0 none.</param>
    /// <param name="subclass">bInterfaceSubClass: 1 boot interface, 0 none.</param>
    /// <param name="reportLength">The largest report in bytes.</param>
    /// <param name="reportDescriptor">The HID report descriptor.</param>
    public static FunctionDefinition Hid(string instance, byte protocol, byte subclass, ushort reportLength, ReadOnlyMemory<byte> reportDescriptor) =>
        new("hid", instance)
        {
            Attributes =
            [
                ConfigFsAttribute.Number("protocol", protocol),
                ConfigFsAttribute.Number("subclass", subclass),
                ConfigFsAttribute.Number("report_length", reportLength),
                ConfigFsAttribute.Binary("report_desc", reportDescriptor),
            ],
        };

    /// <summary>The kernel's CDC ACM serial function (<c>usb_f_acm</c>); it appears as <c>/dev/ttyGSN</c>.</summary>
    /// <param name="instance">The instance name.</param>
    public static FunctionDefinition Acm(string instance) => new("acm", instance);

    /// <summary>The kernel's CDC ECM Ethernet function (<c>usb_f_ecm</c>).</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="deviceAddress">The gadget side MAC address (xx:xx:xx:xx:xx:xx), or null for a random one.</param>
    /// <param name="hostAddress">The host side MAC address, or null for a random one.</param>
    public static FunctionDefinition Ecm(string instance, string? deviceAddress = null, string? hostAddress = null)
    {
        var attributes = new List<ConfigFsAttribute>();
        if (deviceAddress is not null) { attributes.Add(ConfigFsAttribute.Text("dev_addr", deviceAddress)); }
        if (hostAddress is not null) { attributes.Add(ConfigFsAttribute.Text("host_addr", hostAddress)); }
        return new("ecm", instance) { Attributes = attributes };
    }

    /// <summary>The kernel's mass storage function (<c>usb_f_mass_storage</c>) with its default LUN 0 backed by <paramref name="backingFile"/>.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="backingFile">The image file or block device.</param>
    /// <param name="readOnly">Whether the host may only read.</param>
    /// <param name="removable">Whether the medium is removable.</param>
    /// <param name="cdrom">Whether to appear as a CD-ROM.</param>
    public static FunctionDefinition MassStorage(string instance, string backingFile, bool readOnly = false, bool removable = true, bool cdrom = false) =>
        new("mass_storage", instance)
        {
            // ro, removable and cdrom must be set before file: the kernel refuses changes while a medium is open.
            Attributes =
            [
                ConfigFsAttribute.Flag("lun.0/removable", removable),
                ConfigFsAttribute.Flag("lun.0/cdrom", cdrom),
                ConfigFsAttribute.Flag("lun.0/ro", readOnly),
                ConfigFsAttribute.Text("lun.0/file", backingFile),
            ],
        };

    /// <summary>The kernel's SourceSink test function (<c>usb_f_ss_lb</c>): bulk IN sources data, bulk OUT sinks it.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="bulkBufferLength">The request size in bytes, or null for the kernel's default (4096).</param>
    public static FunctionDefinition SourceSink(string instance, uint? bulkBufferLength = null) =>
        new("SourceSink", instance)
        {
            Attributes = bulkBufferLength is uint length ? [ConfigFsAttribute.Number("bulk_buflen", length)] : [],
        };

    /// <summary>The kernel's Loopback test function (<c>usb_f_ss_lb</c>): data sent OUT comes back IN.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="bulkBufferLength">The request size in bytes, or null for the kernel's default.</param>
    public static FunctionDefinition Loopback(string instance, uint? bulkBufferLength = null) =>
        new("Loopback", instance)
        {
            Attributes = bulkBufferLength is uint length ? [ConfigFsAttribute.Number("bulk_buflen", length)] : [],
        };
}
