using UsbGadget.Descriptors;

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

    /// <summary>Microsoft OS extended compatible ids of the function's interfaces, written to its <c>os_desc/interface.*</c> groups.</summary>
    /// <remarks>Defaults to none. Windows reads them only when the gadget has <see cref="GadgetDefinition.OsDescriptors"/>.</remarks>
    public IReadOnlyList<OsDescriptorInterface> OsDescriptorInterfaces { get; init; } = [];

    /// <summary>
    /// The endpoints the function claims from the UDC at bind time, in the order its driver asks for them (which decides
    /// which endpoint it gets). The kernel functions' factories fill it from the driver's full-speed descriptors; for a
    /// FunctionFS instance it comes from the descriptors its user-space function writes.
    /// </summary>
    /// <remarks>Defaults to none, which <see cref="UdcEndpointBudget"/> reads as "unknown, nothing to check".</remarks>
    public IReadOnlyList<EndpointNeed> Endpoints { get; init; } = [];

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
            // hidg_bind: interrupt IN, then interrupt OUT (the OUT one exists unless no_out_endpoint, which is not set);
            // the size is filled in after autoconfig, so autoconfig sees 0.
            Endpoints = [EndpointNeed.InterruptIn(0), EndpointNeed.InterruptOut(0)],
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
    public static FunctionDefinition Acm(string instance) =>
        // acm_bind: bulk IN, bulk OUT, then the 10-byte (GS_NOTIFY_MAXPACKET) notification endpoint.
        new("acm", instance) { Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut, EndpointNeed.InterruptIn(10)] };

    /// <summary>The kernel's CDC ECM Ethernet function (<c>usb_f_ecm</c>): Linux and macOS hosts drive it with cdc_ether; Windows does not.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="deviceAddress">The gadget side MAC address (xx:xx:xx:xx:xx:xx), or null for a random one.</param>
    /// <param name="hostAddress">The host side MAC address, or null for a random one.</param>
    /// <param name="queueMultiplier">The request queue length multiplier at high and super speed (<c>qmult</c>), or null for the kernel's 5.</param>
    public static FunctionDefinition Ecm(string instance, string? deviceAddress = null, string? hostAddress = null, byte? queueMultiplier = null) =>
        new("ecm", instance)
        {
            Attributes = EthernetAttributes(deviceAddress, hostAddress, queueMultiplier),
            // ecm_bind: bulk IN, bulk OUT, then the 16-byte (ECM_STATUS_BYTECOUNT) notification endpoint.
            Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut, EndpointNeed.InterruptIn(16)],
        };

    /// <summary>
    /// The kernel's CDC NCM Ethernet function (<c>usb_f_ncm</c>): Linux (cdc_ncm), macOS and Windows 10 and later (UsbNcm) drive it.
    /// It carries the <see cref="OsDescriptorInterface.Ncm"/> compatible id Windows needs.
    /// </summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="deviceAddress">The gadget side MAC address (xx:xx:xx:xx:xx:xx), or null for a random one.</param>
    /// <param name="hostAddress">The host side MAC address, or null for a random one.</param>
    /// <param name="queueMultiplier">The request queue length multiplier (<c>qmult</c>), or null for the kernel's 5.</param>
    public static FunctionDefinition Ncm(string instance, string? deviceAddress = null, string? hostAddress = null, byte? queueMultiplier = null) =>
        new("ncm", instance)
        {
            Attributes = EthernetAttributes(deviceAddress, hostAddress, queueMultiplier),
            OsDescriptorInterfaces = [OsDescriptorInterface.Ncm],
            // ncm_bind: bulk IN, bulk OUT, then the 16-byte (NCM_STATUS_BYTECOUNT) notification endpoint.
            Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut, EndpointNeed.InterruptIn(16)],
        };

    /// <summary>
    /// The kernel's RNDIS Ethernet function (<c>usb_f_rndis</c>), for older Windows hosts; Linux drives it with rndis_host.
    /// It carries the <see cref="OsDescriptorInterface.Rndis"/> compatible id Windows needs.
    /// </summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="deviceAddress">The gadget side MAC address (xx:xx:xx:xx:xx:xx), or null for a random one.</param>
    /// <param name="hostAddress">The host side MAC address, or null for a random one.</param>
    /// <param name="queueMultiplier">The request queue length multiplier (<c>qmult</c>), or null for the kernel's 5.</param>
    public static FunctionDefinition Rndis(string instance, string? deviceAddress = null, string? hostAddress = null, byte? queueMultiplier = null) =>
        new("rndis", instance)
        {
            Attributes = EthernetAttributes(deviceAddress, hostAddress, queueMultiplier),
            OsDescriptorInterfaces = [OsDescriptorInterface.Rndis],
            // rndis_bind: bulk IN, bulk OUT, then the 8-byte (STATUS_BYTECOUNT) notification endpoint.
            Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut, EndpointNeed.InterruptIn(8)],
        };

    // The attributes u_ether_configfs.h gives every Ethernet function; the kernel refuses them (EBUSY) once the function is bound.
    private static List<ConfigFsAttribute> EthernetAttributes(string? deviceAddress, string? hostAddress, byte? queueMultiplier)
    {
        var attributes = new List<ConfigFsAttribute>();
        if (deviceAddress is not null) { attributes.Add(ConfigFsAttribute.Text("dev_addr", deviceAddress)); }
        if (hostAddress is not null) { attributes.Add(ConfigFsAttribute.Text("host_addr", hostAddress)); }
        if (queueMultiplier is byte qmult) { attributes.Add(ConfigFsAttribute.Number("qmult", qmult)); }
        return attributes;
    }

    /// <summary>The kernel's mass storage function (<c>usb_f_mass_storage</c>) with one or more logical units.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="luns">The units, 1 to 16; the first is the kernel's default group <c>lun.0</c>, the others are created as <c>lun.1</c>…</param>
    /// <param name="stall">Whether the function may halt bulk endpoints (<c>stall</c>), or null for the kernel's choice per UDC.</param>
    public static FunctionDefinition MassStorage(string instance, IReadOnlyList<MassStorageLun> luns, bool? stall = null)
    {
        ArgumentNullException.ThrowIfNull(luns);
        var attributes = new List<ConfigFsAttribute>();
        if (stall is bool s) { attributes.Add(ConfigFsAttribute.Flag("stall", s)); }
        for (int i = 0; i < luns.Count; i++)
        {
            MassStorageLun lun = luns[i];
            string dir = $"lun.{i}/";
            // ro, removable and cdrom before file: the kernel refuses changes to them while a medium is open (EBUSY).
            attributes.Add(ConfigFsAttribute.Flag(dir + "removable", lun.Removable));
            attributes.Add(ConfigFsAttribute.Flag(dir + "cdrom", lun.CdRom));
            attributes.Add(ConfigFsAttribute.Flag(dir + "ro", lun.ReadOnly));
            attributes.Add(ConfigFsAttribute.Flag(dir + "nofua", lun.IgnoreForceUnitAccess));
            if (lun.InquiryString is { } inquiry) { attributes.Add(ConfigFsAttribute.Text(dir + "inquiry_string", inquiry)); }
            if (lun.File is { } file) { attributes.Add(ConfigFsAttribute.Text(dir + "file", file)); }
        }
        return new("mass_storage", instance)
        {
            Directories = [.. Enumerable.Range(1, Math.Max(0, luns.Count - 1)).Select(i => $"lun.{i}")],
            Attributes = attributes,
            // fsg_bind: bulk IN, bulk OUT.
            Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut],
        };
    }

    /// <summary>The kernel's USB MIDI function (<c>usb_f_midi</c>); on the gadget it is an ALSA sound card with raw MIDI ports.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="inPorts">MIDI IN jacks towards the host's outputs (<c>in_ports</c>), 1 to 16, or null for the kernel's 1.</param>
    /// <param name="outPorts">MIDI OUT jacks towards the host's inputs (<c>out_ports</c>), 1 to 16, or null for the kernel's 1.</param>
    /// <param name="cardIndex">The ALSA card index (<c>index</c>), or null for the first free one.</param>
    /// <param name="cardId">The ALSA card id (<c>id</c>), or null for the kernel's.</param>
    /// <param name="bufferLength">The bulk request size (<c>buflen</c>), or null for the kernel's 512.</param>
    /// <param name="queueLength">The number of requests queued (<c>qlen</c>), or null for the kernel's 32.</param>
    public static FunctionDefinition Midi(string instance, int? inPorts = null, int? outPorts = null, int? cardIndex = null, string? cardId = null,
        int? bufferLength = null, int? queueLength = null)
    {
        var attributes = new List<ConfigFsAttribute>();
        if (cardIndex is int index) { attributes.Add(ConfigFsAttribute.Number("index", index)); }
        if (cardId is not null) { attributes.Add(ConfigFsAttribute.Text("id", cardId)); }
        if (inPorts is int input) { attributes.Add(ConfigFsAttribute.Number("in_ports", input)); }
        if (outPorts is int output) { attributes.Add(ConfigFsAttribute.Number("out_ports", output)); }
        if (bufferLength is int buflen) { attributes.Add(ConfigFsAttribute.Number("buflen", buflen)); }
        if (queueLength is int qlen) { attributes.Add(ConfigFsAttribute.Number("qlen", qlen)); }
        // f_midi_bind: bulk IN, bulk OUT (the audio control interface has none).
        return new("midi", instance) { Attributes = attributes, Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut] };
    }

    /// <summary>The kernel's SourceSink test function (<c>usb_f_ss_lb</c>): bulk IN sources data, bulk OUT sinks it.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="bulkBufferLength">The request size in bytes, or null for the kernel's default (4096).</param>
    public static FunctionDefinition SourceSink(string instance, uint? bulkBufferLength = null) =>
        new("SourceSink", instance)
        {
            // sourcesink_bind: bulk IN, bulk OUT, then an isochronous IN/OUT pair of min(isoc_maxpacket, 1023) bytes at full
            // speed if the UDC has both left; otherwise it releases the IN one and binds without isochronous.
            Endpoints =
            [
                EndpointNeed.BulkIn,
                EndpointNeed.BulkOut,
                new EndpointNeed(EndpointDirection.In, EndpointTransferType.Isochronous, 1023) { Optional = true },
                new EndpointNeed(EndpointDirection.Out, EndpointTransferType.Isochronous, 1023) { Optional = true },
            ],
            Attributes = bulkBufferLength is uint length ? [ConfigFsAttribute.Number("bulk_buflen", length)] : [],
        };

    /// <summary>The kernel's Loopback test function (<c>usb_f_ss_lb</c>): data sent OUT comes back IN.</summary>
    /// <param name="instance">The instance name.</param>
    /// <param name="bulkBufferLength">The request size in bytes, or null for the kernel's default.</param>
    public static FunctionDefinition Loopback(string instance, uint? bulkBufferLength = null) =>
        new("Loopback", instance)
        {
            // loopback_bind: bulk IN, bulk OUT.
            Endpoints = [EndpointNeed.BulkIn, EndpointNeed.BulkOut],
            Attributes = bulkBufferLength is uint length ? [ConfigFsAttribute.Number("bulk_buflen", length)] : [],
        };
}
