using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;

namespace UsbGadget.Tests.ConfigFs;

/// <summary>
/// The endpoint budget replays the kernel's usb_ep_autoconfig over each controller's endpoint list. The expectations are
/// worked out by hand from dummy_hcd.c's ep_info and dwc2's ep1in/ep1out…ep7in/ep7out.
/// </summary>
public sealed class EndpointBudgetTests : IDisposable
{
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private static FunctionDefinition Function(string spec)
    {
        string[] parts = spec.Split('.');
        return parts[0] switch
        {
            "acm" => FunctionDefinition.Acm(parts[1]),
            "ncm" => FunctionDefinition.Ncm(parts[1]),
            "ecm" => FunctionDefinition.Ecm(parts[1]),
            "rndis" => FunctionDefinition.Rndis(parts[1]),
            "hid" => FunctionDefinition.Hid(parts[1], 1, 1, 8, new byte[] { 0x05, 0x01 }),
            "mass_storage" => FunctionDefinition.MassStorage(parts[1], [new MassStorageLun("/srv/disk.img")]),
            "midi" => FunctionDefinition.Midi(parts[1]),
            "SourceSink" => FunctionDefinition.SourceSink(parts[1]),
            "Loopback" => FunctionDefinition.Loopback(parts[1]),
            _ => throw new ArgumentException(spec, nameof(spec)),
        };
    }

    public static TheoryData<string, string, string?> Gadgets => new()
    {
        // UDC, functions in link order, the function and endpoint left without one (null: the gadget fits).
        { "dummy_udc.0", "acm.a acm.b acm.c acm.d acm.e acm.f", null },
        { "dummy_udc.0", "acm.a acm.b acm.c acm.d acm.e acm.f acm.g", "acm.g bulk IN" },
        { "dummy_udc.0", "ncm.usb0 acm.gs0 hid.kbd mass_storage.disk acm.gs1", null },
        { "dummy_udc.0", "SourceSink.ss Loopback.lb", null },
        { "fe980000.usb", "ncm.usb0 acm.gs0 hid.kbd mass_storage.disk", null },
        { "fe980000.usb", "ncm.usb0 acm.gs0 hid.kbd mass_storage.disk acm.gs1", "acm.gs1 interrupt IN" },
        { "20980000.usb", "acm.a acm.b acm.c acm.d", "acm.d interrupt IN" },
        { "3f980000.usb", "rndis.usb0 ecm.usb1 midi.m", null },
        // SourceSink takes an isochronous pair as well where the controller has one: dwc2 does, dummy_udc does not.
        // On dwc2 three SourceSinks take six of the seven pairs; a fourth binds without its isochronous pair.
        { "fe980000.usb", "SourceSink.a SourceSink.b SourceSink.c SourceSink.d", null },
        { "fe980000.usb", "SourceSink.a SourceSink.b SourceSink.c Loopback.d Loopback.e", "Loopback.e bulk IN" },
    };

    [Theory]
    [MemberData(nameof(Gadgets))]
    public void Budget_GivesEachFunctionItsEndpoints_InLinkOrder_OrNamesTheFirstOneLeftWithout(string udc, string functions, string? shortfall)
    {
        UdcEndpointBudget budget = UdcEndpointBudget.ForUdc(udc)!;

        EndpointShortfall? result = budget.FindShortfall([.. functions.Split(' ').Select(Function)]);

        Assert.Equal(shortfall, result is null ? null : $"{result.Function.DirectoryName} {result.Need}");
    }

    [Theory]
    [InlineData("dummy_udc.0", "dummy_udc", 24)]
    [InlineData("dummy_udc.3", "dummy_udc", 24)]
    [InlineData("fe980000.usb", "dwc2 (Raspberry Pi)", 14)]
    public void ForUdc_ChoosesTheControllerByTheUdcName(string udc, string model, int endpoints)
    {
        UdcEndpointBudget budget = UdcEndpointBudget.ForUdc(udc)!;

        Assert.Equal((model, endpoints), (budget.Name, budget.Count));
    }

    [Theory]
    [InlineData("musb-hdrc.0")]
    [InlineData("a600000.usb")]
    public void ForUdc_KnowsNoBudget_ForOtherControllers(string udc) => Assert.Null(UdcEndpointBudget.ForUdc(udc));

    [Fact]
    public void DummyUdc_HasNoIsochronousEndpoint_SoAFunctionThatNeedsOneIsRefused()
    {
        FunctionDefinition audio = FunctionDefinition.FunctionFs("audio") with
        {
            Endpoints = [new EndpointNeed(EndpointDirection.In, EndpointTransferType.Isochronous, 192)],
        };

        Assert.Equal(audio.Endpoints[0], UdcEndpointBudget.DummyUdc.FindShortfall([audio])?.Need);
        Assert.Null(UdcEndpointBudget.RaspberryPiDwc2.FindShortfall([audio]));
    }

    [Fact]
    public void Dwc2_TakesHighBandwidth1024BytePackets_ButRefusesLargerOnes()
    {
        // Three 1024-byte transactions per microframe: the packet size is the low 11 bits, the extra transactions above them.
        FunctionDefinition big = FunctionDefinition.FunctionFs("big") with { Endpoints = [EndpointNeed.InterruptIn(1024 | (2 << 11))] };
        FunctionDefinition huge = FunctionDefinition.FunctionFs("huge") with { Endpoints = [new EndpointNeed(EndpointDirection.In, EndpointTransferType.Bulk, 1500)] };

        Assert.Null(UdcEndpointBudget.RaspberryPiDwc2.FindShortfall([big]));
        Assert.NotNull(UdcEndpointBudget.RaspberryPiDwc2.FindShortfall([huge]));
    }

    [Fact]
    public void Create_OverTheBudget_FailsInOneLine_NamingTheUdcItsBudgetAndEachFunctionsNeed_AndTouchesNothing()
    {
        FunctionDefinition[] functions = [.. "acm.a acm.b acm.c acm.d acm.e acm.f ncm.usb0".Split(' ').Select(Function)];
        var definition = new GadgetDefinition("big", 0x1d6b, 0x0104)
        {
            Functions = functions,
            Configurations = [new ConfigurationDefinition(1) { Functions = [.. functions.Select(f => f.DirectoryName)] }],
        };

        ConfigFsException e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(definition));

        Assert.Equal(ConfigFsError.UdcLacksEndpoints, e.Error);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("Gadget 'big' needs more endpoints than UDC 'dummy_udc.0' has: ncm.usb0 finds no bulk IN endpoint left. Budget of dummy_udc: 24 endpoints: 12 IN", e.Message, StringComparison.Ordinal);
        Assert.Contains("Needs: acm.a 3 (bulk IN, bulk OUT, interrupt IN); acm.b 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("ncm.usb0 3 (bulk IN, bulk OUT, interrupt IN).", e.Message, StringComparison.Ordinal);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/big"));
        Assert.DoesNotContain(_bed.Fs.Operations, o => o.StartsWith("mkdir", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_OnAControllerWithoutAKnownBudget_LeavesTheCheckToTheKernel()
    {
        using var bed = new GadgetTestBed(udcs: "musb-hdrc.0");
        FunctionDefinition[] functions = [.. Enumerable.Range(0, 10).Select(i => FunctionDefinition.Acm($"gs{i}"))];
        var definition = new GadgetDefinition("big", 0x1d6b, 0x0104)
        {
            Functions = functions,
            Configurations = [new ConfigurationDefinition(1) { Functions = [.. functions.Select(f => f.DirectoryName)] }],
        };

        using ConfigFsGadget gadget = bed.Manager.Create(definition);

        Assert.True(bed.Fs.Exists("config/usb_gadget/big/functions/acm.gs9"));
    }
}
