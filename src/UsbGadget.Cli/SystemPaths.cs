using UsbGadget.ConfigFs;

namespace UsbGadget.Cli;

/// <summary>
/// Every place the tool reads. The defaults are the real system's; <see cref="Under"/> moves them all below one directory,
/// which is how the unit tests run the commands against a fake board.
/// </summary>
internal sealed record SystemPaths
{
    /// <summary>configfs, the UDC class, FunctionFS mounts, state files and procfs, as the library sees them.</summary>
    public ConfigFsOptions ConfigFs { get; init; } = new();

    /// <summary>The mount table.</summary>
    public string MountTable { get; init; } = "/proc/self/mounts";

    /// <summary>The flattened device tree the kernel booted with (absent on a PC).</summary>
    public string DeviceTree { get; init; } = "/sys/firmware/devicetree/base";

    /// <summary>Where Raspberry Pi firmware reads config.txt and cmdline.txt, newest layout first.</summary>
    public IReadOnlyList<string> BootDirectories { get; init; } = ["/boot/firmware", "/boot"];

    /// <summary>Where kernel modules are installed (merged-/usr systems use the second).</summary>
    public IReadOnlyList<string> ModuleDirectories { get; init; } = ["/lib/modules", "/usr/lib/modules"];

    /// <summary>The user database, read to name a service gadget's user.</summary>
    public string Passwd { get; init; } = "/etc/passwd";

    public string ProcRoot => ConfigFs.ProcRoot;

    /// <summary>All paths under <paramref name="root"/>, with the layout of a real system.</summary>
    public static SystemPaths Under(string root) => new()
    {
        ConfigFs = new ConfigFsOptions
        {
            ConfigFsRoot = Path.Combine(root, "sys/kernel/config"),
            UdcClassPath = Path.Combine(root, "sys/class/udc"),
            FunctionFsMountRoot = Path.Combine(root, "run/usbgadget/ffs"),
            StateDirectory = Path.Combine(root, "run/usbgadget"),
            ProcRoot = Path.Combine(root, "proc"),
        },
        MountTable = Path.Combine(root, "proc/self/mounts"),
        DeviceTree = Path.Combine(root, "sys/firmware/devicetree/base"),
        BootDirectories = [Path.Combine(root, "boot/firmware"), Path.Combine(root, "boot")],
        ModuleDirectories = [Path.Combine(root, "lib/modules")],
        Passwd = Path.Combine(root, "etc/passwd"),
    };
}
