using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using UsbGadget.Linux;

namespace UsbGadget.ConfigFs;

/// <summary>Every error message of the ConfigFs layer, in one place. Each says what failed and what to do.</summary>
internal static class ConfigFsErrors
{
    /// <summary>The errno behind an exception from <see cref="IConfigFsIo"/>, or <see cref="Errno.None"/> when unknown.</summary>
    public static Errno ErrnoOf(Exception exception) => exception switch
    {
        ConfigFsException c => c.Errno,
        FileNotFoundException or DirectoryNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EACCES,
        // .NET puts the raw errno into HResult of the IOExceptions it throws for unmapped errors.
        IOException io when io.HResult is > 0 and < 4096 => (Errno)io.HResult,
        _ => Errno.None,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException NotRoot(uint euid) => new(ConfigFsError.NotRoot,
        $"Creating a USB gadget needs root: configfs and mount(2) refuse effective user id {euid}. Run as root (sudo, or User=root in the systemd unit).",
        Errno.EPERM);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException ConfigFsNotMounted(string root) => new(ConfigFsError.ConfigFsNotMounted,
        $"configfs is not mounted at {root}. Mount it with 'mount -t configfs none {root}', then load the gadget framework with 'modprobe libcomposite'.",
        Errno.ENOENT, root);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException LibCompositeNotLoaded(string gadgetsPath) => new(ConfigFsError.LibCompositeNotLoaded,
        $"{gadgetsPath} is missing: the USB gadget framework is not loaded. Run 'modprobe libcomposite' (the kernel needs CONFIG_USB_LIBCOMPOSITE and CONFIG_USB_CONFIGFS).",
        Errno.ENOENT, gadgetsPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException NoUdc(string udcPath) => new(ConfigFsError.NoUdc,
        $"No USB device controller (UDC) in {udcPath}. On a Raspberry Pi add 'dtoverlay=dwc2' to config.txt and 'modules-load=dwc2' to cmdline.txt, then reboot; "
        + "on a board with a dual-role port make sure it is in peripheral mode; without hardware, for tests, run 'modprobe dummy_hcd'.",
        Errno.ENODEV, udcPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException UdcAmbiguous(IReadOnlyList<string> udcs) => new(ConfigFsError.UdcAmbiguous,
        $"Several USB device controllers are present ({string.Join(", ", udcs)}); choose one with the UsbGadget:Udc setting (ConfigFsOptions.UdcName without the host).");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException UdcNotFound(string name, string udcPath, IReadOnlyList<string> udcs) => new(ConfigFsError.UdcNotFound,
        $"The USB device controller '{name}' does not exist in {udcPath}; present: {(udcs.Count == 0 ? "none" : string.Join(", ", udcs))}. Set the UsbGadget:Udc setting (ConfigFsOptions.UdcName without the host) to one that is present, or leave it empty to use the only one.",
        Errno.ENODEV, Path.Combine(udcPath, name));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException UdcBusy(string gadget, string udc, string holder, string? holderUdcFile) => new(ConfigFsError.UdcBusy,
        $"Binding gadget '{gadget}' failed: UDC '{udc}' is busy, bound by gadget '{holder}'. "
        + (holderUdcFile is not null
            ? $"Unbind that gadget with \"echo '' > {holderUdcFile}\" (or remove it if it is left over from a crashed run), then bind again."
            : $"Unload or stop the driver '{holder}' that holds it (a legacy gadget module such as g_ether: 'modprobe -r'), then bind again."),
        Errno.EBUSY, holderUdcFile);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException FunctionFsNotReady(string gadget, string udc, string udcFile, IReadOnlyList<string> instances, Errno errno) => new(ConfigFsError.FunctionFsNotReady,
        $"Binding gadget '{gadget}' to UDC '{udc}' failed with {errno}: a FunctionFS instance has not written its descriptors yet "
        + $"(instances: {(instances.Count == 0 ? "none known" : string.Join(", ", instances))}). Write descriptors and strings to every ep0 first, then bind.",
        errno, udcFile);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException UdcLacksEndpoints(string gadget, string udc, string udcFile) => new(ConfigFsError.UdcLacksEndpoints,
        $"Binding gadget '{gadget}' to UDC '{udc}' failed with ENOTSUPP (524): the UDC lacks endpoints for these functions. "
        + "Use fewer functions or endpoints, or endpoint types and sizes this controller offers (see dmesg for the function that failed).",
        Errno.ENOTSUPP, udcFile);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException BindFailedInKernel(string gadget, string udc, string udcFile, IReadOnlyList<string> instances) => new(ConfigFsError.BindFailed,
        $"Binding gadget '{gadget}' to UDC '{udc}' failed with EBUSY although no gadget holds that UDC. Since Linux 5.19 the kernel reports every bind failure this way; "
        + $"dmesg shows the real cause as 'failed to start {gadget}: -19' (a FunctionFS instance has not written its descriptors yet"
        + (instances.Count == 0 ? "" : $"; instances: {string.Join(", ", instances)}")
        + ") or '-524' (the UDC lacks endpoints for these functions); 'driver registration failed: -16' means the kernel predates the fix that lets "
        + "two configfs gadgets register at once, so unbind the other gadget first.",
        Errno.EBUSY, udcFile);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException GadgetNameTaken(string name, string gadgetPath, string stateFile) => new(ConfigFsError.GadgetNameTaken,
        $"A gadget named '{name}' already exists at {gadgetPath} and was not created by UsbGadget (no state file {stateFile}). "
        + "Attach to it (GadgetManager.Attach), choose another name, or remove it (for example 'configfs-scripts/usb-gadget.sh teardown' with GADGET_NAME set).",
        Errno.EEXIST, gadgetPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException GadgetOwnedByRunningProcess(string name, string gadgetPath, int pid) => new(ConfigFsError.GadgetOwnedByRunningProcess,
        $"The gadget '{name}' at {gadgetPath} belongs to UsbGadget process {pid}, which is still running. Stop that process first, or choose another name.",
        Errno.EEXIST, gadgetPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException StaleGadgetKept(string name, string gadgetPath, int pid) => new(ConfigFsError.GadgetNameTaken,
        $"The gadget '{name}' at {gadgetPath} is left over from UsbGadget process {pid}, which is gone. Remove it with GadgetManager.RemoveStale(\"{name}\"), "
        + "or set ConfigFsOptions.RemoveStaleGadgets to true to remove it automatically.",
        Errno.EEXIST, gadgetPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException GadgetNotFound(string name, string gadgetPath) => new(ConfigFsError.GadgetNotFound,
        $"No gadget named '{name}' at {gadgetPath} to attach to. Create it first (for example 'configfs-scripts/usb-gadget.sh setup'), or let UsbGadget create it.",
        Errno.ENOENT, gadgetPath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException WebUsbNotSupported(string gadgetPath) => new(ConfigFsError.WebUsbNotSupported,
        $"WebUSB was requested, but this kernel has no {Path.Combine(gadgetPath, "webusb")} group (it came with Linux 6.3). "
        + "Use a newer kernel, or leave GadgetDefinition.WebUsb null.",
        Errno.ENOENT, Path.Combine(gadgetPath, "webusb"));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException OsDescriptorsNotSupported(string gadgetPath) => new(ConfigFsError.OsDescriptorsNotSupported,
        $"MS OS descriptors were requested, but this kernel has no {Path.Combine(gadgetPath, "os_desc")} group (it came with Linux 3.16). "
        + "Use a newer kernel, or leave GadgetDefinition.OsDescriptors null.",
        Errno.ENOENT, Path.Combine(gadgetPath, "os_desc"));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException FunctionOsDescriptorsNotSupported(string interfacePath) => new(ConfigFsError.OsDescriptorsNotSupported,
        $"This kernel's function has no {interfacePath} group, so Windows cannot be told which driver to use for it. "
        + "Use a kernel whose function supports MS OS descriptors (f_ncm and f_rndis have since Linux 3.16), or turn MicrosoftOsDescriptors off.",
        Errno.ENOENT, interfacePath);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException InvalidDefinition(string name, IReadOnlyList<string> problems) => new(ConfigFsError.InvalidDefinition,
        $"The gadget definition '{name}' is invalid:" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p)));

    /// <summary>Turns a failed mkdir of a function into a message about the kernel function module or the FunctionFS name.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException FunctionCreateFailed(FunctionDefinition function, string path, Exception exception)
    {
        Errno errno = ErrnoOf(exception);
        return errno switch
        {
            Errno.ENOENT => new(ConfigFsError.FunctionNotAvailable,
                $"mkdir {path} failed with ENOENT: the kernel has no USB function '{function.Type}'. Load its module (for example 'modprobe usb_f_{ModuleHint(function.Type)}'), "
                + "or check the name (function names are case-sensitive: SourceSink, Loopback).", errno, path, exception),
            Errno.EBUSY or Errno.EEXIST when function.IsFunctionFs => new(ConfigFsError.FunctionFsInstanceInUse,
                $"mkdir {path} failed with {errno}: the FunctionFS instance name '{function.Instance}' is already used by another gadget "
                + "(FunctionFS names are system-wide). Choose another instance name or remove the other gadget.", errno, path, exception),
            _ => IoFailed("mkdir", path, exception),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException AttributeWriteFailed(string path, string value, Exception exception)
    {
        Errno errno = ErrnoOf(exception);
        // A mass storage LUN's file: the kernel opens it on write, so its errno is about the file, not the attribute.
        if (Path.GetFileName(path) == "file" && Path.GetFileName(Path.GetDirectoryName(path) ?? "").StartsWith("lun.", StringComparison.Ordinal))
        {
            return new(ConfigFsError.AttributeRejected,
                $"The kernel could not open '{value}' as the medium of {Path.GetDirectoryName(path)} ({ErrnoName(errno)}): it must be an existing regular file or block device "
                + "that root can open (read-write unless the LUN is read-only), not a directory or character device.", errno, path, exception);
        }
        return errno switch
        {
            Errno.ENOENT => new(ConfigFsError.AttributeNotSupported,
                $"Writing '{value}' to {path} failed: the attribute does not exist in this kernel or function. Check the attribute name against "
                + "Documentation/ABI/testing/configfs-usb-gadget-* for this kernel version.", errno, path, exception),
            Errno.EINVAL or Errno.ERANGE or (Errno)75 /* EOVERFLOW */ or (Errno)36 /* ENAMETOOLONG */ => new(ConfigFsError.AttributeRejected,
                $"The kernel rejected '{value}' for {path} with {ErrnoName(errno)}. Check the value's range and format (ids and BCD values as 0x-prefixed hex, strings of at most 126 bytes).",
                errno, path, exception),
            _ => IoFailed($"writing '{value}' to", path, exception),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException IoFailed(string what, string path, Exception exception)
    {
        Errno errno = ErrnoOf(exception);
        string hint = errno switch
        {
            Errno.EACCES or Errno.EPERM => " Run as root.",
            Errno.ENOTEMPTY => " Something is still linked into or created inside it; remove that first.",
            Errno.EBUSY => " It is in use (a bound UDC, a mount, or a symlink pointing at it).",
            _ => "",
        };
        // With a known errno the inner message only repeats the call and path.
        string detail = errno == Errno.None ? $": {exception.Message}" : ".";
        return new(ConfigFsError.IoFailed, $"{what} {path} failed with {ErrnoName(errno)}{detail}{hint}", errno, path, exception);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException MountFailed(string instance, string mountPoint, Errno errno) => new(ConfigFsError.MountFailed,
        $"mount -t functionfs {instance} {mountPoint} failed with {ErrnoName(errno)}. " + errno switch
        {
            Errno.ENODEV => "The kernel does not know the functionfs file system: 'modprobe usb_f_fs'.",
            Errno.ENOENT => $"No FunctionFS function named '{instance}' exists (create functions/ffs.{instance} first), or the mount point is missing.",
            Errno.EBUSY => $"The instance '{instance}' is already mounted elsewhere; see 'grep functionfs /proc/mounts'.",
            Errno.EPERM or Errno.EACCES => "Mounting needs root (CAP_SYS_ADMIN).",
            Errno.EINVAL => "The mount options were refused (uid/gid/mode values).",
            _ => "See dmesg.",
        },
        errno, mountPoint);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException MountPointInUse(string instance, string mountPoint, MountEntry occupant) => new(ConfigFsError.MountPointInUse,
        $"Cannot mount FunctionFS instance '{instance}' at {mountPoint}: {occupant.FileSystemType} '{occupant.Source}' is already mounted there, "
        + $"and mounting over it would hide it. Unmount it ('umount {mountPoint}'), or mount FunctionFS elsewhere "
        + "with the UsbGadget:FunctionFsMountRoot setting (ConfigFsOptions.FunctionFsMountRoot without the host).",
        Errno.EBUSY, mountPoint);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ConfigFsException UnmountFailed(string mountPoint, Errno errno) => new(ConfigFsError.MountFailed,
        $"umount {mountPoint} failed with {ErrnoName(errno)}."
        + (errno == Errno.EBUSY ? $" A process still has its files open: 'fuser -vm {mountPoint}'." : ""),
        errno, mountPoint);

    [DoesNotReturn]
    public static void Throw(ConfigFsException exception) => throw exception;

    public static string ErrnoName(Errno errno) => errno switch
    {
        (Errno)36 => "ENAMETOOLONG",
        (Errno)75 => "EOVERFLOW",
        Errno.None => "an unknown error",
        _ => Enum.IsDefined(errno) ? errno.ToString() : $"errno {(int)errno}",
    };

    private static string ModuleHint(string type) => type switch
    {
        "SourceSink" or "Loopback" => "ss_lb",
        "ffs" => "fs",
        _ => type.ToLowerInvariant(),
    };
}
