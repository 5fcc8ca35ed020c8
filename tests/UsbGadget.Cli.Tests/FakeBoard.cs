using System.Globalization;
using UsbGadget.Tests.ConfigFs;

namespace UsbGadget.Cli.Tests;

/// <summary>
/// A board in a temporary directory: the library's configfs simulator and fake mount table, plus the procfs files,
/// device tree, firmware boot files and module lists the tool reads. Starts as a healthy PC with dummy_hcd.
/// </summary>
internal sealed class FakeBoard : IDisposable
{
    public FakeBoard(bool libCompositeLoaded = true, params string[] udcs)
    {
        Bed = new GadgetTestBed(libCompositeLoaded, udcs: udcs);
        Paths = new SystemPaths
        {
            ConfigFs = Bed.Options,
            DeviceTree = Path.Combine(Bed.Fs.Root, "devicetree"),
            BootDirectories = [Path.Combine(Bed.Fs.Root, "boot/firmware"), Path.Combine(Bed.Fs.Root, "boot")],
            ModuleDirectories = [Path.Combine(Bed.Fs.Root, "lib/modules")],
            Passwd = Path.Combine(Bed.Fs.Root, "etc/passwd"),
        };
        KernelRelease = "6.1.0-27-amd64";
        WriteProc("filesystems", "nodev\tsysfs\nnodev\tconfigfs\nnodev\tfunctionfs\n");
        WriteProc("modules", "dummy_hcd 36864 0 - Live 0x0000000000000000\nusb_f_fs 53248 0 - Live 0x0000000000000000\nlibcomposite 90112 2 usb_f_fs, Live 0x0000000000000000\n");
    }

    public GadgetTestBed Bed { get; }

    public SystemPaths Paths { get; }

    public string Root => Bed.Fs.Root;

    public string KernelRelease
    {
        set => WriteProc("sys/kernel/osrelease", value + "\n");
    }

    public HostSystem System => new(Paths, Bed.Fs, Bed.Mounter);

    public void WriteProc(string relativePath, string text) => Write(Path.Combine(Bed.Options.ProcRoot, relativePath), text);

    public void UnmountConfigFs() => Bed.Mounter.Table.RemoveAll(m => m.FileSystemType == "configfs");

    /// <summary>A device tree with a model name, as the kernel exposes it (NUL-terminated).</summary>
    public void SetBoard(string model) => Write(Path.Combine(Paths.DeviceTree, "model"), model + "\0");

    public void SetDualRoleMode(string node, string mode) => Write(Path.Combine(Paths.DeviceTree, node, "dr_mode"), mode + "\0");

    public string WriteBootFile(string name, string text)
    {
        string path = Path.Combine(Paths.BootDirectories[0], name);
        Write(path, text);
        return path;
    }

    /// <summary>Installs a module directory for the running kernel with these modules (and the built-in ones).</summary>
    public void InstallModules(string release, string[] modules, string[]? builtIn = null)
    {
        string directory = Path.Combine(Paths.ModuleDirectories[0], release);
        Write(Path.Combine(directory, "modules.dep"), string.Concat(modules.Select(m => $"kernel/drivers/usb/{m}.ko.xz:\n")));
        Write(Path.Combine(directory, "modules.builtin"), string.Concat((builtIn ?? []).Select(m => $"kernel/drivers/usb/{m}.ko\n")));
    }

    /// <summary>A process that runs, with its start time and name, as procfs shows it.</summary>
    public void AddRunningProcess(int pid, long startTime, string name)
    {
        Bed.AddRunningProcess(pid, startTime);
        Write(Path.Combine(Bed.Options.ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "comm"), name + "\n");
    }

    /// <summary>
    /// A gadget bound to <paramref name="udc"/>, with a FunctionFS instance mounted whose descriptors gave it <paramref name="endpoints"/>
    /// endpoints besides ep0 (-1: not even ep0, an empty directory).
    /// </summary>
    public string AddFunctionFsGadget(string name, string instance, string udc = "", int endpoints = 2)
    {
        string path = Bed.Fs.AddForeignGadget(name, udc);
        Bed.Fs.WriteAttribute(Path.Combine(path, "idVendor"), "0x1d6b"u8);
        Bed.Fs.WriteAttribute(Path.Combine(path, "idProduct"), "0x0105"u8);
        string function = Path.Combine(path, "functions", "ffs." + instance);
        Bed.Fs.CreateDirectory(function);
        Bed.Fs.CreateDirectory(Path.Combine(path, "configs", "c.1"));
        Bed.Fs.CreateSymlink(Path.Combine(path, "configs", "c.1", "ffs." + instance), function);
        string mountPoint = Path.Combine(Bed.Options.FunctionFsMountRoot, instance);
        Directory.CreateDirectory(mountPoint);
        for (int i = 0; i <= endpoints; i++)
        {
            File.WriteAllText(Path.Combine(mountPoint, $"ep{i}"), "");
        }
        Bed.Mounter.Table.Add(new ConfigFs.MountEntry(instance, mountPoint, ConfigFs.MountEntry.FunctionFsType, "rw"));
        if (udc.Length > 0)
        {
            File.WriteAllText(Path.Combine(Bed.Options.UdcClassPath, udc, "state"), "configured\n");
        }
        Bed.Fs.Operations.Clear();
        return mountPoint;
    }

    /// <summary>Runs the tool's command line against this board.</summary>
    public (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        int exitCode = Program.Run(args, System, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    public void Dispose() => Bed.Dispose();

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
