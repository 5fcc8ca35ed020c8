using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// Settings of a hosted gadget, bound from the <c>UsbGadget</c> configuration section (appsettings.json, environment
/// variables such as <c>UsbGadget__ProductId</c>, or the command line as <c>--UsbGadget:ProductId=0x0105</c>) and
/// validated on start.
/// </summary>
/// <remarks>Ids and versions are <see cref="UsbId"/>s: <c>"0x1d6b"</c> in configuration, <c>0x1d6b</c> in code.</remarks>
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
    public UsbId VendorId { get; set; } = 0x1d6b;

    /// <summary>idProduct, as hex or decimal.</summary>
    /// <remarks>Defaults to <c>0x0104</c> (Multifunction Composite Gadget).</remarks>
    public UsbId ProductId { get; set; } = 0x0104;

    /// <summary>bcdDevice. Windows caches MS OS descriptors per VID/PID/bcdDevice: change it when they change.</summary>
    /// <remarks>Defaults to <c>0x0100</c>.</remarks>
    public UsbId DeviceVersion { get; set; } = 0x0100;

    /// <summary>bcdUSB.</summary>
    /// <remarks>Defaults to <c>0x0200</c>; the UDC raises it for SuperSpeed.</remarks>
    public UsbId UsbVersion { get; set; } = 0x0200;

    /// <summary>bDeviceClass, as hex (<c>0xef</c>) or decimal, 0–255.</summary>
    /// <remarks>
    /// Defaults to <c>0xef</c> (Miscellaneous) with <see cref="DeviceSubClass"/> 0x02 and <see cref="DeviceProtocol"/> 0x01
    /// (Interface Association): the interfaces carry their own classes, and several functions can share the device. Use 0
    /// for a class per interface without IADs, or a class such as <c>0xff</c> (vendor) for a one-interface device.
    /// </remarks>
    public UsbId DeviceClass { get; set; } = 0xef;

    /// <summary>bDeviceSubClass, 0–255.</summary>
    /// <remarks>Defaults to <c>0x02</c>.</remarks>
    public UsbId DeviceSubClass { get; set; } = 0x02;

    /// <summary>bDeviceProtocol, 0–255.</summary>
    /// <remarks>Defaults to <c>0x01</c>.</remarks>
    public UsbId DeviceProtocol { get; set; } = 0x01;

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

    /// <summary>The configuration string (iConfiguration, language 0x0409) the host shows for the one configuration.</summary>
    /// <remarks>Defaults to <c>Default</c>.</remarks>
    public string ConfigurationName { get; set; } = "Default";

    /// <summary>Whether the device declares itself self-powered.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool SelfPowered { get; set; }

    /// <summary>Whether the gadget answers Windows' MS OS descriptor requests (lets WinUSB bind without a driver).</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool MicrosoftOsDescriptors { get; set; } = true;

    /// <summary>
    /// The WebUSB landing page (an https URL) Chrome offers when the device is plugged in; setting it turns on the WebUSB
    /// platform capability (Linux 6.3 or newer) and needs <see cref="UsbVersion"/> 0x0210 or higher.
    /// </summary>
    /// <remarks>Defaults to empty (no WebUSB descriptor).</remarks>
    public string? WebUsbLandingPage { get; set; }

    /// <summary>The vendor request code of WebUSB's GET_URL; it must differ from the MS OS descriptors' code (0xcd).</summary>
    /// <remarks>Defaults to <c>0x01</c>.</remarks>
    public UsbId WebUsbVendorCode { get; set; } = 0x01;

    /// <summary>
    /// How many requests each FunctionFS endpoint keeps queued, and their size (<c>UsbGadget:Endpoints:OutQueueDepth</c>,
    /// <c>InQueueDepth</c>, <c>OutTransferSize</c>, <c>InTransferSize</c>).
    /// </summary>
    /// <remarks>Defaults to 8 reads and 8 writes of 16384 bytes per endpoint.</remarks>
    public EndpointQueueOptions Endpoints { get; } = new();

    /// <summary>
    /// FunctionFS instance names by function name (<c>UsbGadget:FunctionInstances:loopback=myloop</c>). The instance name
    /// is the configfs directory <c>functions/ffs.&lt;instance&gt;</c>, the mount directory, and the mount(2) device name,
    /// which must be unique on the whole system.
    /// </summary>
    /// <remarks>
    /// Defaults to none: in <see cref="GadgetMode.Create"/> a function's instance is <c>&lt;gadget name&gt;-&lt;function name&gt;</c>
    /// (shortened with a hash beyond 35 characters), so two gadgets can carry the same function; in
    /// <see cref="GadgetMode.Attach"/> it is the function name, as the setup script creates it.
    /// </remarks>
    public Dictionary<string, string> FunctionInstances { get; set; } = [];

    /// <summary>What happens when a function's <c>RunAsync</c> throws.</summary>
    /// <remarks>Defaults to <see cref="FunctionFailurePolicy.Restart"/>.</remarks>
    public FunctionFailurePolicy OnFunctionFailure { get; set; } = FunctionFailurePolicy.Restart;

    /// <summary>
    /// The wait before the first restart of a failed function; it doubles with each further failure in a row, up to one
    /// minute.
    /// </summary>
    /// <remarks>Defaults to 1 second.</remarks>
    public TimeSpan FunctionRestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times in a row a failed function is restarted before the app stops with exit code 3 (so that systemd
    /// restarts the whole gadget). A run that ends without an exception resets the count.
    /// </summary>
    /// <remarks>Defaults to 5.</remarks>
    public int FunctionRestartLimit { get; set; } = 5;

    /// <summary>Where FunctionFS instances are mounted, as <c>&lt;root&gt;/&lt;instance name&gt;</c>.</summary>
    /// <remarks>Defaults to <c>/run/usbgadget/ffs</c>, the same as <c>configfs-scripts/usb-gadget.sh</c>.</remarks>
    public string FunctionFsMountRoot { get; set; } = "/run/usbgadget/ffs";

    /// <summary>Whether a gadget left behind by a crashed run of this app is removed before creating it again.</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool RemoveStaleGadgets { get; set; } = true;

    /// <summary>
    /// How long stopping (SIGTERM, Ctrl+C) may wait for functions to finish and the kernel to return buffers. It is also the
    /// host's shutdown timeout, unless the app sets <c>HostOptions.ShutdownTimeout</c> itself.
    /// </summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The FunctionFS settings of one function instance: the one place the endpoint queue settings are checked.</summary>
    internal FunctionFsOptions ToFunctionFsOptions(string instanceName) => new()
    {
        Name = instanceName,
        Endpoints = Endpoints,
        StopTimeout = StopTimeout,
    };

    /// <summary>Settings whose text could not be read as their type (left at their defaults), one message each, for the validator.</summary>
    internal List<string> UnreadableSettings { get; } = [];
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

/// <summary>What the host does when a function's <c>RunAsync</c> throws.</summary>
public enum FunctionFailurePolicy
{
    /// <summary>
    /// Log the failure and run the function again after <see cref="UsbGadgetOptions.FunctionRestartDelay"/> (doubling with
    /// each failure in a row) while the host keeps it enabled; after <see cref="UsbGadgetOptions.FunctionRestartLimit"/>
    /// failures in a row, stop the app with exit code 3.
    /// </summary>
    Restart,

    /// <summary>Log the failure and stop the app with exit code 3, so that its service manager restarts it.</summary>
    StopApplication,
}
