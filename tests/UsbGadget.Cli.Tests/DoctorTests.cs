namespace UsbGadget.Cli.Tests;

/// <summary>usbgadget doctor against fake boards: each problem is one finding with its fix on the next line, and only failures set the exit code.</summary>
public sealed class DoctorTests : IDisposable
{
    private readonly FakeBoard _board = new(udcs: "dummy_udc.0");

    public void Dispose() => _board.Dispose();

    [Fact]
    public void APcWithDummyHcd_IsReady_AndTheReportNamesEachCheck()
    {
        (int exitCode, string output, string error) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Equal(
            $"""
            ok    user         root
            ok    board        no device tree: a PC or a VM (only dummy_hcd gives it a UDC, for tests)
            ok    kernel       6.1.0-27-amd64: FunctionFS v2, MS OS descriptors, ep0 eventfd
            note  kernel       no WebUSB: the configfs webusb group came with Linux 6.3
                               fix: use a 6.3+ kernel to set GadgetDefinition.WebUsb (Raspberry Pi OS ships 6.12)
            ok    configfs     mounted, {_board.Bed.Options.GadgetsPath} present
            ok    module       libcomposite (the gadget framework)
            ok    module       usb_f_fs (FunctionFS)
            ok    udc          dummy_udc.0 (driver unknown): free
            ok    budget       dummy_udc.0: dummy_udc, 24 endpoints: 12 IN (3 of them interrupt only) and 12 OUT, bulk or interrupt, none isochronous
            ready: nothing stands in the way of a gadget

            """,
            output);
    }

    [Fact]
    public void ConfigFsNotMounted_Fails_WithTheMountCommand()
    {
        using var board = new FakeBoard(libCompositeLoaded: false, udcs: "dummy_udc.0");
        board.UnmountConfigFs();
        board.WriteProc("modules", "");

        (int exitCode, string output, _) = board.Run("doctor");

        Assert.Equal(1, exitCode);
        string root = board.Bed.Options.ConfigFsRoot;
        Assert.Contains($"FAIL  configfs     not mounted at {root}\n                   fix: sudo mount -t configfs none {root}\n", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  module       libcomposite (the gadget framework) is not loaded\n                   fix: sudo modprobe libcomposite", output, StringComparison.Ordinal);
        Assert.EndsWith("2 problems to fix before a gadget can run\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigFsWithoutUsbGadget_AndAKernelWithoutTheModule_SaysWhichKernelOptionIsNeeded()
    {
        using var board = new FakeBoard(libCompositeLoaded: false, udcs: "dummy_udc.0");
        board.WriteProc("modules", "");
        board.InstallModules("6.1.0-27-amd64", ["gadget/function/usb_f_fs"]);

        (int exitCode, string output, _) = board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains(
            $"FAIL  module       configfs is mounted but has no {board.Bed.Options.GadgetsPath}: libcomposite (the gadget framework) is not in this kernel and not installed as a module\n"
            + "                   fix: use a kernel built with CONFIG_USB_LIBCOMPOSITE and CONFIG_USB_CONFIGFS (Raspberry Pi OS and Debian kernels have it)\n",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void UsbFfsNotLoaded_FailsWithModprobe()
    {
        _board.WriteProc("filesystems", "nodev\tsysfs\nnodev\tconfigfs\n");
        _board.WriteProc("modules", "libcomposite 90112 0 - Live 0x0\n");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains(
            "FAIL  module       usb_f_fs (FunctionFS, which every UsbGadget function runs on) is not loaded\n"
            + "                   fix: sudo modprobe usb_f_fs (and add 'usb_f_fs' to /etc/modules to load it at every boot)\n",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void UsbFfsBuiltIn_IsOk_ThoughNoInstanceHasRegisteredTheFileSystemYet()
    {
        _board.WriteProc("filesystems", "nodev\tsysfs\nnodev\tconfigfs\n");
        _board.WriteProc("modules", "");
        _board.InstallModules("6.1.0-27-amd64", ["udc/dummy_hcd"], builtIn: ["gadget/libcomposite", "gadget/function/usb_f_fs"]);

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("ok    module       usb_f_fs (FunctionFS, which every UsbGadget function runs on)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void APcWithoutUdc_SaysToLoadDummyHcdForTests()
    {
        using var board = new FakeBoard(udcs: []);
        Directory.Delete(board.Bed.Options.UdcClassPath, recursive: true);
        board.WriteProc("modules", "libcomposite 90112 0 - Live 0x0\n");

        (int exitCode, string output, _) = board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains($"FAIL  udc          no USB device controller (UDC) in {board.Bed.Options.UdcClassPath}: a PC or VM has no USB device port\n"
            + "                   fix: for tests, load the virtual controller: sudo modprobe dummy_hcd (gives dummy_udc.0)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ARaspberryPiWithoutTheDwc2Overlay_SaysWhatToAddToConfigTxtAndCmdlineTxt()
    {
        using var board = new FakeBoard(udcs: []);
        Directory.Delete(board.Bed.Options.UdcClassPath, recursive: true);
        board.SetBoard("Raspberry Pi Zero 2 W Rev 1.0");
        string config = board.WriteBootFile("config.txt", "# comment\ndtparam=audio=on\n#dtoverlay=dwc2\n[cm4]\notg_mode=1\n");
        string cmdline = board.WriteBootFile("cmdline.txt", "console=serial0,115200 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait\n");

        (int exitCode, string output, _) = board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains("ok    board        Raspberry Pi Zero 2 W Rev 1.0\n", output, StringComparison.Ordinal);
        Assert.Contains($"FAIL  boot         {config} has no dtoverlay=dwc2: the USB port stays a host port\n"
            + $"                   fix: add 'dtoverlay=dwc2,dr_mode=peripheral' under [all] at the end of {config} and reboot (or: sudo configfs-scripts/boards/raspberry-pi.sh apply)\n",
            output, StringComparison.Ordinal);
        Assert.Contains($"FAIL  boot         dwc2 is not loaded and {cmdline} does not load it at boot\n", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  udc          no USB device controller (UDC) in ", output, StringComparison.Ordinal);
        Assert.Contains("(the Raspberry Pi's controller is dwc2, which is not loaded)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ARaspberryPiWithTheOverlayInHostMode_SaysToMakeItPeripheral()
    {
        _board.SetBoard("Raspberry Pi 4 Model B Rev 1.5");
        string config = _board.WriteBootFile("config.txt", "[all]\ndtoverlay=dwc2,dr_mode=host\n");
        _board.WriteProc("modules", "dwc2 200000 0 - Live 0x0\nlibcomposite 1 0 - Live 0x0\n");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains($"FAIL  boot         {config} has 'dtoverlay=dwc2,dr_mode=host': the port is forced into host mode\n"
            + "                   fix: change that line to 'dtoverlay=dwc2,dr_mode=peripheral' and reboot\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("cmdline.txt", output, StringComparison.Ordinal); // dwc2 is loaded: no modules-load needed
    }

    [Fact]
    public void ABoardWhoseControllersAreAllInHostMode_SaysToSetDrModeInTheDeviceTree()
    {
        _board.SetBoard("Acme SBC");
        _board.SetDualRoleMode("soc/usb@ff400000", "host");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL  device tree  every dual-role USB controller is in host mode (dr_mode: soc/usb@ff400000 host)\n"
            + "                   fix: set dr_mode = \"peripheral\" (or \"otg\") on the device port's controller with a device-tree overlay, then reboot\n",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void AControllerInPeripheralMode_IsOk()
    {
        _board.SetBoard("BeagleBone Black");
        _board.SetDualRoleMode("ocp/usb@47400000/usb@47401000", "peripheral");
        _board.SetDualRoleMode("ocp/usb@47400000/usb@47401800", "host");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("ok    device tree  dr_mode: ocp/usb@47400000/usb@47401000 peripheral, ocp/usb@47400000/usb@47401800 host\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOnlyUdcHeldByAScriptsGadget_FailsWithTheUnbindCommand()
    {
        string gadget = _board.Bed.Fs.AddForeignGadget("other", udc: "dummy_udc.0");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        string unbind = $"echo '' > {Path.Combine(gadget, "UDC")}";
        Assert.Contains("warn  udc          dummy_udc.0 (driver unknown): held by gadget 'other' (no state file: made by a script or another tool)\n"
            + $"                   fix: to free it, unbind that gadget: {unbind}\n", output, StringComparison.Ordinal);
        Assert.Contains($"FAIL  udc          no free UDC: a new gadget cannot bind (dummy_udc.0 busy)\n                   fix: {unbind}\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AUdcHeldByALegacyGadgetDriver_SaysToUnloadIt()
    {
        _board.Bed.Fs.AddUdc("dummy_udc.0", boundFunction: "g_ether");

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains("fix: stop the legacy gadget driver 'g_ether' that holds it: sudo modprobe -r g_ether\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AUdcServingARunningUsbGadgetApp_IsOk()
    {
        _board.AddFunctionFsGadget("bulkloopback", "loopback", udc: "dummy_udc.0");
        _board.AddRunningProcess(4321, startTime: 99, "BulkLoopback");
        _board.Bed.AddStateFile("bulkloopback", 4321, 99);

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("ok    udc          dummy_udc.0 (driver unknown): serving gadget 'bulkloopback' of UsbGadget process 4321 (BulkLoopback), running\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AStaleGadget_FailsWithCleanup_WhetherItHoldsTheUdcOrNot()
    {
        _board.AddFunctionFsGadget("bound", "a", udc: "dummy_udc.0");
        _board.Bed.AddStateFile("bound", 4_000_001, 5);
        _board.AddFunctionFsGadget("unbound", "b");
        _board.Bed.AddStateFile("unbound", 4_000_002, 5);

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL  udc          dummy_udc.0 (driver unknown): held by gadget 'bound', left over from UsbGadget process 4000001, which is gone\n"
            + "                   fix: sudo usbgadget cleanup\n", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  gadget       'unbound' is left over from UsbGadget process 4000002, which is gone; ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("'bound' is left over", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NotRoot_IsAWarningOnly()
    {
        _board.Bed.Fs.EffectiveUserId = 1000;

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("warn  user         effective user id 1000, not root: ", output, StringComparison.Ordinal);
        Assert.EndsWith("ready: nothing stands in the way of a gadget (1 warning)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AKernelBefore516_NotesThatEp0IsPolled()
    {
        _board.KernelRelease = "5.10.110-v7+";

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("ok    kernel       5.10.110-v7+: FunctionFS v2, MS OS descriptors\n", output, StringComparison.Ordinal);
        Assert.Contains("note  kernel       FUNCTIONFS_EVENTFD can panic at teardown before 5.16", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryFindingThatIsNotOk_HasExactlyOneFixLine()
    {
        using var board = new FakeBoard(libCompositeLoaded: false, udcs: []);
        board.UnmountConfigFs();
        board.WriteProc("modules", "");
        board.WriteProc("filesystems", "");
        board.SetBoard("Raspberry Pi 5 Model B Rev 1.0");
        board.WriteBootFile("config.txt", "");
        board.WriteBootFile("cmdline.txt", "rootwait\n");
        board.SetDualRoleMode("axi/usb@200000", "host");
        board.Bed.Fs.EffectiveUserId = 1000;

        IReadOnlyList<Finding> findings = new Doctor(board.System).Run();

        Assert.True(findings.Count(f => f.Severity == Severity.Fail) >= 6, string.Join("\n", findings));
        Assert.All(findings.Where(f => f.Severity != Severity.Ok), f => Assert.False(string.IsNullOrWhiteSpace(f.Fix) || f.Fix.Contains('\n', StringComparison.Ordinal), f.ToString()));
        Assert.All(findings.Where(f => f.Severity == Severity.Ok), f => Assert.Null(f.Fix));
    }

    [Fact]
    public void AScriptsUnboundGadget_AskingForMoreEndpointsThanTheUdcHas_FailsTheBudget_NamingEachFunctionsNeed()
    {
        string path = _board.Bed.Fs.AddForeignGadget("composite");
        Directory.CreateDirectory(Path.Combine(path, "configs", "c.1"));
        foreach (string function in new[] { "acm.a", "acm.b", "acm.c", "acm.d", "acm.e", "acm.f", "mass_storage.disk", "ffs.vendor" })
        {
            _board.Bed.Fs.CreateDirectory(Path.Combine(path, "functions", function));
            _board.Bed.Fs.CreateSymlink(Path.Combine(path, "configs", "c.1", function), Path.Combine(path, "functions", function));
        }

        (int exitCode, string output, _) = _board.Run("doctor");

        Assert.Equal(1, exitCode);
        Assert.Contains(
            "FAIL  budget       gadget 'composite' (c.1) needs more endpoints than dummy_udc.0 (dummy_udc) has: mass_storage.disk finds no bulk IN endpoint left; "
            + "needs: acm.a 3 (bulk IN, bulk OUT, interrupt IN); acm.b 3 (bulk IN, bulk OUT, interrupt IN); acm.c 3 (bulk IN, bulk OUT, interrupt IN); "
            + "acm.d 3 (bulk IN, bulk OUT, interrupt IN); acm.e 3 (bulk IN, bulk OUT, interrupt IN); acm.f 3 (bulk IN, bulk OUT, interrupt IN); "
            + "mass_storage.disk 2 (bulk IN, bulk OUT) (FunctionFS instances not counted: their descriptors are not in configfs)\n"
            + "                   fix: remove a function from configs/c.1 of 'composite' before binding it\n",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownController_GetsANote_NotAFailure()
    {
        using var board = new FakeBoard(udcs: "musb-hdrc.0");

        (int exitCode, string output, _) = board.Run("doctor");

        Assert.Equal(0, exitCode);
        Assert.Contains("note  budget       musb-hdrc.0: its endpoint list is not modelled", output, StringComparison.Ordinal);
    }
}
