using UsbGadget.Linux;

namespace UsbGadget.Cli.Tests;

/// <summary>usbgadget list and cleanup against the library's configfs simulator and fake mount table.</summary>
public sealed class ListAndCleanupTests : IDisposable
{
    private const int DeadPid = 4_000_001;
    private readonly FakeBoard _board = new(udcs: "dummy_udc.0");

    public void Dispose() => _board.Dispose();

    [Fact]
    public void List_ShowsEachGadgetWithIdsBindingOwnerFunctionsAndConfigurations()
    {
        string mountPoint = _board.AddFunctionFsGadget("app", "loopback", udc: "dummy_udc.0", endpoints: 2);
        _board.AddRunningProcess(4321, startTime: 99, "BulkLoopback");
        _board.Bed.AddStateFile("app", 4321, 99, ("loopback", mountPoint));
        string serial = _board.Bed.Fs.AddForeignGadget("serial");
        _board.Bed.Fs.CreateDirectory(Path.Combine(serial, "functions", "acm.gs0"));
        _board.Bed.Fs.CreateDirectory(Path.Combine(serial, "functions", "ffs.waiting"));

        (int exitCode, string output, string error) = _board.Run("list");

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Equal(
            $"""
            app  1d6b:0105  bound to dummy_udc.0 (configured)  UsbGadget process 4321 (BulkLoopback), running
              function  ffs.loopback  FunctionFS at {mountPoint}, descriptors written, 2 endpoints
              config    c.1: ffs.loopback
            serial  ????:????  unbound  no state file (made by a script, another tool, or an app in Attach mode)
              function  acm.gs0      kernel function
              function  ffs.waiting  FunctionFS, not mounted

            """,
            output);
    }

    [Fact]
    public void List_ShowsAnInstanceMountedBeforeItsDescriptorsAreWritten()
    {
        _board.AddFunctionFsGadget("app", "early", endpoints: 0);

        (_, string output, _) = _board.Run("list");

        Assert.Contains("  function  ffs.early  FunctionFS at ", output, StringComparison.Ordinal);
        Assert.Contains(", no descriptors written yet\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void List_ShowsStaleGadgetsAndLeftoverMounts_AndPointsToCleanup()
    {
        _board.AddFunctionFsGadget("crashed", "a");
        _board.Bed.AddStateFile("crashed", DeadPid, 5);
        string orphanMount = Path.Combine(_board.Bed.Options.FunctionFsMountRoot, "b");
        _board.Bed.Mounter.Table.Add(new ConfigFs.MountEntry("b", orphanMount, ConfigFs.MountEntry.FunctionFsType, "rw"));
        _board.Bed.AddStateFile("gone", DeadPid, 5, ("b", orphanMount));

        (int exitCode, string output, _) = _board.Run("list");

        Assert.Equal(0, exitCode);
        Assert.Contains($"crashed  1d6b:0105  unbound  stale: UsbGadget process {DeadPid} is gone\n", output, StringComparison.Ordinal);
        Assert.Contains($"gone  (no gadget directory; state file only)  stale: UsbGadget process {DeadPid} is gone  FunctionFS still mounted at {orphanMount}\n", output, StringComparison.Ordinal);
        Assert.EndsWith("stale gadgets are listed: remove them with 'sudo usbgadget cleanup'\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void List_WithoutGadgets_SaysSo()
    {
        (int exitCode, string output, _) = _board.Run("list");

        Assert.Equal(0, exitCode);
        Assert.Equal($"no gadgets in {_board.Bed.Options.GadgetsPath}\n", output);
    }

    [Fact]
    public void List_WithoutConfigFs_Exits1_WithTheFixInOneLine()
    {
        using var board = new FakeBoard(libCompositeLoaded: false);
        board.UnmountConfigFs();

        (int exitCode, string output, string error) = board.Run("list");

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        string root = board.Bed.Options.ConfigFsRoot;
        Assert.Equal($"usbgadget list: configfs is not mounted at {root}; fix: sudo mount -t configfs none {root}\n", error);
    }

    [Fact]
    public void List_WithConfigFsButNoLibComposite_SaysToLoadIt()
    {
        using var board = new FakeBoard(libCompositeLoaded: false);

        (int exitCode, _, string error) = board.Run("list");

        Assert.Equal(1, exitCode);
        Assert.EndsWith("the gadget framework is not loaded; fix: sudo modprobe libcomposite\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cleanup_RemovesAStaleGadgetAndItsMount_AndLeavesALiveOneAndAForeignOne()
    {
        // endpoints: -1 leaves the mount point empty, as it is once unmounted.
        string staleMount = _board.AddFunctionFsGadget("crashed", "a", endpoints: -1);
        _board.Bed.AddStateFile("crashed", DeadPid, 5, ("a", staleMount));
        string liveMount = _board.AddFunctionFsGadget("live", "b", udc: "dummy_udc.0");
        _board.AddRunningProcess(4321, startTime: 99, "MyGadget");
        _board.Bed.AddStateFile("live", 4321, 99, ("b", liveMount));
        _board.Bed.Fs.AddForeignGadget("scripted");

        (int exitCode, string output, string error) = _board.Run("cleanup");

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Equal(
            $"""
            removed 'crashed' of UsbGadget process {DeadPid}, which is gone ({_board.Bed.Fs.GadgetPath("crashed")}, {staleMount})
            left alone: 'live' (UsbGadget process 4321 (MyGadget), running)
            left alone: 'scripted' (no state file, so not known to be stale; if nothing serves it: sudo GADGET_NAME=scripted configfs-scripts/usb-gadget.sh teardown)

            """,
            output);
        Assert.False(_board.Bed.Fs.Exists("config/usb_gadget/crashed"));
        Assert.Equal([staleMount], _board.Bed.Mounter.Unmounts);
        Assert.False(_board.Bed.Fs.Exists("run/crashed.pid"));
        Assert.False(Directory.Exists(staleMount));
        Assert.True(Directory.Exists(liveMount));
        Assert.True(_board.Bed.Fs.Exists("config/usb_gadget/live"));
        Assert.True(_board.Bed.Fs.Exists("config/usb_gadget/scripted"));
    }

    [Fact]
    public void Cleanup_DryRun_SaysWhatItWouldRemove_AndRemovesNothing()
    {
        string staleMount = _board.AddFunctionFsGadget("crashed", "a");
        _board.Bed.AddStateFile("crashed", DeadPid, 5, ("a", staleMount));
        _board.Bed.Fs.EffectiveUserId = 1000;

        (int exitCode, string output, _) = _board.Run("cleanup", "--dry-run");

        Assert.Equal(0, exitCode);
        Assert.StartsWith($"would remove 'crashed' of UsbGadget process {DeadPid}, which is gone", output, StringComparison.Ordinal);
        Assert.Empty(_board.Bed.Fs.Operations);
        Assert.Empty(_board.Bed.Mounter.Unmounts);
    }

    [Fact]
    public void Cleanup_AsAnotherUser_Exits1_SayingToUseSudo_AndTouchesNothing()
    {
        _board.AddFunctionFsGadget("crashed", "a");
        _board.Bed.AddStateFile("crashed", DeadPid, 5);
        _board.Bed.Fs.EffectiveUserId = 1000;

        (int exitCode, string output, string error) = _board.Run("cleanup");

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("usbgadget cleanup: removing gadgets and unmounting FunctionFS needs root (effective user id 1000); run 'sudo usbgadget cleanup'", error, StringComparison.Ordinal);
        Assert.Empty(_board.Bed.Fs.Operations);
    }

    [Fact]
    public void Cleanup_WhenAStepFails_Exits1_NamingTheStep()
    {
        string staleMount = _board.AddFunctionFsGadget("crashed", "a");
        _board.Bed.AddStateFile("crashed", DeadPid, 5, ("a", staleMount));
        _board.Bed.Mounter.UnmountFaults[staleMount] = Linux.Errno.EPERM;

        (int exitCode, _, string error) = _board.Run("cleanup");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("usbgadget cleanup: removing 'crashed' failed at ", error, StringComparison.Ordinal);
        Assert.Contains($"umount {staleMount} failed with EPERM", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cleanup_WithNothingStale_SaysSo()
    {
        (int exitCode, string output, _) = _board.Run("cleanup");

        Assert.Equal(0, exitCode);
        Assert.Equal("nothing to clean up: no gadget or FunctionFS mount left by a UsbGadget process that is gone\n", output);
    }

    [Theory]
    [InlineData(new[] { "frob" }, "usbgadget: unknown command 'frob'; commands: doctor, list, cleanup (usbgadget --help)\n")]
    [InlineData(new[] { "list", "-v" }, "usbgadget list: takes no arguments, got '-v'\n")]
    [InlineData(new[] { "cleanup", "--force" }, "usbgadget cleanup: unexpected '--force'; the only option is --dry-run\n")]
    public void AWrongCommandLine_Exits2_WithOneLine(string[] args, string expected)
    {
        (int exitCode, string output, string error) = _board.Run(args);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Equal(expected, error);
    }
}
