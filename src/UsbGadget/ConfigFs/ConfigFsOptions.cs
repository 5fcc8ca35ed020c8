namespace UsbGadget.ConfigFs;

/// <summary>
/// Where configfs, the UDC class, the FunctionFS mounts and the state files live, and how stale gadgets are treated.
/// Every path can point into a temporary directory, which is how the unit tests run without a kernel.
/// </summary>
public sealed record ConfigFsOptions
{
    /// <summary>The configfs mount point.</summary>
    /// <remarks>Defaults to <c>/sys/kernel/config</c>.</remarks>
    public string ConfigFsRoot { get; init; } = "/sys/kernel/config";

    /// <summary>The directory listing USB device controllers.</summary>
    /// <remarks>Defaults to <c>/sys/class/udc</c>.</remarks>
    public string UdcClassPath { get; init; } = "/sys/class/udc";

    /// <summary>Where each FunctionFS instance is mounted, as <c>&lt;root&gt;/&lt;instance&gt;</c>.</summary>
    /// <remarks>Defaults to <c>/run/usbgadget/ffs</c>, the same place as <c>configfs-scripts/usb-gadget.sh</c>.</remarks>
    public string FunctionFsMountRoot { get; init; } = "/run/usbgadget/ffs";

    /// <summary>Where the state file <c>&lt;gadget&gt;.pid</c> that marks a gadget as ours is kept.</summary>
    /// <remarks>Defaults to <c>/run/usbgadget</c>; /run is a tmpfs, so state files do not survive a reboot, and neither do gadgets.</remarks>
    public string StateDirectory { get; init; } = "/run/usbgadget";

    /// <summary>The procfs mount, read to tell whether the process that owns a gadget still runs.</summary>
    /// <remarks>Defaults to <c>/proc</c>.</remarks>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>The UDC to bind to. When null, the only UDC present is used, and several UDCs are an error that lists them.</summary>
    /// <remarks>Defaults to null.</remarks>
    public string? UdcName { get; init; }

    /// <summary>Whether a gadget left by a crashed UsbGadget process (its state file names a process that is gone) is removed before creating it again.</summary>
    /// <remarks>Defaults to true. When false, such a gadget is an error that says how to remove it.</remarks>
    public bool RemoveStaleGadgets { get; init; } = true;

    /// <summary>Options for FunctionFS mounts (owner and modes of the ep files).</summary>
    /// <remarks>Defaults to root-owned files with the kernel's default modes.</remarks>
    public FunctionFsMountOptions FunctionFsMount { get; init; } = new();

    /// <summary>The <c>usb_gadget</c> directory inside configfs.</summary>
    public string GadgetsPath => Path.Combine(ConfigFsRoot, "usb_gadget");
}
