using UsbGadget.ConfigFs;

namespace UsbGadget.Cli;

/// <summary>Whether a kernel module's code is in the running kernel, and if not, whether it could be.</summary>
internal enum ModuleState
{
    /// <summary>Loaded as a module (listed in /proc/modules).</summary>
    Loaded,

    /// <summary>Built into the kernel (listed in modules.builtin), or its effect is visible (a file system it registers).</summary>
    BuiltIn,

    /// <summary>Not loaded, but installed for this kernel: <c>modprobe</c> will load it.</summary>
    Installed,

    /// <summary>Not loaded, and this kernel's module directory does not have it.</summary>
    NotShipped,

    /// <summary>Not loaded, and there is no module directory for this kernel to look in.</summary>
    Unknown,
}

/// <summary>
/// Reads the facts the commands judge: kernel release, modules, device tree, boot configuration, mounts, UDCs.
/// Every read tolerates a missing or unreadable file, since a broken system is exactly what <c>doctor</c> runs on.
/// </summary>
internal sealed class HostSystem
{
    private HashSet<string>? _loaded;
    private HashSet<string>? _builtIn;
    private HashSet<string>? _installed;

    public HostSystem(SystemPaths paths, IConfigFsIo io, IFunctionFsMounter mounter)
    {
        Paths = paths;
        Io = io;
        Mounter = mounter;
    }

    public SystemPaths Paths { get; }

    public IConfigFsIo Io { get; }

    public IFunctionFsMounter Mounter { get; }

    /// <summary>The real system.</summary>
    public static HostSystem Real() => new(new SystemPaths(), SystemConfigFsIo.Instance, new FunctionFsMounter());

    public uint EffectiveUserId => Io.EffectiveUserId;

    /// <summary>uname -r, from procfs.</summary>
    public string? KernelRelease => ReadText(Path.Combine(Paths.ProcRoot, "sys/kernel/osrelease"))?.Trim();

    public Version? KernelVersion => FunctionFs.KernelRelease.TryParse(KernelRelease, out Version version) ? version : null;

    /// <summary>The board's name from the device tree; null on machines without one (PCs, most VMs).</summary>
    public string? BoardModel => ReadText(Path.Combine(Paths.DeviceTree, "model"))?.TrimEnd('\0', '\n');

    public bool HasDeviceTree => Directory.Exists(Paths.DeviceTree);

    public bool IsRaspberryPi => BoardModel?.StartsWith("Raspberry Pi", StringComparison.Ordinal) == true;

    public bool IsBeagleBone => BoardModel?.Contains("BeagleBone", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Whether the kernel knows a file system type (usb_f_fs registers <c>functionfs</c>).</summary>
    public bool KnowsFileSystem(string type) =>
        ReadLines(Path.Combine(Paths.ProcRoot, "filesystems")).Any(l => l.Split('\t', ' ').LastOrDefault(f => f.Length > 0) == type);

    public ModuleState Module(string name)
    {
        string normalized = name.Replace('-', '_');
        _loaded ??= ReadLines(Path.Combine(Paths.ProcRoot, "modules"))
            .Select(l => l.Split(' ', 2)[0])
            .ToHashSet(StringComparer.Ordinal);
        if (_loaded.Contains(normalized))
        {
            return ModuleState.Loaded;
        }
        string? directory = ModuleDirectory();
        if (directory is null)
        {
            return ModuleState.Unknown;
        }
        _builtIn ??= ModuleNames(Path.Combine(directory, "modules.builtin"));
        if (_builtIn.Contains(normalized))
        {
            return ModuleState.BuiltIn;
        }
        _installed ??= ModuleNames(Path.Combine(directory, "modules.dep"));
        return _installed.Contains(normalized) ? ModuleState.Installed : ModuleState.NotShipped;
    }

    /// <summary>config.txt or cmdline.txt of the Raspberry Pi firmware, or null when there is none.</summary>
    public (string Path, IReadOnlyList<string> Lines)? BootFile(string name)
    {
        foreach (string directory in Paths.BootDirectories)
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return (path, ReadLines(path));
            }
        }
        return null;
    }

    /// <summary>
    /// Every <c>dr_mode</c> property in the device tree: the role (host, peripheral, otg) each dual-role USB controller
    /// was given. Searched a few levels deep, where SoC USB nodes sit (/soc/usb@..., /axi/usb@..., /ocp/.../usb@...).
    /// </summary>
    public IReadOnlyList<(string Node, string Mode)> DualRoleModes()
    {
        var found = new List<(string, string)>();
        if (HasDeviceTree)
        {
            Search(Paths.DeviceTree, depth: 0);
        }
        return found;

        void Search(string directory, int depth)
        {
            string property = Path.Combine(directory, "dr_mode");
            if (ReadText(property) is { } mode)
            {
                found.Add((Path.GetRelativePath(Paths.DeviceTree, directory), mode.TrimEnd('\0', '\n')));
            }
            if (depth >= 4)
            {
                return;
            }
            IEnumerable<string> children;
            try
            {
                children = Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            foreach (string child in children)
            {
                Search(child, depth + 1);
            }
        }
    }

    public IReadOnlyList<MountEntry> MountTable()
    {
        try
        {
            return Mounter.ReadMountTable();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public bool ConfigFsMounted
    {
        get
        {
            string root = Path.TrimEndingDirectorySeparator(Paths.ConfigFs.ConfigFsRoot);
            return MountTable().Any(m => m.FileSystemType == MountEntry.ConfigFsType && Path.TrimEndingDirectorySeparator(m.MountPoint) == root);
        }
    }

    /// <summary>An attribute or small file as text, or null when it is missing or unreadable.</summary>
    public string? ReadAttribute(string path)
    {
        try
        {
            return Io.EntryExists(path) ? Io.ReadAttribute(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The name a symlink in sysfs points to (a device's <c>driver</c>), or null.</summary>
    public static string? LinkName(string path)
    {
        try
        {
            string? target = new FileInfo(path).LinkTarget;
            return target is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(target));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The short name of a running process (<c>/proc/PID/comm</c>), or null.</summary>
    public string? ProcessName(int pid) =>
        ReadText(Path.Combine(Paths.ProcRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "comm"))?.Trim();

    public static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static IReadOnlyList<string> ReadLines(string path) =>
        ReadText(path)?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private string? ModuleDirectory() =>
        KernelRelease is { Length: > 0 } release
            ? Paths.ModuleDirectories.Select(d => Path.Combine(d, release)).FirstOrDefault(Directory.Exists)
            : null;

    // modules.builtin and modules.dep list paths such as kernel/drivers/usb/gadget/libcomposite.ko(.xz): ':' ends a dep line's path.
    private static HashSet<string> ModuleNames(string path) =>
        ReadLines(path)
            .Select(l => Path.GetFileName(l.Split(':', 2)[0]))
            .Select(f => f[..(f.IndexOf(".ko", StringComparison.Ordinal) is int i and >= 0 ? i : f.Length)].Replace('-', '_'))
            .ToHashSet(StringComparer.Ordinal);
}
