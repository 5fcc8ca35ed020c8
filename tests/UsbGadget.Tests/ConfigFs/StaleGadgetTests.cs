using UsbGadget.ConfigFs;

namespace UsbGadget.Tests.ConfigFs;

public sealed class StaleGadgetTests : IDisposable
{
    private const int DeadPid = 4_000_001;
    private const int LivePid = 4_000_002;
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private string LeaveGadgetFromCrashedRun(int pid, long? startTime)
    {
        // What a crashed run leaves: the gadget bound, its FunctionFS mounted, the state file naming the dead process.
        string path = _bed.Fs.AddForeignGadget("g1", udc: "dummy_udc.0");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.app"));
        string mountPoint = Path.Combine(_bed.Options.FunctionFsMountRoot, "app");
        _bed.Mounter.Table.Add(new MountEntry("app", mountPoint, MountEntry.FunctionFsType, "rw"));
        _bed.AddStateFile("g1", pid, startTime, ("app", mountPoint));
        _bed.Fs.Operations.Clear();
        return mountPoint;
    }

    [Fact]
    public void Create_OverAGadgetFromACrashedRun_RemovesItFirstAndSaysSo()
    {
        string oldMount = LeaveGadgetFromCrashedRun(DeadPid, startTime: 77);

        using ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        Assert.Equal("write config/usb_gadget/g1/UDC=\n", _bed.Fs.Operations[0]);
        Assert.Contains(oldMount, _bed.Mounter.Unmounts);
        Assert.Contains(_bed.Logger.Entries, l => l.EventId == 3014 && l.Message.Contains($"process {DeadPid}", StringComparison.Ordinal));
        Assert.Equal("0x1d6b", _bed.Fs.Read("config/usb_gadget/g1/idVendor"));
        GadgetStateFile? state = GadgetStateFile.Parse("g1", _bed.Fs.Read("run/g1.pid"));
        Assert.Equal(Environment.ProcessId, state?.ProcessId);
    }

    [Fact]
    public void Create_OverAGadgetWhoseProcessStillRuns_RefusesAndNamesThePid()
    {
        LeaveGadgetFromCrashedRun(LivePid, startTime: 1234);
        _bed.AddRunningProcess(LivePid, startTime: 1234);

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.GadgetOwnedByRunningProcess, e.Error);
        Assert.Contains($"process {LivePid}, which is still running", e.Message, StringComparison.Ordinal);
        Assert.Empty(_bed.Fs.Operations);
    }

    [Fact]
    public void Create_WhileAnotherLiveProcessHoldsTheStateFileButHasNoGadgetYet_Refuses()
    {
        _bed.AddStateFile("g1", LivePid, 1234);
        _bed.AddRunningProcess(LivePid, startTime: 1234);

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.GadgetOwnedByRunningProcess, e.Error);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.Contains($"pid={LivePid}", _bed.Fs.Read("run/g1.pid"), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithThisProcessesOwnLeftoverStateFileAndNoGadget_GoesAhead()
    {
        _bed.AddStateFile("g1", Environment.ProcessId, 1);
        _bed.AddRunningProcess(Environment.ProcessId, startTime: 1);

        using ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        Assert.True(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void Create_WhenThePidWasReusedByAnotherProcess_TreatsTheGadgetAsStale()
    {
        LeaveGadgetFromCrashedRun(LivePid, startTime: 1234);
        _bed.AddRunningProcess(LivePid, startTime: 9999);

        using ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        Assert.Contains(_bed.Logger.Entries, l => l.EventId == 3014);
    }

    [Fact]
    public void Create_OverAGadgetWithoutStateFile_SaysTheNameIsTakenAndHowToProceed()
    {
        _bed.Fs.AddForeignGadget("g1");

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.GadgetNameTaken, e.Error);
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.Contains("was not created by UsbGadget", e.Message, StringComparison.Ordinal);
        Assert.Contains("Attach", e.Message, StringComparison.Ordinal);
        Assert.Contains("choose another name", e.Message, StringComparison.Ordinal);
        Assert.True(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void Create_WithStaleRemovalTurnedOff_SaysExactlyHowToRemoveIt()
    {
        using var bed = new GadgetTestBed(options: new ConfigFsOptions { RemoveStaleGadgets = false });
        bed.Fs.AddForeignGadget("g1");
        bed.AddStateFile("g1", DeadPid, 5);

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.GadgetNameTaken, e.Error);
        Assert.Contains($"left over from UsbGadget process {DeadPid}, which is gone", e.Message, StringComparison.Ordinal);
        Assert.Contains("GadgetManager.RemoveStale(\"g1\")", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindStale_ListsGadgetsOfDeadProcessesWithTheirRemainingMounts()
    {
        string mountPoint = LeaveGadgetFromCrashedRun(DeadPid, startTime: 5);
        _bed.AddStateFile("alive", LivePid, 8);
        _bed.AddRunningProcess(LivePid, 8);

        StaleGadget stale = Assert.Single(_bed.Manager.FindStale());

        Assert.Equal("g1", stale.Name);
        Assert.Equal(DeadPid, stale.OwnerProcessId);
        Assert.Equal(_bed.Fs.GadgetPath("g1"), stale.GadgetPath);
        Assert.Equal([mountPoint], stale.MountPoints);
        Assert.Contains($"umount {mountPoint}", stale.ManualCleanup, StringComparison.Ordinal);
        Assert.Contains("GADGET_NAME=g1 configfs-scripts/usb-gadget.sh teardown", stale.ManualCleanup, StringComparison.Ordinal);
    }

    [Fact]
    public void FindStale_ReportsMountsLeftWhenTheGadgetDirectoryIsAlreadyGone()
    {
        string mountPoint = Path.Combine(_bed.Options.FunctionFsMountRoot, "app");
        _bed.Mounter.Table.Add(new MountEntry("app", mountPoint, MountEntry.FunctionFsType, "rw"));
        _bed.AddStateFile("g1", DeadPid, null, ("app", mountPoint));

        StaleGadget stale = Assert.Single(_bed.Manager.FindStale());

        Assert.Null(stale.GadgetPath);
        Assert.Equal([mountPoint], stale.MountPoints);
    }

    [Fact]
    public void RemoveStale_UnmountsRemovesTheTreeAndTheStateFile()
    {
        string mountPoint = LeaveGadgetFromCrashedRun(DeadPid, startTime: 5);

        _bed.Manager.RemoveStale("g1");

        Assert.Equal([mountPoint], _bed.Mounter.Unmounts);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.False(_bed.Fs.Exists("run/g1.pid"));
        Assert.Empty(_bed.Manager.FindStale());
    }

    [Fact]
    public void StateFile_FormatAndParse_RoundTrip()
    {
        var state = new GadgetStateFile("g1", 42, 123456, [("app", "/run/usbgadget/ffs/app"), ("b", "/mnt/with space")]);

        GadgetStateFile? parsed = GadgetStateFile.Parse("g1", state.Format());

        Assert.NotNull(parsed);
        Assert.Equal(42, parsed.ProcessId);
        Assert.Equal(123456, parsed.ProcessStartTime);
        Assert.Equal(state.Mounts, parsed.Mounts);
        Assert.Equal("pid=42\nstart=123456\ngadget=g1\nmount=app /run/usbgadget/ffs/app\nmount=b /mnt/with space\n", state.Format());
    }

    [Fact]
    public void ProcessTable_ReadsTheStartTimeOfTheRealCurrentProcess()
    {
        var table = new ProcessTable("/proc");

        long? start = table.StartTime(Environment.ProcessId);

        Assert.NotNull(start);
        Assert.True(table.IsAlive(new GadgetStateFile("g", Environment.ProcessId, start, [])));
        Assert.False(table.IsAlive(new GadgetStateFile("g", Environment.ProcessId, start + 1, [])));
    }
}
