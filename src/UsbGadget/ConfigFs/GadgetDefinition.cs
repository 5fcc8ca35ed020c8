using System.Text;

namespace UsbGadget.ConfigFs;

/// <summary>The device strings of one language: the directory <c>strings/&lt;langid&gt;</c>.</summary>
/// <param name="LanguageId">The USB language id, for example 0x409 (English, United States).</param>
/// <param name="Manufacturer">iManufacturer, or null to leave it out.</param>
/// <param name="Product">iProduct, or null to leave it out.</param>
/// <param name="SerialNumber">iSerialNumber, or null to leave it out.</param>
public sealed record GadgetStrings(ushort LanguageId, string? Manufacturer, string? Product, string? SerialNumber);

/// <summary>A configuration string of one language: <c>configs/&lt;c&gt;/strings/&lt;langid&gt;/configuration</c>.</summary>
/// <param name="LanguageId">The USB language id.</param>
/// <param name="Configuration">iConfiguration text.</param>
public sealed record ConfigurationString(ushort LanguageId, string Configuration);

/// <summary>A configuration: the directory <c>configs/&lt;Label&gt;.&lt;Number&gt;</c> and the functions linked into it.</summary>
/// <param name="Number">bConfigurationValue, 1 to 255.</param>
public sealed record ConfigurationDefinition(byte Number)
{
    /// <summary>The label before the dot in the directory name.</summary>
    /// <remarks>Defaults to <c>c</c>.</remarks>
    public string Label { get; init; } = "c";

    /// <summary>bMaxPower in mA (the kernel converts to 2 mA or 8 mA units).</summary>
    /// <remarks>Defaults to 250 (mA).</remarks>
    public ushort MaxPowerMilliamps { get; init; } = 250;

    /// <summary>bmAttributes: 0x80 must be set; 0x40 self-powered, 0x20 remote wakeup.</summary>
    /// <remarks>Defaults to 0x80 (bus-powered).</remarks>
    public byte Attributes { get; init; } = 0x80;

    /// <summary>Configuration strings, one per language.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<ConfigurationString> Strings { get; init; } = [];

    /// <summary>The function directory names (<see cref="FunctionDefinition.DirectoryName"/>) linked into this configuration,
    /// in interface order.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<string> Functions { get; init; } = [];

    /// <summary>The directory name under <c>configs/</c>.</summary>
    public string DirectoryName => $"{Label}.{Number}";
}

/// <summary>Microsoft OS 1.0 descriptors at gadget level: the <c>os_desc</c> group.</summary>
/// <param name="ConfigurationNumber">The configuration Windows should use with them; it is linked into <c>os_desc/</c>.</param>
public sealed record OsDescriptorSettings(byte ConfigurationNumber)
{
    /// <summary>The vendor request code Windows uses to fetch the descriptors (<c>b_vendor_code</c>).</summary>
    /// <remarks>Defaults to 0xcd. The kernel stores it in a signed char, so reading the attribute back shows 0xffffffcd (seen on 6.1).</remarks>
    public byte VendorCode { get; init; } = 0xcd;

    /// <summary>The OS string signature (<c>qw_sign</c>), at most 7 characters.</summary>
    /// <remarks>Defaults to <c>MSFT100</c>.</remarks>
    public string Signature { get; init; } = "MSFT100";
}

/// <summary>The WebUSB platform capability, from the <c>webusb</c> group that Linux 6.3 added.</summary>
/// <param name="LandingPage">The landing page URL Chrome offers when the device is plugged in, or null for none.</param>
public sealed record WebUsbSettings(string? LandingPage)
{
    /// <summary>The WebUSB specification version (<c>bcdVersion</c>).</summary>
    /// <remarks>Defaults to 0x0100.</remarks>
    public ushort Version { get; init; } = 0x0100;

    /// <summary>The vendor request code for WebUSB requests (<c>bVendorCode</c>); keep it apart from the MS OS vendor code.</summary>
    /// <remarks>Defaults to 0x01.</remarks>
    public byte VendorCode { get; init; } = 0x01;
}

/// <summary>
/// Everything that makes up a configfs gadget: ids, device class, strings, functions and configurations,
/// plus optional MS OS descriptors and WebUSB.
/// </summary>
/// <param name="Name">The directory name under <c>usb_gadget/</c>.</param>
/// <param name="VendorId">idVendor.</param>
/// <param name="ProductId">idProduct.</param>
public sealed record GadgetDefinition(string Name, ushort VendorId, ushort ProductId)
{
    /// <summary>bcdUSB. The kernel reports 0x0200/0x0201/0x0210/0x0320 by the link speed when it answers GET_DESCRIPTOR,
    /// so this value mostly documents intent.</summary>
    /// <remarks>Defaults to 0x0200.</remarks>
    public ushort UsbVersion { get; init; } = 0x0200;

    /// <summary>bcdDevice, the device release number in BCD. Windows caches MS OS descriptors per VID/PID/bcdDevice: bump it when they change.</summary>
    /// <remarks>Defaults to 0x0100.</remarks>
    public ushort DeviceVersion { get; init; } = 0x0100;

    /// <summary>bDeviceClass.</summary>
    /// <remarks>Defaults to 0 (class per interface).</remarks>
    public byte DeviceClass { get; init; }

    /// <summary>bDeviceSubClass.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte DeviceSubClass { get; init; }

    /// <summary>bDeviceProtocol.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public byte DeviceProtocol { get; init; }

    /// <summary>bMaxPacketSize0: 8, 16, 32 or 64. The UDC driver may override it.</summary>
    /// <remarks>Defaults to 64.</remarks>
    public byte MaxPacketSize0 { get; init; } = 64;

    /// <summary>Device strings, one entry per language (the kernel accepts at most two languages).</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<GadgetStrings> Strings { get; init; } = [];

    /// <summary>The functions, created in this order.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<FunctionDefinition> Functions { get; init; } = [];

    /// <summary>The configurations, created in this order.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<ConfigurationDefinition> Configurations { get; init; } = [];

    /// <summary>MS OS descriptors, or null for none.</summary>
    /// <remarks>Defaults to null.</remarks>
    public OsDescriptorSettings? OsDescriptors { get; init; }

    /// <summary>WebUSB, or null for none. Creating the gadget fails with <see cref="ConfigFsError.WebUsbNotSupported"/> on kernels without it.</summary>
    /// <remarks>Defaults to null.</remarks>
    public WebUsbSettings? WebUsb { get; init; }

    // From drivers/usb/gadget/configfs.c and composite.c.
    private const int MaxFunctionNameLength = 39;     // MAX_NAME_LEN 40 including the NUL
    private const int MaxStringLength = 126;          // usb_string_copy: -EOVERFLOW beyond
    private const int MaxLanguages = 2;               // MAX_USB_STRING_LANGS
    private const int MaxLandingPageBytes = 255;      // gadget_info.landing_page[255]

    /// <summary>Checks the definition against the rules the kernel enforces, so errors show up before anything is created.</summary>
    /// <returns>Every problem found, each naming the field; empty when the definition is valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('/', StringComparison.Ordinal) || Name is "." or "..")
        {
            problems.Add($"Name '{Name}' must be a plain directory name (no '/', not empty).");
        }
        if (!IsBcd(UsbVersion)) { problems.Add($"UsbVersion 0x{UsbVersion:x4} is not BCD (each nibble 0-9)."); }
        if (!IsBcd(DeviceVersion)) { problems.Add($"DeviceVersion 0x{DeviceVersion:x4} is not BCD (each nibble 0-9)."); }
        if (MaxPacketSize0 is not (8 or 16 or 32 or 64)) { problems.Add($"MaxPacketSize0 {MaxPacketSize0} must be 8, 16, 32 or 64."); }

        if (Strings.Count > MaxLanguages) { problems.Add($"Strings has {Strings.Count} languages; the kernel accepts at most {MaxLanguages} per gadget."); }
        foreach (var group in Strings.GroupBy(s => s.LanguageId).Where(g => g.Count() > 1))
        {
            problems.Add($"Strings lists language 0x{group.Key:x} more than once.");
        }
        foreach (GadgetStrings strings in Strings)
        {
            CheckLanguage(problems, $"Strings[0x{strings.LanguageId:x}]", strings.LanguageId);
            CheckString(problems, $"Strings[0x{strings.LanguageId:x}].Manufacturer", strings.Manufacturer);
            CheckString(problems, $"Strings[0x{strings.LanguageId:x}].Product", strings.Product);
            CheckString(problems, $"Strings[0x{strings.LanguageId:x}].SerialNumber", strings.SerialNumber);
        }

        var functionNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (FunctionDefinition function in Functions)
        {
            string name = function.DirectoryName;
            if (string.IsNullOrEmpty(function.Type) || function.Type.Contains('.', StringComparison.Ordinal) || function.Type.Contains('/', StringComparison.Ordinal))
            {
                problems.Add($"Function '{name}': Type must be a kernel function name without '.' or '/'.");
            }
            if (string.IsNullOrEmpty(function.Instance) || function.Instance.Contains('/', StringComparison.Ordinal))
            {
                problems.Add($"Function '{name}': Instance must be a non-empty name without '/'.");
            }
            if (name.Length > MaxFunctionNameLength) { problems.Add($"Function '{name}': the name is {name.Length} characters; the kernel allows {MaxFunctionNameLength}."); }
            if (!functionNames.Add(name)) { problems.Add($"Function '{name}' is defined twice."); }
            foreach (OsDescriptorInterface osInterface in function.OsDescriptorInterfaces)
            {
                // The kernel copies at most 8 bytes into compatible_id and sub_compatible_id and pads with zeros.
                if (osInterface.CompatibleId.Length is 0 or > 8 || !Ascii.IsValid(osInterface.CompatibleId) || osInterface.SubCompatibleId.Length > 8 || !Ascii.IsValid(osInterface.SubCompatibleId))
                {
                    problems.Add($"Function '{name}': OS descriptor ids '{osInterface.CompatibleId}'/'{osInterface.SubCompatibleId}' must be ASCII of at most 8 characters (the compatible id not empty).");
                }
            }
        }

        var configNumbers = new HashSet<byte>();
        foreach (ConfigurationDefinition config in Configurations)
        {
            string where = $"Configuration '{config.DirectoryName}'";
            if (config.Number == 0) { problems.Add($"{where}: Number must be 1 to 255 (0 means unconfigured)."); }
            if (!configNumbers.Add(config.Number)) { problems.Add($"{where}: configuration number {config.Number} is used twice."); }
            if (string.IsNullOrEmpty(config.Label) || config.Label.Contains('/', StringComparison.Ordinal) || config.Label.Contains('.', StringComparison.Ordinal))
            {
                problems.Add($"{where}: Label must be a non-empty name without '.' or '/'.");
            }
            if ((config.Attributes & 0x80) == 0 || (config.Attributes & ~0xe0) != 0)
            {
                problems.Add($"{where}: Attributes 0x{config.Attributes:x2} must have bit 7 (0x80) set and only 0x40 (self-powered) and 0x20 (remote wakeup) besides.");
            }
            if ((config.MaxPowerMilliamps + 7) / 8 > 0xff) { problems.Add($"{where}: MaxPowerMilliamps {config.MaxPowerMilliamps} is above the kernel's limit of 2040 mA."); }
            if (config.Strings.Count > MaxLanguages) { problems.Add($"{where}: {config.Strings.Count} string languages; the kernel accepts at most {MaxLanguages}."); }
            foreach (ConfigurationString s in config.Strings)
            {
                CheckLanguage(problems, $"{where} Strings[0x{s.LanguageId:x}]", s.LanguageId);
                CheckString(problems, $"{where} Strings[0x{s.LanguageId:x}].Configuration", s.Configuration);
            }
            var linked = new HashSet<string>(StringComparer.Ordinal);
            foreach (string function in config.Functions)
            {
                if (!functionNames.Contains(function)) { problems.Add($"{where}: links function '{function}', which is not in Functions."); }
                if (!linked.Add(function)) { problems.Add($"{where}: links function '{function}' twice."); }
            }
        }

        if (OsDescriptors is { } os)
        {
            if (!configNumbers.Contains(os.ConfigurationNumber))
            {
                problems.Add($"OsDescriptors.ConfigurationNumber {os.ConfigurationNumber} names no configuration.");
            }
            if (os.Signature.Length is 0 or > 7 || !Ascii.IsValid(os.Signature))
            {
                problems.Add($"OsDescriptors.Signature '{os.Signature}' must be 1 to 7 ASCII characters (qw_sign is 14 bytes of UTF-16).");
            }
        }

        if (WebUsb is { } web)
        {
            if (!IsBcd(web.Version)) { problems.Add($"WebUsb.Version 0x{web.Version:x4} is not BCD."); }
            if (web.LandingPage is { } url && (url.Length == 0 || Encoding.UTF8.GetByteCount(url) > MaxLandingPageBytes))
            {
                problems.Add($"WebUsb.LandingPage must be 1 to {MaxLandingPageBytes} bytes of UTF-8.");
            }
            if (OsDescriptors is { } osd && osd.VendorCode == web.VendorCode)
            {
                problems.Add($"WebUsb.VendorCode 0x{web.VendorCode:x2} equals OsDescriptors.VendorCode: the kernel's MS OS descriptor handler takes every vendor request with its code, so WebUSB GET_URL would stall. Pick different codes.");
            }
        }
        return problems;
    }

    private static bool IsBcd(ushort value) =>
        (value & 0xf) <= 9 && ((value >> 4) & 0xf) <= 9 && ((value >> 8) & 0xf) <= 9 && ((value >> 12) & 0xf) <= 9;

    // check_user_usb_string in configfs.c: primary language 0, 0x62-0xfe and 0x100-0x3ff and a zero sublanguage are refused.
    private static void CheckLanguage(List<string> problems, string where, ushort languageId)
    {
        int primary = languageId & 0x3ff;
        int sub = languageId >> 10;
        if (primary == 0 || primary is >= 0x62 and <= 0xfe || primary >= 0x100 || sub == 0)
        {
            problems.Add($"{where}: language id 0x{languageId:x} is not one the kernel accepts (for example 0x409 for English).");
        }
    }

    private static void CheckString(List<string> problems, string where, string? value)
    {
        if (value is not null && Encoding.UTF8.GetByteCount(value) > MaxStringLength)
        {
            problems.Add($"{where} is longer than the kernel's {MaxStringLength} bytes.");
        }
    }
}
