using System.Text;
using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

/// <summary>
/// A temporary directory tree that behaves like the parts of configfs, sysfs and procfs the gadget code touches:
/// mkdir of a gadget, language, configuration or function creates the attribute files and default groups the kernel would;
/// rmdir removes them with the item but refuses while links or user-made groups remain (ENOTEMPTY) and refuses default
/// groups (EPERM); writing a missing attribute is ENOENT. Every call is recorded in <see cref="Operations"/> with paths
/// relative to the root, and any call can be made to fail with an errno.
/// </summary>
internal sealed class SimulatedConfigFs : IConfigFsIo, IDisposable
{
    private readonly SystemConfigFsIo _real = SystemConfigFsIo.Instance;
    private readonly HashSet<string> _defaultGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Op, string Path), Errno> _faults = [];

    public SimulatedConfigFs(bool libCompositeLoaded = true, bool kernelHasWebUsb = true, params string[] udcs)
    {
        Root = Directory.CreateTempSubdirectory("configfs-sim-").FullName;
        KernelHasWebUsb = kernelHasWebUsb;
        Directory.CreateDirectory(Path.Combine(Root, "config"));
        if (libCompositeLoaded)
        {
            Directory.CreateDirectory(Path.Combine(Root, "config", "usb_gadget"));
        }
        Directory.CreateDirectory(Path.Combine(Root, "udc"));
        foreach (string udc in udcs)
        {
            AddUdc(udc);
        }
        Directory.CreateDirectory(Path.Combine(Root, "proc"));
        Options = new ConfigFsOptions
        {
            ConfigFsRoot = Path.Combine(Root, "config"),
            UdcClassPath = Path.Combine(Root, "udc"),
            FunctionFsMountRoot = Path.Combine(Root, "ffs"),
            StateDirectory = Path.Combine(Root, "run"),
            ProcRoot = Path.Combine(Root, "proc"),
        };
    }

    public string Root { get; }

    public bool KernelHasWebUsb { get; }

    public ConfigFsOptions Options { get; }

    public uint EffectiveUserId { get; set; }

    /// <summary>Every call, as "op relative/path" or "write relative/path=value".</summary>
    public List<string> Operations { get; } = [];

    public string GadgetPath(string name) => Path.Combine(Options.GadgetsPath, name);

    public void AddUdc(string name, string? boundFunction = null)
    {
        string dir = Path.Combine(Root, "udc", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "function"), boundFunction is null ? "" : boundFunction + "\n");
    }

    /// <summary>Makes <paramref name="op"/> ("mkdir", "rmdir", "write", "symlink", "unlink") on <paramref name="relativePath"/> fail with <paramref name="errno"/>.</summary>
    public void Fail(string op, string relativePath, Errno errno) => _faults[(op, relativePath)] = errno;

    /// <summary>A gadget made by someone else (a script), with the files the kernel gives it.</summary>
    public string AddForeignGadget(string name, string udc = "")
    {
        string path = GadgetPath(name);
        CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "UDC"), udc.Length == 0 ? "\n" : udc + "\n");
        Operations.Clear();
        return path;
    }

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    public byte[] ReadBytes(string relativePath) => File.ReadAllBytes(Path.Combine(Root, relativePath));

    public bool Exists(string relativePath)
    {
        string path = Path.Combine(Root, relativePath);
        return Path.Exists(path) || new FileInfo(path).LinkTarget is not null;
    }

    public string? LinkTarget(string relativePath) => new FileInfo(Path.Combine(Root, relativePath)).LinkTarget;

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public bool EntryExists(string path) => _real.EntryExists(path);

    public void CreateDirectory(string path)
    {
        Record("mkdir", path);
        if (Path.Exists(path)) { throw Error(Errno.EEXIST, "mkdir", path); }
        if (!Directory.Exists(Path.GetDirectoryName(path))) { throw Error(Errno.ENOENT, "mkdir", path); }
        Directory.CreateDirectory(path);
        PopulateLikeTheKernel(path);
    }

    public void RemoveDirectory(string path)
    {
        Record("rmdir", path);
        if (!Directory.Exists(path)) { throw Error(Errno.ENOENT, "rmdir", path); }
        if (_defaultGroups.Contains(path)) { throw Error(Errno.EPERM, "rmdir", path); }
        if (HasUserContent(path)) { throw Error(Errno.ENOTEMPTY, "rmdir", path); }
        DeleteKernelContent(path);
        Directory.Delete(path);
    }

    public void CreateSymlink(string linkPath, string target)
    {
        Record("symlink", linkPath);
        if (EntryExists(linkPath)) { throw Error(Errno.EEXIST, "symlink", linkPath); }
        File.CreateSymbolicLink(linkPath, target);
    }

    public void RemoveSymlink(string path)
    {
        Record("unlink", path);
        if (new FileInfo(path).LinkTarget is null) { throw Error(Errno.EPERM, "unlink", path); }
        File.Delete(path);
    }

    public void WriteAttribute(string path, ReadOnlySpan<byte> value)
    {
        string text = Encoding.UTF8.GetString(value);
        Record("write", path, text);
        if (!File.Exists(path)) { throw new FileNotFoundException($"Could not find file '{path}'.", path); }
        File.WriteAllBytes(path, value.ToArray());
    }

    public string ReadAttribute(string path) => _real.ReadAttribute(path);

    public IReadOnlyList<ConfigFsEntry> List(string path) => _real.List(path);

    public void WriteFile(string path, string contents) => _real.WriteFile(path, contents);

    public void DeleteFile(string path) => _real.DeleteFile(path);

    public void CreateDirectoryTree(string path) => _real.CreateDirectoryTree(path);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Record(string op, string path, string? value = null)
    {
        string relative = Path.GetRelativePath(Root, path);
        Operations.Add(value is null ? $"{op} {relative}" : $"{op} {relative}={value}");
        if (_faults.TryGetValue((op, relative), out Errno errno))
        {
            throw Error(errno, op, path);
        }
    }

    // The shape of the IOException .NET throws for an unmapped errno: the errno in HResult.
    private static IOException Error(Errno errno, string op, string path) => new($"{op} {path}: {errno}", (int)errno);

    private bool HasUserContent(string path)
    {
        foreach (FileSystemInfo info in new DirectoryInfo(path).EnumerateFileSystemInfos())
        {
            if (info.LinkTarget is not null) { return true; }
            if (info is DirectoryInfo dir && (!_defaultGroups.Contains(dir.FullName) || HasUserContent(dir.FullName))) { return true; }
        }
        return false;
    }

    private void DeleteKernelContent(string path)
    {
        foreach (FileSystemInfo info in new DirectoryInfo(path).EnumerateFileSystemInfos())
        {
            if (info is DirectoryInfo dir)
            {
                DeleteKernelContent(dir.FullName);
                _defaultGroups.Remove(dir.FullName);
                dir.Delete();
            }
            else
            {
                info.Delete();
            }
        }
    }

    private void PopulateLikeTheKernel(string path)
    {
        string[] parts = Path.GetRelativePath(Options.GadgetsPath, path).Split(Path.DirectorySeparatorChar);
        if (parts[0] == "..") { return; }
        switch (parts)
        {
            case [_]:
                Files(path, "idVendor", "idProduct", "bcdDevice", "bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol", "bMaxPacketSize0", "UDC", "max_speed");
                DefaultGroup(path, "strings");
                DefaultGroup(path, "configs");
                DefaultGroup(path, "functions");
                Files(DefaultGroup(path, "os_desc"), "use", "b_vendor_code", "qw_sign");
                if (KernelHasWebUsb) { Files(DefaultGroup(path, "webusb"), "use", "bcdVersion", "bVendorCode", "landingPage"); }
                break;
            case [_, "strings", _]:
                Files(path, "manufacturer", "product", "serialnumber");
                break;
            case [_, "configs", _]:
                Files(path, "MaxPower", "bmAttributes");
                DefaultGroup(path, "strings");
                break;
            case [_, "configs", _, "strings", _]:
                Files(path, "configuration");
                break;
            case [_, "functions", string function]:
                PopulateFunction(path, function[..function.IndexOf('.', StringComparison.Ordinal)]);
                break;
            case [_, "functions", _, string lun] when lun.StartsWith("lun.", StringComparison.Ordinal):
                Files(path, "file", "ro", "removable", "cdrom", "nofua", "inquiry_string");
                break;
        }
    }

    private void PopulateFunction(string path, string type)
    {
        switch (type)
        {
            case "hid":
                Files(path, "protocol", "subclass", "report_length", "report_desc", "dev");
                break;
            case "acm":
                Files(path, "port_num");
                break;
            case "ecm":
                Files(path, "dev_addr", "host_addr", "qmult", "ifname");
                break;
            case "ncm" or "rndis":
                // f_ncm and f_rndis add an os_desc group with one interface group (usb_os_desc_prepare_interf_dir).
                Files(path, "dev_addr", "host_addr", "qmult", "ifname");
                if (type == "rndis") { Files(path, "class", "subclass", "protocol"); }
                Files(DefaultGroup(DefaultGroup(path, "os_desc"), "interface." + type), "compatible_id", "sub_compatible_id");
                break;
            case "midi":
                Files(path, "index", "id", "in_ports", "out_ports", "buflen", "qlen");
                break;
            case "mass_storage":
                Files(path, "stall");
                Files(DefaultGroup(path, "lun.0"), "file", "ro", "removable", "cdrom", "nofua", "inquiry_string");
                break;
            case "SourceSink":
                Files(path, "pattern", "isoc_interval", "isoc_maxpacket", "isoc_mult", "isoc_maxburst", "bulk_buflen", "bulk_qlen", "iso_qlen");
                break;
            case "Loopback":
                Files(path, "qlen", "bulk_buflen");
                break;
            case "ffs":
                break;
            default:
                // usb_get_function_instance: no such function driver.
                DeleteKernelContent(path);
                Directory.Delete(path);
                throw Error(Errno.ENOENT, "mkdir", path);
        }
    }

    private string DefaultGroup(string parent, string name)
    {
        string path = Path.Combine(parent, name);
        Directory.CreateDirectory(path);
        _defaultGroups.Add(path);
        return path;
    }

    private static void Files(string dir, params string[] names)
    {
        foreach (string name in names)
        {
            File.WriteAllText(Path.Combine(dir, name), "");
        }
    }
}
