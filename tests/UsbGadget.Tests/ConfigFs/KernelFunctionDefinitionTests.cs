using UsbGadget.ConfigFs;

namespace UsbGadget.Tests.ConfigFs;

public sealed class KernelFunctionDefinitionTests : IDisposable
{
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private static GadgetDefinition Gadget(params FunctionDefinition[] functions) => new("net", 0x1d6b, 0x0104)
    {
        Functions = functions,
        Configurations = [new ConfigurationDefinition(1) { Functions = [.. functions.Select(f => f.DirectoryName)] }],
        OsDescriptors = new OsDescriptorSettings(1),
    };

    [Fact]
    public void NcmAndRndis_CarryTheCompatibleIdsWindowsNeeds_InTheirOsDescInterfaceGroups()
    {
        using ConfigFsGadget gadget = _bed.Manager.Create(Gadget(
            FunctionDefinition.Ncm("usb0", "02:00:00:00:00:01", "02:00:00:00:00:02", queueMultiplier: 10),
            FunctionDefinition.Rndis("usb1")));

        const string Functions = "config/usb_gadget/net/functions/";
        Assert.Equal("WINNCM", _bed.Fs.Read(Functions + "ncm.usb0/os_desc/interface.ncm/compatible_id"));
        Assert.Equal("", _bed.Fs.Read(Functions + "ncm.usb0/os_desc/interface.ncm/sub_compatible_id"));
        Assert.Equal("RNDIS", _bed.Fs.Read(Functions + "rndis.usb1/os_desc/interface.rndis/compatible_id"));
        Assert.Equal("5162001", _bed.Fs.Read(Functions + "rndis.usb1/os_desc/interface.rndis/sub_compatible_id"));
        Assert.Equal("02:00:00:00:00:01", _bed.Fs.Read(Functions + "ncm.usb0/dev_addr"));
        Assert.Equal("02:00:00:00:00:02", _bed.Fs.Read(Functions + "ncm.usb0/host_addr"));
        Assert.Equal("10", _bed.Fs.Read(Functions + "ncm.usb0/qmult"));
        Assert.Equal("1", _bed.Fs.Read("config/usb_gadget/net/os_desc/use"));
    }

    [Fact]
    public void MassStorageWithThreeLuns_CreatesLun1AndLun2_WritesFlagsBeforeFiles_AndTeardownLeavesNothing()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(Gadget(FunctionDefinition.MassStorage("disk",
        [
            new MassStorageLun("/srv/a.img") { ReadOnly = true },
            new MassStorageLun("/srv/b.img") { Removable = false, InquiryString = "UsbGadgtDisk            0001" },
            new MassStorageLun(null) { CdRom = true },
        ], stall: false)));

        const string Disk = "config/usb_gadget/net/functions/mass_storage.disk/";
        Assert.Equal("0", _bed.Fs.Read(Disk + "stall"));
        Assert.Equal(["/srv/a.img", "1", "1"], [_bed.Fs.Read(Disk + "lun.0/file"), _bed.Fs.Read(Disk + "lun.0/ro"), _bed.Fs.Read(Disk + "lun.0/removable")]);
        Assert.Equal(["/srv/b.img", "0", "0"], [_bed.Fs.Read(Disk + "lun.1/file"), _bed.Fs.Read(Disk + "lun.1/ro"), _bed.Fs.Read(Disk + "lun.1/removable")]);
        Assert.Equal("UsbGadgtDisk            0001", _bed.Fs.Read(Disk + "lun.1/inquiry_string"));
        Assert.Equal("1", _bed.Fs.Read(Disk + "lun.2/cdrom"));
        List<string> lun1 = [.. _bed.Fs.Operations.Where(o => o.Contains("/lun.1/", StringComparison.Ordinal)).Select(o => o.Split('=')[0])];
        Assert.Equal($"write {Disk}lun.1/file", lun1[^1]);

        gadget.Remove();

        Assert.False(_bed.Fs.Exists("config/usb_gadget/net"));
    }

    [Fact]
    public void Midi_WritesOnlyTheSettingsGiven_LeavingTheKernelsDefaults()
    {
        using ConfigFsGadget gadget = _bed.Manager.Create(Gadget(FunctionDefinition.Midi("synth", inPorts: 2, cardId: "Synth")));

        Assert.Equal(
            ["write config/usb_gadget/net/functions/midi.synth/id", "write config/usb_gadget/net/functions/midi.synth/in_ports"],
            _bed.Fs.Operations.Where(o => o.Contains("midi.synth/", StringComparison.Ordinal) && o.StartsWith("write", StringComparison.Ordinal)).Select(o => o.Split('=')[0]));
    }

    [Fact]
    public void ReadFunctionAttribute_GivesTheValueWithoutItsNewline_ForFindingTtyGsAndHidgNodes()
    {
        using ConfigFsGadget gadget = _bed.Manager.Create(Gadget(FunctionDefinition.Acm("console")));
        File.WriteAllText(Path.Combine(_bed.Fs.Root, "config/usb_gadget/net/functions/acm.console/port_num"), "3\n");

        Assert.Equal("3", gadget.ReadFunctionAttribute("acm.console", "port_num"));
        ConfigFsException missing = Assert.Throws<ConfigFsException>(() => gadget.ReadFunctionAttribute("acm.other", "port_num"));
        Assert.Contains("acm.other/port_num", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TOOLONGID", "")]
    [InlineData("", "")]
    [InlineData("RNDIS", "516200100")]
    [InlineData("WINNCMé", "")]
    public void OsDescriptorIds_LongerThanEightAsciiCharacters_AreRefusedBeforeConfigFs(string compatibleId, string subCompatibleId)
    {
        GadgetDefinition definition = Gadget(FunctionDefinition.Ncm("usb0") with { OsDescriptorInterfaces = [new OsDescriptorInterface("ncm", compatibleId, subCompatibleId)] });

        string problem = Assert.Single(definition.Validate());

        Assert.StartsWith("Function 'ncm.usb0': OS descriptor ids", problem, StringComparison.Ordinal);
    }
}
