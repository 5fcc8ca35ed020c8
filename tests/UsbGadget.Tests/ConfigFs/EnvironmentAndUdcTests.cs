using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

public sealed class EnvironmentAndUdcTests
{
    [Fact]
    public void Create_AsNonRoot_SaysToRunAsRoot()
    {
        using var bed = new GadgetTestBed();
        bed.Fs.EffectiveUserId = 1000;

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.NotRoot, e.Error);
        Assert.Contains("needs root", e.Message, StringComparison.Ordinal);
        Assert.Contains("effective user id 1000", e.Message, StringComparison.Ordinal);
        Assert.Empty(bed.Fs.Operations);
    }

    [Fact]
    public void Create_WithoutConfigFsMounted_GivesTheMountCommand()
    {
        using var bed = new GadgetTestBed(libCompositeLoaded: false);
        bed.Mounter.Table.Clear();

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.ConfigFsNotMounted, e.Error);
        Assert.Contains($"mount -t configfs none {bed.Options.ConfigFsRoot}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithConfigFsMountedButNoUsbGadgetDirectory_SaysModprobeLibComposite()
    {
        using var bed = new GadgetTestBed(libCompositeLoaded: false);

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.LibCompositeNotLoaded, e.Error);
        Assert.Contains("modprobe libcomposite", e.Message, StringComparison.Ordinal);
        Assert.Contains("usb_gadget is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithoutAnyUdc_NamesTheDwc2OverlayAndDummyHcd()
    {
        using var bed = new GadgetTestBed();
        Directory.Delete(Path.Combine(bed.Options.UdcClassPath, "dummy_udc.0"), recursive: true);

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.NoUdc, e.Error);
        Assert.Contains("dtoverlay=dwc2", e.Message, StringComparison.Ordinal);
        Assert.Contains("modprobe dummy_hcd", e.Message, StringComparison.Ordinal);
        Assert.False(bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void SelectUdc_WithExactlyOneUdc_PicksIt()
    {
        using var bed = new GadgetTestBed(udcs: ["fe980000.usb"]);

        Assert.Equal("fe980000.usb", bed.Manager.SelectUdc());
    }

    [Fact]
    public void SelectUdc_WithSeveralUdcsAndNoneChosen_ListsThemAll()
    {
        using var bed = new GadgetTestBed(udcs: ["dummy_udc.0", "dummy_udc.1"]);

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.SelectUdc());

        Assert.Equal(ConfigFsError.UdcAmbiguous, e.Error);
        Assert.Contains("(dummy_udc.0, dummy_udc.1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigFsOptions.UdcName", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectUdc_WithSeveralUdcsAndOneChosen_PicksTheChosenOne()
    {
        using var bed = new GadgetTestBed(options: new ConfigFsOptions { UdcName = "dummy_udc.1" }, udcs: ["dummy_udc.0", "dummy_udc.1"]);

        Assert.Equal("dummy_udc.1", bed.Manager.SelectUdc());
    }

    [Fact]
    public void SelectUdc_WithAChosenUdcThatIsMissing_ListsThePresentOnes()
    {
        using var bed = new GadgetTestBed(options: new ConfigFsOptions { UdcName = "musb-hdrc.0" }, udcs: ["dummy_udc.0"]);

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.SelectUdc());

        Assert.Equal(ConfigFsError.UdcNotFound, e.Error);
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.Contains("'musb-hdrc.0' does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("present: dummy_udc.0", e.Message, StringComparison.Ordinal);
    }
}
