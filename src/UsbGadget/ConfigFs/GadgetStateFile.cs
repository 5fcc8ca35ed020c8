using System.Globalization;
using System.Text;

namespace UsbGadget.ConfigFs;

/// <summary>
/// The small state file <c>&lt;StateDirectory&gt;/&lt;gadget&gt;.pid</c> that marks a gadget as created by a UsbGadget process.
/// It names the process (pid plus its start time, so a reused pid is not mistaken for the owner) and every FunctionFS
/// mount made for the gadget, so a later run can clean up after a crash even when the gadget directory is gone.
/// </summary>
/// <param name="GadgetName">The gadget's name.</param>
/// <param name="ProcessId">The owning process.</param>
/// <param name="ProcessStartTime">The owner's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null if unknown.</param>
/// <param name="Mounts">FunctionFS mounts made for the gadget: instance and mount point.</param>
internal sealed record GadgetStateFile(string GadgetName, int ProcessId, long? ProcessStartTime, IReadOnlyList<(string Instance, string MountPoint)> Mounts)
{
    public const string Extension = ".pid";

    /// <summary>
    /// For a gadget the setup step made for a service user (<see cref="GadgetManager.SetUpForService"/>): that user's uid
    /// and gid. Such a gadget outlives the setup process on purpose, so it is never stale; the teardown step removes it.
    /// </summary>
    public (uint Uid, uint Gid)? Service { get; init; }

    /// <summary>Mount-point directories the setup step created, removed again by the teardown step.</summary>
    public IReadOnlyList<string> CreatedMountPoints { get; init; } = [];

    public static string PathFor(ConfigFsOptions options, string gadgetName) => Path.Combine(options.StateDirectory, gadgetName + Extension);

    public string Format()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"pid={ProcessId}\n");
        if (ProcessStartTime is long start) { sb.Append(CultureInfo.InvariantCulture, $"start={start}\n"); }
        sb.Append(CultureInfo.InvariantCulture, $"gadget={GadgetName}\n");
        if (Service is (uint uid, uint gid)) { sb.Append(CultureInfo.InvariantCulture, $"service={uid}:{gid}\n"); }
        foreach ((string instance, string mountPoint) in Mounts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"mount={instance} {mountPoint}\n");
        }
        foreach (string created in CreatedMountPoints)
        {
            sb.Append(CultureInfo.InvariantCulture, $"created={created}\n");
        }
        return sb.ToString();
    }

    /// <summary>Parses a state file; null when it is not one (no pid line).</summary>
    public static GadgetStateFile? Parse(string gadgetName, string text)
    {
        int? pid = null;
        long? start = null;
        var mounts = new List<(string, string)>();
        var created = new List<string>();
        (uint, uint)? service = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) { continue; }
            string key = line[..eq];
            string value = line[(eq + 1)..];
            switch (key)
            {
                case "pid" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p):
                    pid = p;
                    break;
                case "start" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long s):
                    start = s;
                    break;
                case "service" when value.Split(':') is [string u, string g]
                    && uint.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)
                    && uint.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid):
                    service = (uid, gid);
                    break;
                case "created" when value.Length > 0:
                    created.Add(value);
                    break;
                case "mount":
                    int space = value.IndexOf(' ', StringComparison.Ordinal);
                    if (space > 0) { mounts.Add((value[..space], value[(space + 1)..])); }
                    break;
            }
        }
        return pid is int owner ? new GadgetStateFile(gadgetName, owner, start, mounts) { Service = service, CreatedMountPoints = created } : null;
    }
}

/// <summary>Tells from procfs whether a process is alive and is the one that was recorded.</summary>
internal sealed class ProcessTable
{
    private readonly string _procRoot;

    public ProcessTable(string procRoot) => _procRoot = procRoot;

    public static int CurrentProcessId => Environment.ProcessId;

    /// <summary>The start time of <paramref name="pid"/> in clock ticks since boot, or null when the process does not exist.</summary>
    public long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(_procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name in field 2 may hold spaces and parentheses; the fields after the last ')' are plain.
        int close = stat.LastIndexOf(')');
        if (close < 0) { return null; }
        string[] rest = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
        return rest.Length > 19 && long.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start) ? start : null;
    }

    /// <summary>Whether the process that wrote <paramref name="state"/> still runs (same pid and, when recorded, same start time).</summary>
    public bool IsAlive(GadgetStateFile state)
    {
        long? start = StartTime(state.ProcessId);
        return start is not null && (state.ProcessStartTime is null || state.ProcessStartTime == start);
    }
}
