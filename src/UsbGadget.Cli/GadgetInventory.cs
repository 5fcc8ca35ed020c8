using System.Globalization;
using UsbGadget.ConfigFs;

namespace UsbGadget.Cli;

/// <summary>Who made a gadget, as far as the state files tell.</summary>
internal enum GadgetOwnerKind
{
    /// <summary>No state file: a script, another tool, or a UsbGadget app in Attach mode made it.</summary>
    Unknown,

    /// <summary>A UsbGadget process that still runs.</summary>
    Running,

    /// <summary>A UsbGadget process that is gone: the gadget is stale, <c>usbgadget cleanup</c> removes it.</summary>
    Gone,

    /// <summary>
    /// A setup step (<c>UsbGadget:Mode=Setup</c>) made it for an unprivileged service user: it outlives the setup process on
    /// purpose, is never stale, and the service's teardown step removes it.
    /// </summary>
    Service,
}

/// <summary>The owner of a gadget: its kind, and for UsbGadget processes the pid and process name.</summary>
internal sealed record GadgetOwner(GadgetOwnerKind Kind, int ProcessId = 0, string? ProcessName = null, uint ServiceUid = 0)
{
    public override string ToString() => Kind switch
    {
        GadgetOwnerKind.Service => $"set up for service uid {ServiceUid}{(ProcessName is null ? "" : $" ({ProcessName})")}; its teardown step removes it",
        GadgetOwnerKind.Running => $"UsbGadget process {ProcessId}{(ProcessName is null ? "" : $" ({ProcessName})")}, running",
        GadgetOwnerKind.Gone => $"stale: UsbGadget process {ProcessId} is gone",
        _ => "no state file (made by a script, another tool, or an app in Attach mode)",
    };
}

/// <summary>One function directory of a gadget (<c>functions/TYPE.INSTANCE</c>), of any type.</summary>
/// <param name="Name">The directory name, such as <c>ffs.loopback</c> or <c>acm.usb0</c>.</param>
/// <param name="MountPoint">For FunctionFS: where the instance is mounted, or null when it is not.</param>
/// <param name="Endpoints">For a mounted FunctionFS instance: its endpoint files besides ep0 (0 until descriptors are written).</param>
internal sealed record FunctionInfo(string Name, string? MountPoint, int? Endpoints)
{
    public string Type => Name.Split('.', 2)[0];

    public string Instance => Name.Split('.', 2) is [_, string instance] ? instance : "";

    public bool IsFunctionFs => Type == FunctionDefinition.FunctionFsType;
}

/// <summary>A configuration (<c>configs/NAME.N</c>) and the functions linked into it.</summary>
internal sealed record ConfigurationInfo(string Name, IReadOnlyList<string> Functions);

/// <summary>A configfs gadget as the tool shows it.</summary>
internal sealed record GadgetInfo(
    string Name,
    string Path,
    string? VendorId,
    string? ProductId,
    string? Udc,
    string? UdcState,
    GadgetOwner Owner,
    IReadOnlyList<FunctionInfo> Functions,
    IReadOnlyList<ConfigurationInfo> Configurations);

/// <summary>A state file whose gadget directory is gone (only mounts, or nothing, remain).</summary>
internal sealed record OrphanState(string Name, GadgetOwner Owner, IReadOnlyList<string> MountPoints);

/// <summary>Reads every gadget under configfs with its functions, binding and owner, reusing the library's readers.</summary>
internal sealed class GadgetInventory
{
    private readonly HostSystem _system;
    private readonly ProcessTable _processes;

    public GadgetInventory(HostSystem system)
    {
        _system = system;
        _processes = new ProcessTable(system.Paths.ConfigFs.ProcRoot);
    }

    private ConfigFsOptions Options => _system.Paths.ConfigFs;

    private IConfigFsIo Io => _system.Io;

    /// <summary>The gadgets, in name order; empty when configfs or libcomposite is missing (doctor reports that).</summary>
    public IReadOnlyList<GadgetInfo> Gadgets()
    {
        if (!Io.DirectoryExists(Options.GadgetsPath))
        {
            return [];
        }
        IReadOnlyList<MountEntry> mounts = _system.MountTable();
        return Io.List(Options.GadgetsPath)
            .Where(e => e.Kind == ConfigFsEntryKind.Directory)
            .Select(e => Read(e.Name, e.FullPath, mounts))
            .ToList();
    }

    /// <summary>State files of UsbGadget processes whose gadget directory no longer exists.</summary>
    public IReadOnlyList<OrphanState> OrphanStates()
    {
        if (!Io.DirectoryExists(Options.StateDirectory))
        {
            return [];
        }
        var mounted = _system.MountTable().Where(m => m.IsFunctionFs).Select(m => m.MountPoint).ToHashSet(StringComparer.Ordinal);
        var orphans = new List<OrphanState>();
        foreach (ConfigFsEntry entry in Io.List(Options.StateDirectory))
        {
            if (entry.Kind != ConfigFsEntryKind.File || !entry.Name.EndsWith(GadgetStateFile.Extension, StringComparison.Ordinal))
            {
                continue;
            }
            string name = entry.Name[..^GadgetStateFile.Extension.Length];
            if (Io.DirectoryExists(System.IO.Path.Combine(Options.GadgetsPath, name)) || State(name) is not { } state)
            {
                continue;
            }
            orphans.Add(new OrphanState(name, OwnerOf(state), state.Mounts.Select(m => m.MountPoint).Where(mounted.Contains).ToList()));
        }
        return orphans;
    }

    public GadgetOwner Owner(string gadgetName) => State(gadgetName) is { } state ? OwnerOf(state) : new GadgetOwner(GadgetOwnerKind.Unknown);

    private GadgetInfo Read(string name, string path, IReadOnlyList<MountEntry> mounts)
    {
        string? udc = _system.ReadAttribute(System.IO.Path.Combine(path, "UDC"));
        if (string.IsNullOrEmpty(udc))
        {
            udc = null;
        }
        string? udcState = udc is null ? null : _system.ReadAttribute(System.IO.Path.Combine(Options.UdcClassPath, udc, "state"));
        var functions = Children(System.IO.Path.Combine(path, "functions"), ConfigFsEntryKind.Directory)
            .Select(f => Function(f.Name, mounts))
            .ToList();
        var configurations = Children(System.IO.Path.Combine(path, "configs"), ConfigFsEntryKind.Directory)
            .Select(c => new ConfigurationInfo(c.Name, Children(c.FullPath, ConfigFsEntryKind.Symlink).Select(l => LinkedFunction(l)).ToList()))
            .ToList();
        return new GadgetInfo(
            name,
            path,
            _system.ReadAttribute(System.IO.Path.Combine(path, "idVendor")),
            _system.ReadAttribute(System.IO.Path.Combine(path, "idProduct")),
            udc,
            udcState,
            Owner(name),
            functions,
            configurations);
    }

    // A configuration's link may have any name; what it points at is the function.
    private static string LinkedFunction(ConfigFsEntry link) => HostSystem.LinkName(link.FullPath) ?? link.Name;

    private FunctionInfo Function(string directoryName, IReadOnlyList<MountEntry> mounts)
    {
        var function = new FunctionInfo(directoryName, null, null);
        if (!function.IsFunctionFs)
        {
            return function;
        }
        MountEntry? mount = mounts.LastOrDefault(m => m.IsFunctionFs && m.Source == function.Instance);
        if (mount is null)
        {
            return function;
        }
        int endpoints = 0;
        try
        {
            // f_fs creates ep1..epN once descriptors are written; ep0 is there from the mount on.
            endpoints = Directory.EnumerateFiles(mount.MountPoint, "ep*").Count(f => System.IO.Path.GetFileName(f) != "ep0");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return function with { MountPoint = mount.MountPoint, Endpoints = endpoints };
    }

    private GadgetStateFile? State(string name)
    {
        string path = GadgetStateFile.PathFor(Options, name);
        try
        {
            return Io.EntryExists(path) ? GadgetStateFile.Parse(name, Io.ReadAttribute(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private GadgetOwner OwnerOf(GadgetStateFile state) =>
        state.Service is (uint uid, _)
            ? new GadgetOwner(GadgetOwnerKind.Service, ServiceUid: uid, ProcessName: _system.UserName(uid))
            : _processes.IsAlive(state)
            ? new GadgetOwner(GadgetOwnerKind.Running, state.ProcessId, _system.ProcessName(state.ProcessId))
            : new GadgetOwner(GadgetOwnerKind.Gone, state.ProcessId);

    private IReadOnlyList<ConfigFsEntry> Children(string path, ConfigFsEntryKind kind)
    {
        try
        {
            return Io.DirectoryExists(path) ? Io.List(path).Where(e => e.Kind == kind).ToList() : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static string Hex(string? value) =>
        value is not null && value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ushort.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort number)
            ? number.ToString("x4", CultureInfo.InvariantCulture)
            : string.IsNullOrEmpty(value) ? "????" : value;
}
