namespace UsbGadget.Hosting;

/// <summary>
/// The kernel's own USB functions in the gadget, beside the FunctionFS functions added with <c>AddFunction</c>: bound from
/// the <c>UsbGadget:KernelFunctions</c> configuration section and added in code with <c>AddSerial</c>, <c>AddNetwork</c>,
/// <c>AddMassStorage</c>, <c>AddHidDevice</c> and <c>AddMidi</c>; validated on start, one line per wrong setting.
/// </summary>
/// <remarks>
/// Functions declared in code come first, then those from configuration. Each function's <c>Name</c> is its configfs
/// instance name and must be unique among every function of the gadget, FunctionFS ones included.
/// </remarks>
public sealed class KernelFunctionsOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = UsbGadgetOptions.SectionName + ":KernelFunctions";

    /// <summary>CDC ACM serial ports (<c>usb_f_acm</c>): the gadget reads and writes <c>/dev/ttyGSN</c>, the host <c>/dev/ttyACMN</c> or a COM port.</summary>
    /// <remarks>Defaults to none.</remarks>
    public List<SerialFunctionOptions> Serial { get; set; } = [];

    /// <summary>Ethernet-over-USB functions (NCM, ECM or RNDIS); the gadget gets a network interface such as <c>usb0</c>.</summary>
    /// <remarks>Defaults to none.</remarks>
    public List<NetworkFunctionOptions> Network { get; set; } = [];

    /// <summary>Mass storage functions (<c>usb_f_mass_storage</c>): drives backed by image files or block devices.</summary>
    /// <remarks>Defaults to none.</remarks>
    public List<MassStorageFunctionOptions> MassStorage { get; set; } = [];

    /// <summary>
    /// HID devices served by the kernel (<c>usb_f_hid</c>): the app writes input reports to <c>/dev/hidgN</c>. For a HID
    /// device whose every request your own code answers, derive from the FunctionFS <c>HidFunction</c> instead.
    /// </summary>
    /// <remarks>Defaults to none.</remarks>
    public List<HidDeviceOptions> HidDevices { get; set; } = [];

    /// <summary>USB MIDI functions (<c>usb_f_midi</c>): on the gadget an ALSA sound card with raw MIDI ports.</summary>
    /// <remarks>Defaults to none.</remarks>
    public List<MidiFunctionOptions> Midi { get; set; } = [];

    /// <summary>
    /// The order of the gadget's functions in its configuration (so the order of their interfaces), by name: kernel
    /// functions and FunctionFS functions alike. Functions not listed follow, FunctionFS functions first in the order they
    /// were added, then kernel functions as listed above (serial, network, mass storage, HID, MIDI).
    /// </summary>
    /// <remarks>Defaults to empty. Windows wants an RNDIS function first; list it first when you have one.</remarks>
    public List<string> FunctionOrder { get; set; } = [];

    /// <summary>Settings the configuration binder could not read, one message each, for the validator.</summary>
    internal List<string> UnreadableSettings { get; } = [];
}

/// <summary>A CDC ACM serial port served by the kernel.</summary>
public sealed class SerialFunctionOptions
{
    /// <summary>The function's name: its configfs instance (<c>acm.&lt;Name&gt;</c>) and the key for <see cref="KernelFunctionDevices.GetSerialPortPath"/>.</summary>
    /// <remarks>Defaults to <c>serial</c>.</remarks>
    public string Name { get; set; } = "serial";
}

/// <summary>Which Ethernet-over-USB protocol a network function speaks.</summary>
public enum NetworkKind
{
    /// <summary>CDC NCM (<c>usb_f_ncm</c>): Linux, macOS, and Windows 10 and later without a driver. The best default.</summary>
    Ncm,

    /// <summary>CDC ECM (<c>usb_f_ecm</c>): Linux and macOS; Windows has no driver for it.</summary>
    Ecm,

    /// <summary>RNDIS (<c>usb_f_rndis</c>): older Windows hosts; Linux supports it with rndis_host.</summary>
    Rndis,
}

/// <summary>An Ethernet-over-USB function served by the kernel.</summary>
public sealed class NetworkFunctionOptions
{
    /// <summary>The function's name: its configfs instance and the key for <see cref="KernelFunctionDevices.GetNetworkInterfaceName"/>.</summary>
    /// <remarks>Defaults to <c>network</c>.</remarks>
    public string Name { get; set; } = "network";

    /// <summary>The protocol.</summary>
    /// <remarks>Defaults to <see cref="NetworkKind.Ncm"/>.</remarks>
    public NetworkKind Kind { get; set; } = NetworkKind.Ncm;

    /// <summary>The gadget side MAC address, six hex pairs such as <c>02:00:00:00:00:01</c>. Set both addresses to keep the host's interface name stable across boots.</summary>
    /// <remarks>Defaults to empty: the kernel picks a random one on every start.</remarks>
    public string? DeviceAddress { get; set; }

    /// <summary>The host side MAC address, six hex pairs such as <c>02:00:00:00:00:02</c>.</summary>
    /// <remarks>Defaults to empty: the kernel picks a random one on every start.</remarks>
    public string? HostAddress { get; set; }

    /// <summary>The request queue multiplier at high and super speed (<c>qmult</c>, 1–255): more requests in flight, more memory.</summary>
    /// <remarks>Defaults to empty: the kernel's 5.</remarks>
    public int? QueueMultiplier { get; set; }
}

/// <summary>A mass storage function served by the kernel.</summary>
public sealed class MassStorageFunctionOptions
{
    /// <summary>The function's name: its configfs instance (<c>mass_storage.&lt;Name&gt;</c>).</summary>
    /// <remarks>Defaults to <c>storage</c>.</remarks>
    public string Name { get; set; } = "storage";

    /// <summary>The logical units (drives), 1 to 16.</summary>
    /// <remarks>Defaults to none; at least one is required.</remarks>
    public List<MassStorageLunOptions> Luns { get; set; } = [];

    /// <summary>Whether the function may halt its bulk endpoints (<c>stall</c>); some UDCs cannot.</summary>
    /// <remarks>Defaults to empty: the kernel decides by the UDC.</remarks>
    public bool? Stall { get; set; }
}

/// <summary>One drive of a mass storage function.</summary>
public sealed class MassStorageLunOptions
{
    /// <summary>The absolute path of the image file or block device. The host must not see a file the gadget mounts too.</summary>
    /// <remarks>Defaults to empty, allowed only for a removable drive (no medium inserted).</remarks>
    public string? File { get; set; }

    /// <summary>Whether the host may only read.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool ReadOnly { get; set; }

    /// <summary>Whether the medium is removable (the host may eject it).</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool Removable { get; set; } = true;

    /// <summary>Whether the drive is a CD-ROM (read-only, for ISO images).</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool CdRom { get; set; }

    /// <summary>Whether the FUA bit of SCSI writes is ignored: faster, but a power cut may lose writes the host thought done.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool IgnoreForceUnitAccess { get; set; }

    /// <summary>The SCSI INQUIRY text: vendor (8), product (16) and revision (4) characters, at most 28 ASCII characters.</summary>
    /// <remarks>Defaults to empty: the kernel's "Linux File-Stor Gadget".</remarks>
    public string? InquiryString { get; set; }
}

/// <summary>
/// A HID device served by the kernel's f_hid: the kernel answers every HID request and the app writes input reports to
/// <c>/dev/hidgN</c> (and reads output reports from it). Find the node with <see cref="KernelFunctionDevices.GetHidDevicePath"/>.
/// </summary>
public sealed class HidDeviceOptions
{
    /// <summary>The function's name: its configfs instance (<c>hid.&lt;Name&gt;</c>).</summary>
    /// <remarks>Defaults to <c>hid</c>.</remarks>
    public string Name { get; set; } = "hid";

    /// <summary>The HID report descriptor as hex, bytes optionally separated by spaces, such as <c>05 01 09 06 a1 01 …</c>.</summary>
    /// <remarks>Defaults to empty; required.</remarks>
    public string? ReportDescriptor { get; set; }

    /// <summary>The largest report in bytes (<c>report_length</c>), 1–1024; it is also the interrupt endpoints' packet size.</summary>
    /// <remarks>Defaults to 8, a boot keyboard's report.</remarks>
    public int ReportLength { get; set; } = 8;

    /// <summary>bInterfaceProtocol (<c>protocol</c>): 1 keyboard, 2 mouse, 0 none.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public int Protocol { get; set; }

    /// <summary>bInterfaceSubClass (<c>subclass</c>): 1 boot interface (BIOS-readable), 0 none.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public int SubClass { get; set; }

    /// <summary>Whether the function has no interrupt OUT endpoint (<c>no_out_endpoint</c>, Linux 5.19+); output reports then come by SET_REPORT.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool NoOutEndpoint { get; set; }
}

/// <summary>A USB MIDI function served by the kernel.</summary>
public sealed class MidiFunctionOptions
{
    /// <summary>The function's name: its configfs instance (<c>midi.&lt;Name&gt;</c>).</summary>
    /// <remarks>Defaults to <c>midi</c>.</remarks>
    public string Name { get; set; } = "midi";

    /// <summary>MIDI ports the host sends to (<c>in_ports</c>), 1–16.</summary>
    /// <remarks>Defaults to 1.</remarks>
    public int InPorts { get; set; } = 1;

    /// <summary>MIDI ports the host receives from (<c>out_ports</c>), 1–16.</summary>
    /// <remarks>Defaults to 1.</remarks>
    public int OutPorts { get; set; } = 1;

    /// <summary>The ALSA card index on the gadget (<c>index</c>), 0–31.</summary>
    /// <remarks>Defaults to empty: the first free index.</remarks>
    public int? CardIndex { get; set; }

    /// <summary>The ALSA card id on the gadget (<c>id</c>), up to 15 letters, digits or '_'.</summary>
    /// <remarks>Defaults to empty: the kernel's.</remarks>
    public string? CardId { get; set; }

    /// <summary>The size of each bulk request (<c>buflen</c>), 1–65536 bytes.</summary>
    /// <remarks>Defaults to empty: the kernel's 512.</remarks>
    public int? BufferLength { get; set; }

    /// <summary>The number of requests queued (<c>qlen</c>), 1–1024.</summary>
    /// <remarks>Defaults to empty: the kernel's 32.</remarks>
    public int? QueueLength { get; set; }
}
