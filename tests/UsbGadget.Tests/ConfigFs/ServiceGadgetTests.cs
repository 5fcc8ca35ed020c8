using UsbGadget.ConfigFs;

namespace UsbGadget.Tests.ConfigFs;

/// <summary>
/// A gadget for an unprivileged service: root sets it up (FunctionFS mounted for the user, UDC attribute given to it),
/// the user attaches without root and binds, root tears it down. Proven on the kernel by LeastPrivilegeTests in the VM.
/// </summary>
public sealed class ServiceGadgetTests : IDisposable
{
    private const uint Uid = 990;
    private const uint Gid = 985;
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private string StatePath => Path.Combine(_bed.Options.StateDirectory, "g1.pid");

    [Fact]
    public void SetUp_MountsFunctionFsForTheUser_AndGivesItTheUdcAttribute()
    {
        using ConfigFsGadget gadget = _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid);

        (string instance, string mountPoint, FunctionFsMountOptions options) = Assert.Single(_bed.Mounter.Mounts);
        Assert.Equal("app", instance);
        Assert.Equal(Path.Combine(_bed.Options.FunctionFsMountRoot, "app"), mountPoint);
        Assert.Equal("uid=990,gid=985,rmode=0550,fmode=0660", options.ToMountData());
        Assert.Equal((Uid, Gid), _bed.Fs.Owners[Path.Combine(gadget.Path, "UDC")]);
        Assert.Null(gadget.BoundUdc); // the service binds once its descriptors are written
    }

    [Fact]
    public void SetUp_LeavesTheGadgetInPlace_WhenItsHandleIsDisposed()
    {
        _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid).Dispose();

        Assert.True(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.Empty(_bed.Mounter.Unmounts);
    }

    [Fact]
    public void TheSetUpGadget_IsNeverStale_SoCleanupLeavesItAlone()
    {
        _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid);
        // The setup process has exited; its pid names no process.
        string state = File.ReadAllText(StatePath);
        File.WriteAllText(StatePath, System.Text.RegularExpressions.Regex.Replace(state, "pid=\\d+", "pid=999999"));

        Assert.Empty(_bed.Manager.FindStale());
        Assert.Contains("service=990:985", state, StringComparison.Ordinal);
    }

    [Fact]
    public void SetUpAgain_OrCreateWithTheSameName_SaysTheGadgetBelongsToTheService()
    {
        _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid);

        var again = Assert.Throws<ConfigFsException>(() => _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid));
        var create = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.GadgetOwnedByService, again.Error);
        Assert.Equal(ConfigFsError.GadgetOwnedByService, create.Error);
        Assert.Contains("set up for service user uid 990", create.Message, StringComparison.Ordinal);
        Assert.Contains("--UsbGadget:Mode=Teardown", create.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetUp_NeedsRoot()
    {
        _bed.Fs.EffectiveUserId = Uid;

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid));

        Assert.Equal(ConfigFsError.NotRoot, e.Error);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void TheUnprivilegedService_AttachesToItsGadget_WithoutRootAndWithoutMounting()
    {
        _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid);
        _bed.Fs.EffectiveUserId = Uid;
        int mounts = _bed.Mounter.Mounts.Count;

        using ConfigFsGadget gadget = _bed.Manager.Attach("g1");

        Assert.Equal(Path.Combine(_bed.Options.FunctionFsMountRoot, "app"), gadget.FunctionFsMountPoints["app"]);
        Assert.Equal(mounts, _bed.Mounter.Mounts.Count);
    }

    [Fact]
    public void AnUnprivilegedAttach_ToAGadgetNobodySetUp_SaysToRunTheSetupStep()
    {
        _bed.Fs.EffectiveUserId = Uid;

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Attach("g1"));

        Assert.Equal(ConfigFsError.GadgetNotFound, e.Error);
        Assert.Contains("nothing has set it up for this process (uid 990). Run the setup step as root first", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AnUnprivilegedAttach_ToAnotherUsersGadget_IsNotPermitted_InOneLine()
    {
        string path = _bed.Fs.AddForeignGadget("other");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.theirs"));
        _bed.Mounter.Table.Add(new MountEntry("theirs", "/run/usbgadget/ffs/theirs", MountEntry.FunctionFsType, "rw"));
        _bed.Fs.Inaccessible.Add("/run/usbgadget/ffs/theirs/ep0");
        _bed.Fs.EffectiveUserId = Uid;

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Attach("other"));

        Assert.Equal(ConfigFsError.NotPermitted, e.Error);
        Assert.StartsWith("Gadget 'other' was not set up for this process (uid 990): /run/usbgadget/ffs/theirs/ep0 belongs to another user (EACCES).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnprivilegedAttach_ToAnUnmountedInstance_SaysOnlyTheSetupStepCanMountIt()
    {
        string path = _bed.Fs.AddForeignGadget("scripted");
        _bed.Fs.CreateDirectory(Path.Combine(path, "functions", "ffs.app"));
        _bed.Fs.EffectiveUserId = Uid;

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Attach("scripted"));

        Assert.Equal(ConfigFsError.NotPermitted, e.Error);
        Assert.Contains("is not mounted, and this process (uid 990) may not mount it", e.Message, StringComparison.Ordinal);
        Assert.Empty(_bed.Mounter.Mounts);
    }

    [Fact]
    public void TearDown_RemovesTheGadgetItsMountsItsMountPointsAndItsStateFile()
    {
        _bed.Manager.SetUpForService(GadgetTestBed.SimpleGadget(), Uid, Gid);

        Assert.True(_bed.Manager.TearDownForService("g1"));

        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.Equal([Path.Combine(_bed.Options.FunctionFsMountRoot, "app")], _bed.Mounter.Unmounts);
        Assert.False(Directory.Exists(Path.Combine(_bed.Options.FunctionFsMountRoot, "app")));
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public void TearDown_OfNothing_IsNotAnError()
    {
        Assert.False(_bed.Manager.TearDownForService("g1"));
    }

    [Fact]
    public void TearDown_LeavesAGadgetNoSetupStepMade()
    {
        _bed.Fs.AddForeignGadget("g1");

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.TearDownForService("g1"));

        Assert.Contains("was not made by a setup step", e.Message, StringComparison.Ordinal);
        Assert.True(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void BindingAGadgetWhoseUdcAttributeBelongsToAnotherUser_IsNotPermitted_InOneLine()
    {
        _bed.Fs.AddForeignGadget("other");
        _bed.Fs.Fail("write", "config/usb_gadget/other/UDC", Linux.Errno.EACCES);
        _bed.Fs.EffectiveUserId = Uid;
        using ConfigFsGadget gadget = _bed.Manager.Attach("other");

        var e = Assert.Throws<ConfigFsException>(gadget.Bind);

        Assert.Equal(ConfigFsError.NotPermitted, e.Error);
        Assert.StartsWith("Binding gadget 'other' failed with EACCES: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to another user and this process runs as uid 990", e.Message, StringComparison.Ordinal);
    }
}
