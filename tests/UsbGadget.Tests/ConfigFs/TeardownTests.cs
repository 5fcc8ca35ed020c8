using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

public sealed class TeardownTests : IDisposable
{
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public void Remove_UnbindsUnmountsRemovesTheMountPointUnlinksThenRemovesDirectoriesInReverseOrder()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget() with { OsDescriptors = new OsDescriptorSettings(1) });
        gadget.Bind();
        _bed.Fs.Operations.Clear();

        gadget.Remove();

        Assert.Equal(
            [
                "write config/usb_gadget/g1/UDC=\n",
                "umount ffs/app",
                "rmdir ffs/app",
                "unlink config/usb_gadget/g1/configs/c.1/acm.gs0",
                "unlink config/usb_gadget/g1/configs/c.1/ffs.app",
                "unlink config/usb_gadget/g1/os_desc/c.1",
                "rmdir config/usb_gadget/g1/configs/c.1/strings/0x409",
                "rmdir config/usb_gadget/g1/configs/c.1",
                "rmdir config/usb_gadget/g1/functions/acm.gs0",
                "rmdir config/usb_gadget/g1/functions/ffs.app",
                "rmdir config/usb_gadget/g1/strings/0x409",
                "rmdir config/usb_gadget/g1",
            ],
            _bed.Fs.Operations);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.False(_bed.Fs.Exists("run/g1.pid"));
    }

    [Fact]
    public void Remove_OfAnUnboundGadget_DoesNotWriteTheUdcFile()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
        _bed.Fs.Operations.Clear();

        gadget.Remove();

        Assert.DoesNotContain(_bed.Fs.Operations, o => o.Contains("/UDC", StringComparison.Ordinal));
    }

    [Fact]
    public void Remove_GoesOnPastFailuresAndReportsEachOneAtTheEnd()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
        string mountPoint = gadget.FunctionFsMountPoints["app"];
        _bed.Mounter.UnmountFaults[mountPoint] = Errno.EBUSY;
        _bed.Fs.Fail("rmdir", "config/usb_gadget/g1/functions/acm.gs0", Errno.EBUSY);

        var e = Assert.Throws<GadgetTeardownException>(() => gadget.Remove());

        Assert.Equal("g1", e.GadgetName);
        Assert.Collection(
            e.Failures,
            f => Assert.Equal((GadgetTeardown.StepUnmount, mountPoint), (f.Step, f.Path)),
            f => Assert.Equal((GadgetTeardown.StepRemoveFunction, Path.Combine(_bed.Fs.GadgetPath("g1"), "functions", "acm.gs0")), (f.Step, f.Path)),
            // The function still inside makes the gadget's own rmdir fail too, as configfs would.
            f => Assert.Equal((GadgetTeardown.StepRemoveGadget, _bed.Fs.GadgetPath("g1"), Errno.ENOTEMPTY), (f.Step, f.Path, ((ConfigFsException)f.Exception).Errno)));
        Assert.Contains("3 step(s) failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("rmdir function " + Path.Combine(_bed.Fs.GadgetPath("g1"), "functions", "acm.gs0") + " failed with EBUSY", e.Message, StringComparison.Ordinal);
        Assert.Contains("EBUSY", e.Message, StringComparison.Ordinal);
        // Later steps ran all the same.
        Assert.Contains("rmdir config/usb_gadget/g1/functions/ffs.app", _bed.Fs.Operations);
        Assert.Contains("rmdir config/usb_gadget/g1/strings/0x409", _bed.Fs.Operations);
        Assert.Contains("rmdir config/usb_gadget/g1", _bed.Fs.Operations);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1/functions/ffs.app"));
        // Kept, so that after this process exits the remains count as stale rather than as someone else's gadget.
        Assert.True(_bed.Fs.Exists("run/g1.pid"));
        Assert.Contains(_bed.Logger.Entries, l => l.EventId == 3013);
    }

    [Fact]
    public void Dispose_LogsTeardownFailuresInsteadOfThrowing()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
        _bed.Fs.Fail("rmdir", "config/usb_gadget/g1", Errno.EBUSY);

        gadget.Dispose();

        Assert.Contains(_bed.Logger.Entries, l => l.EventId == 3011 && l.Message.Contains("rmdir gadget", StringComparison.Ordinal));
    }

    [Fact]
    public void Remove_Twice_DoesTheWorkOnce()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
        gadget.Remove();
        _bed.Fs.Operations.Clear();

        gadget.Remove();

        Assert.Empty(_bed.Fs.Operations);
    }

    [Fact]
    public void Remove_RemovesUserMadeGroupsInsideAFunctionBeforeTheFunction()
    {
        var definition = new GadgetDefinition("g1", 0x1d6b, 0x0104)
        {
            Functions = [FunctionDefinition.MassStorage("disk", [new MassStorageLun("/a.img")]) with { Directories = ["lun.1"] }],
            Configurations = [new ConfigurationDefinition(1) { Functions = ["mass_storage.disk"] }],
        };
        ConfigFsGadget gadget = _bed.Manager.Create(definition);
        _bed.Fs.Operations.Clear();

        gadget.Remove();

        int lun1 = _bed.Fs.Operations.IndexOf("rmdir config/usb_gadget/g1/functions/mass_storage.disk/lun.1");
        int function = _bed.Fs.Operations.IndexOf("rmdir config/usb_gadget/g1/functions/mass_storage.disk");
        Assert.InRange(lun1, 0, function - 1);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void Remove_ByName_TearsDownAGadgetAScriptMade()
    {
        string path = _bed.Fs.AddForeignGadget("scripted", udc: "dummy_udc.0");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.script"));
        _bed.Fs.CreateDirectory(Path.Combine(path, "configs", "c.1"));
        _bed.Fs.CreateSymlink(Path.Combine(path, "configs", "c.1", "ffs.script"), Path.Combine(path, "functions", "ffs.script"));
        _bed.Mounter.Table.Add(new MountEntry("script", "/dev/usb-ffs/script", MountEntry.FunctionFsType, "rw"));

        _bed.Manager.Remove("scripted");

        Assert.False(_bed.Fs.Exists("config/usb_gadget/scripted"));
        Assert.Equal(["/dev/usb-ffs/script"], _bed.Mounter.Unmounts);
    }
}
