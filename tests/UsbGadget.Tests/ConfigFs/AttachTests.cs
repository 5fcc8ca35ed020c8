using Moq;
using UsbGadget.ConfigFs;

namespace UsbGadget.Tests.ConfigFs;

public sealed class AttachTests : IDisposable
{
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public void Attach_UsesTheMountPointAScriptAlreadyMounted()
    {
        string path = _bed.Fs.AddForeignGadget("scripted");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.app"));
        _bed.Mounter.Table.Add(new MountEntry("app", "/run/usbgadget/ffs/app", MountEntry.FunctionFsType, "rw"));

        using ConfigFsGadget gadget = _bed.Manager.Attach("scripted");

        Assert.True(gadget.IsAttached);
        Assert.Equal("/run/usbgadget/ffs/app", gadget.FunctionFsMountPoints["app"]);
        Assert.Empty(_bed.Mounter.Mounts);
    }

    [Fact]
    public void Attach_MountsAnInstanceNobodyMountedAndUnmountsOnlyThatOnDispose()
    {
        string path = _bed.Fs.AddForeignGadget("scripted");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.app"));
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.other"));
        _bed.Mounter.Table.Add(new MountEntry("other", "/elsewhere/other", MountEntry.FunctionFsType, "rw"));
        ConfigFsGadget gadget = _bed.Manager.Attach("scripted");
        string mine = Path.Combine(_bed.Options.FunctionFsMountRoot, "app");
        Assert.Equal(mine, gadget.FunctionFsMountPoints["app"]);
        _bed.Fs.Operations.Clear();

        gadget.Dispose();

        Assert.Equal([mine], _bed.Mounter.Unmounts);
        Assert.Equal(["umount ffs/app", "rmdir ffs/app"], _bed.Fs.Operations); // the mount point it made goes too
        Assert.True(_bed.Fs.Exists("config/usb_gadget/scripted"));
    }

    [Fact]
    public void Attach_ToAMissingGadget_SaysHowToCreateIt()
    {
        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Attach("nothere"));

        Assert.Equal(ConfigFsError.GadgetNotFound, e.Error);
        Assert.Contains("No gadget named 'nothere'", e.Message, StringComparison.Ordinal);
        Assert.Contains("usb-gadget.sh setup", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attach_PassesTheConfiguredMountOptionsToTheMounter()
    {
        var options = _bed.Options with { FunctionFsMount = new FunctionFsMountOptions { Uid = 1000, FileMode = Convert.ToUInt32("660", 8) } };
        var mounter = new Mock<IFunctionFsMounter>(MockBehavior.Strict);
        mounter.Setup(m => m.ReadMountTable()).Returns([]);
        mounter.Setup(m => m.Mount("app", Path.Combine(options.FunctionFsMountRoot, "app"), options.FunctionFsMount));
        var manager = new GadgetManager(options, mounter.Object, _bed.Fs, _bed.Logger);
        string path = _bed.Fs.AddForeignGadget("scripted");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.app"));

        manager.Attach("scripted");

        mounter.Verify(m => m.Mount("app", Path.Combine(options.FunctionFsMountRoot, "app"), It.Is<FunctionFsMountOptions>(o => o.ToMountData() == "uid=1000,fmode=0660")), Times.Once);
    }
}
