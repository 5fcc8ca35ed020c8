using UsbGadget.ConfigFs;

namespace UsbGadget.Hosting;

/// <summary>
/// Where the app finds what the kernel's functions made: the serial port <c>/dev/ttyGSN</c>, the HID device
/// <c>/dev/hidgN</c> and the network interface (<c>usb0</c>). Resolve it from dependency injection and ask once the gadget
/// has started (any hosted service registered after <c>AddUsbGadget</c> starts after it).
/// </summary>
public sealed class KernelFunctionDevices
{
    private readonly Lock _lock = new();
    private IPreparedGadget? _gadget;
    private IReadOnlyList<FunctionDefinition> _functions = [];

    /// <summary>The serial port device of the ACM function <paramref name="name"/>, such as <c>/dev/ttyGS0</c>.</summary>
    /// <param name="name">The function's <see cref="SerialFunctionOptions.Name"/>.</param>
    /// <returns>The device path; the kernel creates it with the function, before the host connects.</returns>
    /// <exception cref="InvalidOperationException">The gadget has not started, or has no serial function of that name.</exception>
    public string GetSerialPortPath(string name) => "/dev/ttyGS" + Read(name, "acm", "port_num");

    /// <summary>The HID device of the kernel HID function <paramref name="name"/>, such as <c>/dev/hidg0</c>.</summary>
    /// <param name="name">The function's <see cref="HidDeviceOptions.Name"/>.</param>
    /// <returns>The device path (the N is the minor number the kernel gave the function).</returns>
    /// <exception cref="InvalidOperationException">The gadget has not started, or has no HID device of that name.</exception>
    public string GetHidDevicePath(string name)
    {
        // The "dev" attribute is "major:minor"; f_hid names its node hidg<minor>.
        string dev = Read(name, "hid", "dev");
        int colon = dev.IndexOf(':', StringComparison.Ordinal);
        return "/dev/hidg" + (colon >= 0 ? dev[(colon + 1)..] : dev);
    }

    /// <summary>The gadget-side network interface of the network function <paramref name="name"/>, such as <c>usb0</c>.</summary>
    /// <param name="name">The function's <see cref="NetworkFunctionOptions.Name"/>.</param>
    /// <returns>The interface name.</returns>
    /// <exception cref="InvalidOperationException">The gadget is not bound yet (the kernel names the interface on bind), or has no network function of that name.</exception>
    public string GetNetworkInterfaceName(string name)
    {
        FunctionDefinition function = Find(name, "ncm", "ecm", "rndis");
        string ifname = Read(function, "ifname");
        // Before the bind the kernel shows the template ("usb%d") or "(unnamed net_device)".
        return ifname.Contains('%', StringComparison.Ordinal) || ifname.StartsWith('(')
            ? throw new InvalidOperationException($"Network function '{name}' has no interface yet: the kernel names it when the gadget binds to the UDC. Ask after the host started.")
            : ifname;
    }

    internal void Attach(IPreparedGadget gadget, IReadOnlyList<FunctionDefinition> functions)
    {
        lock (_lock)
        {
            _gadget = gadget;
            _functions = functions;
        }
    }

    internal void Detach()
    {
        lock (_lock)
        {
            _gadget = null;
            _functions = [];
        }
    }

    private string Read(string name, string type, string attribute) => Read(Find(name, type), attribute);

    private string Read(FunctionDefinition function, string attribute)
    {
        IPreparedGadget gadget;
        lock (_lock)
        {
            gadget = _gadget ?? throw NotStarted();
        }
        try
        {
            return gadget.ReadFunctionAttribute(function.DirectoryName, attribute).Trim();
        }
        catch (ConfigFsException e)
        {
            throw new InvalidOperationException($"Could not read {attribute} of kernel function '{function.Instance}': {e.Message}", e);
        }
    }

    private FunctionDefinition Find(string name, params string[] types)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_lock)
        {
            if (_gadget is null)
            {
                throw NotStarted();
            }
            return _functions.FirstOrDefault(f => f.Instance == name && types.Contains(f.Type))
                ?? throw new InvalidOperationException(
                    $"The gadget has no {string.Join(" or ", types)} function named '{name}'. Its kernel functions are: " +
                    (_functions.Count == 0 ? "none" : string.Join(", ", _functions.Select(f => f.DirectoryName))) + ".");
        }
    }

    private static InvalidOperationException NotStarted() => new(
        "The gadget has not been created yet (or is stopped): ask for device paths from code that runs after the gadget's hosted service started, "
        + "such as a BackgroundService registered after AddUsbGadget().");
}
