namespace UsbGadget.Hosting;

/// <summary>
/// Settings of a hosted gadget, bound from the <c>UsbGadget</c> configuration section (appsettings.json, environment
/// variables such as <c>UsbGadget__ProductId</c>, or the command line as <c>--UsbGadget:ProductId=0x0105</c>) and
/// validated on start.
/// </summary>
/// <remarks>Ids and versions are strings so they can be written as USB people write them: <c>0x1d6b</c>.</remarks>
public sealed class UsbGadgetOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "UsbGadget";

    /// <summary>The gadget's configfs directory name.</summary>
    /// <remarks>Defaults to <c>usbgadget</c>.</remarks>
    public string Name { get; set; } = "usbgadget";

    /// <summary>Whether the app creates the gadget or attaches to one a script created.</summary>
    /// <remarks>Defaults to <see cref="GadgetMode.Create"/>.</remarks>
    public GadgetMode Mode { get; set; } = GadgetMode.Create;

    /// <summary>idVendor, as hex (<c>0x1d6b</c>) or decimal.</summary>
    /// <remarks>Defaults to <c>0x1d6b</c> (Linux Foundation). Use your own vendor id for a product.</remarks>
    public string VendorId { get; set; } = "0x1d6b";

    /// <summary>idProduct, as hex or decimal.</summary>
    /// <remarks>Defaults to <c>0x0104</c> (Multifunction Composite Gadget).</remarks>
    public string ProductId { get; set; } = "0x0104";

    /// <summary>bcdDevice. Windows caches MS OS descriptors per VID/PID/bcdDevice: change it when they change.</summary>
    /// <remarks>Defaults to <c>0x0100</c>.</remarks>
    public string DeviceVersion { get; set; } = "0x0100";

    /// <summary>bcdUSB.</summary>
    /// <remarks>Defaults to <c>0x0200</c>; the UDC raises it for SuperSpeed.</remarks>
    public string UsbVersion { get; set; } = "0x0200";

    /// <summary>The manufacturer string (language 0x0409).</summary>
    /// <remarks>Defaults to <c>UsbGadget</c>.</remarks>
    public string Manufacturer { get; set; } = "UsbGadget";

    /// <summary>The product string (language 0x0409).</summary>
    /// <remarks>Defaults to <c>UsbGadget device</c>.</remarks>
    public string Product { get; set; } = "UsbGadget device";

    /// <summary>The serial number string. When empty, derived from <c>/etc/machine-id</c> so it is stable per board.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public string? SerialNumber { get; set; }

    /// <summary>Device strings in further languages, keyed by language id (<c>0x0407</c>).</summary>
    /// <remarks>Defaults to none.</remarks>
    public Dictionary<string, GadgetStringsOptions> Languages { get; set; } = [];

    /// <summary>The UDC to bind to. When empty, the only UDC present is used.</summary>
    /// <remarks>Defaults to empty (automatic).</remarks>
    public string? Udc { get; set; }

    /// <summary>Whether the app binds the UDC. In <see cref="GadgetMode.Attach"/> a script may bind instead.</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool BindUdc { get; set; } = true;

    /// <summary>The configuration's MaxPower, in mA (0–500 at USB 2.0, up to 900 at SuperSpeed).</summary>
    /// <remarks>Defaults to 250.</remarks>
    public int MaxPowerMilliamps { get; set; } = 250;

    /// <summary>Whether the device declares itself self-powered.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool SelfPowered { get; set; }

    /// <summary>Whether the gadget answers Windows' MS OS descriptor requests (lets WinUSB bind without a driver).</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool MicrosoftOsDescriptors { get; set; } = true;

    /// <summary>Reads kept queued on each OUT endpoint.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int OutQueueDepth { get; set; } = 8;

    /// <summary>The size of each OUT read, in bytes; a multiple of the endpoint's max packet size.</summary>
    /// <remarks>Defaults to 16384, the size adbd settled on: larger requests fail on some controllers.</remarks>
    public int OutTransferSize { get; set; } = 16384;

    /// <summary>Writes that may be in flight on each IN endpoint before <c>WriteAsync</c> waits.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int InQueueDepth { get; set; } = 8;

    /// <summary>The largest single IN write, in bytes; longer writes are split.</summary>
    /// <remarks>Defaults to 16384.</remarks>
    public int InTransferSize { get; set; } = 16384;

    /// <summary>Where FunctionFS instances are mounted, as <c>&lt;root&gt;/&lt;function name&gt;</c>.</summary>
    /// <remarks>Defaults to <c>/run/usbgadget/ffs</c>, the same as <c>configfs-scripts/usb-gadget.sh</c>.</remarks>
    public string FunctionFsMountRoot { get; set; } = "/run/usbgadget/ffs";

    /// <summary>Whether a gadget left behind by a crashed run of this app is removed before creating it again.</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool RemoveStaleGadgets { get; set; } = true;

    /// <summary>How long stopping may wait for functions to finish and the kernel to return buffers.</summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Settings whose text could not be read as their type (left at their defaults), one message each, for the validator.</summary>
    internal IReadOnlyList<string> UnreadableSettings { get; set; } = [];
}

/// <summary>Device strings in one language.</summary>
public sealed class GadgetStringsOptions
{
    /// <summary>The manufacturer string.</summary>
    public string? Manufacturer { get; set; }

    /// <summary>The product string.</summary>
    public string? Product { get; set; }

    /// <summary>The serial number string; when empty, the same as in language 0x0409.</summary>
    public string? SerialNumber { get; set; }
}
