using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

public sealed class BindTests : IDisposable
{
    private const string UdcFile = "config/usb_gadget/g1/UDC";
    private readonly GadgetTestBed _bed = new();
    private readonly ConfigFsGadget _gadget;

    public BindTests()
    {
        _gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
    }

    public void Dispose()
    {
        _gadget.Dispose();
        _bed.Dispose();
    }

    [Fact]
    public void Bind_WritesTheUdcName()
    {
        _gadget.Bind();

        Assert.Equal("dummy_udc.0", _bed.Fs.Read(UdcFile));
        Assert.Equal("dummy_udc.0", _gadget.BoundUdc);
    }

    [Fact]
    public void Bind_WhenAlreadyBoundToThatUdc_DoesNothing()
    {
        _gadget.Bind();
        _bed.Fs.Operations.Clear();

        _gadget.Bind();

        Assert.Empty(_bed.Fs.Operations);
    }

    [Fact]
    public void Bind_WithENODEV_SaysAFunctionFsInstanceHasNotWrittenItsDescriptors()
    {
        _bed.Fs.Fail("write", UdcFile, Errno.ENODEV);

        var e = Assert.Throws<ConfigFsException>(() => _gadget.Bind());

        Assert.Equal(ConfigFsError.FunctionFsNotReady, e.Error);
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.Contains("a FunctionFS instance has not written its descriptors yet", e.Message, StringComparison.Ordinal);
        Assert.Contains("instances: app", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_WithENOTSUPP_SaysTheUdcLacksEndpoints()
    {
        _bed.Fs.Fail("write", UdcFile, Errno.ENOTSUPP);

        var e = Assert.Throws<ConfigFsException>(() => _gadget.Bind());

        Assert.Equal(ConfigFsError.UdcLacksEndpoints, e.Error);
        Assert.Equal(Errno.ENOTSUPP, e.Errno);
        Assert.Contains("ENOTSUPP (524)", e.Message, StringComparison.Ordinal);
        Assert.Contains("UDC lacks endpoints", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_WhenAnotherGadgetHoldsTheUdc_NamesThatGadgetWithoutWriting()
    {
        string other = _bed.Fs.AddForeignGadget("leftover", udc: "dummy_udc.0");

        var e = Assert.Throws<ConfigFsException>(() => _gadget.Bind());

        Assert.Equal(ConfigFsError.UdcBusy, e.Error);
        Assert.Contains("UDC 'dummy_udc.0' is busy, bound by gadget 'leftover'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"echo '' > {Path.Combine(other, "UDC")}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_bed.Fs.Operations, o => o.StartsWith("write " + UdcFile, StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_WithEBUSYAndALegacyDriverHoldingTheUdc_NamesTheDriver()
    {
        _bed.Fs.AddUdc("dummy_udc.0", boundFunction: "g_ether");

        var e = Assert.Throws<ConfigFsException>(() => _gadget.Bind());

        Assert.Equal(ConfigFsError.UdcBusy, e.Error);
        Assert.Contains("bound by gadget 'g_ether'", e.Message, StringComparison.Ordinal);
        Assert.Contains("modprobe -r", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_WithEBUSYAndTheUdcFree_PointsAtTheKernelLogForTheRealCause()
    {
        _bed.Fs.Fail("write", UdcFile, Errno.EBUSY);

        var e = Assert.Throws<ConfigFsException>(() => _gadget.Bind());

        Assert.Equal(ConfigFsError.BindFailed, e.Error);
        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.Contains("dmesg", e.Message, StringComparison.Ordinal);
        Assert.Contains("failed to start g1: -19", e.Message, StringComparison.Ordinal);
        Assert.Contains("'-524'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unbind_WritesALoneNewlineSoTheKernelSeesAnEmptyName()
    {
        _gadget.Bind();

        _gadget.Unbind();

        Assert.Equal("write config/usb_gadget/g1/UDC=\n", _bed.Fs.Operations[^1]);
        Assert.Null(_gadget.BoundUdc);
    }

    [Fact]
    public void Unbind_WhenNotBound_WritesNothing()
    {
        _gadget.Unbind();

        Assert.DoesNotContain(_bed.Fs.Operations, o => o.StartsWith("write " + UdcFile, StringComparison.Ordinal));
    }
}
