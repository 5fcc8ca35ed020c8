using System.Globalization;
using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

/// <summary>A mount table kept in a list: Mount adds a functionfs line, Unmount removes it.</summary>
internal sealed class FakeMounter : IFunctionFsMounter
{
    public List<MountEntry> Table { get; } = [];

    public List<(string Instance, string MountPoint, FunctionFsMountOptions Options)> Mounts { get; } = [];

    public List<string> Unmounts { get; } = [];

    /// <summary>Mount points whose unmount fails with this errno.</summary>
    public Dictionary<string, Errno> UnmountFaults { get; } = [];

    /// <summary>Where unmounts are also recorded, as "umount relative/path", to check their place among configfs calls.</summary>
    public (List<string> Operations, string Root)? Journal { get; set; }

    public void Mount(string instance, string mountPoint, FunctionFsMountOptions options)
    {
        if (Table.Any(m => m.FileSystemType == MountEntry.FunctionFsType && m.Source == instance))
        {
            throw new ConfigFsException(ConfigFsError.MountFailed, $"mount {instance}: EBUSY", Errno.EBUSY, mountPoint);
        }
        Mounts.Add((instance, mountPoint, options));
        Table.Add(new MountEntry(instance, mountPoint, MountEntry.FunctionFsType, "rw,relatime"));
    }

    public bool Unmount(string mountPoint)
    {
        Unmounts.Add(mountPoint);
        if (Journal is { } journal)
        {
            journal.Operations.Add("umount " + Path.GetRelativePath(journal.Root, mountPoint));
        }
        if (UnmountFaults.TryGetValue(mountPoint, out Errno errno))
        {
            throw new ConfigFsException(ConfigFsError.MountFailed, $"umount {mountPoint} failed with {errno}.", errno, mountPoint);
        }
        Table.RemoveAll(m => m.MountPoint == mountPoint);
        return true;
    }

    public IReadOnlyList<MountEntry> ReadMountTable() => Table.ToList();
}

/// <summary>Keeps every log entry with its event id.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, int EventId, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
}

/// <summary>Everything one test needs: a simulated configfs with one UDC, a fake mount table and a manager over them.</summary>
internal sealed class GadgetTestBed : IDisposable
{
    public GadgetTestBed(bool libCompositeLoaded = true, bool kernelHasWebUsb = true, ConfigFsOptions? options = null, params string[] udcs)
    {
        Fs = new SimulatedConfigFs(libCompositeLoaded, kernelHasWebUsb, udcs.Length == 0 ? ["dummy_udc.0"] : udcs);
        Options = options is null ? Fs.Options : options with
        {
            ConfigFsRoot = Fs.Options.ConfigFsRoot,
            UdcClassPath = Fs.Options.UdcClassPath,
            FunctionFsMountRoot = Fs.Options.FunctionFsMountRoot,
            StateDirectory = Fs.Options.StateDirectory,
            ProcRoot = Fs.Options.ProcRoot,
        };
        Mounter.Table.Add(new MountEntry("none", Fs.Options.ConfigFsRoot, MountEntry.ConfigFsType, "rw,relatime"));
        Mounter.Journal = (Fs.Operations, Fs.Root);
        Manager = new GadgetManager(Options, Mounter, Fs, Logger);
    }

    public SimulatedConfigFs Fs { get; }

    public ConfigFsOptions Options { get; }

    public FakeMounter Mounter { get; } = new();

    public RecordingLogger Logger { get; } = new();

    public GadgetManager Manager { get; }

    public string Rel(string path) => Path.GetRelativePath(Fs.Root, path);

    /// <summary>Writes /proc/PID/stat for a process that "runs", with <paramref name="startTime"/> as field 22.</summary>
    public void AddRunningProcess(int pid, long startTime)
    {
        string dir = Path.Combine(Fs.Options.ProcRoot, pid.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        // Fields 3..21 are filler; the command name holds a space and a ')' to prove the parser skips it.
        string filler = string.Join(' ', Enumerable.Repeat("0", 18));
        File.WriteAllText(Path.Combine(dir, "stat"), string.Create(CultureInfo.InvariantCulture, $"{pid} (my app) x) S {filler} {startTime} 0 0\n"));
    }

    /// <summary>Writes a state file as a UsbGadget process <paramref name="pid"/> would have.</summary>
    public void AddStateFile(string gadget, int pid, long? startTime, params (string Instance, string MountPoint)[] mounts)
    {
        Directory.CreateDirectory(Options.StateDirectory);
        File.WriteAllText(Path.Combine(Options.StateDirectory, gadget + ".pid"), new GadgetStateFile(gadget, pid, startTime, mounts).Format());
    }

    public void Dispose() => Fs.Dispose();

    /// <summary>A small composite gadget: one FunctionFS instance and one kernel ACM function in configuration c.1.</summary>
    public static GadgetDefinition SimpleGadget(string name = "g1") => new(name, 0x1d6b, 0x0104)
    {
        Strings = [new GadgetStrings(0x409, "Acme", "Widget", "0001")],
        Functions = [FunctionDefinition.FunctionFs("app"), FunctionDefinition.Acm("gs0")],
        Configurations =
        [
            new ConfigurationDefinition(1)
            {
                Strings = [new ConfigurationString(0x409, "Default")],
                Functions = ["ffs.app", "acm.gs0"],
            },
        ],
    };
}
