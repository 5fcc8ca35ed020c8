using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.ConfigFs;

public sealed class GadgetCreationTests : IDisposable
{
    private readonly GadgetTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public void Create_WritesDeviceAttributesAsKernelHex()
    {
        var definition = GadgetTestBed.SimpleGadget() with
        {
            UsbVersion = 0x0210,
            DeviceVersion = 0x0102,
            DeviceClass = 0xef,
            DeviceSubClass = 0x02,
            DeviceProtocol = 0x01,
            MaxPacketSize0 = 64,
        };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("0x1d6b", _bed.Fs.Read("config/usb_gadget/g1/idVendor"));
        Assert.Equal("0x0104", _bed.Fs.Read("config/usb_gadget/g1/idProduct"));
        Assert.Equal("0x0210", _bed.Fs.Read("config/usb_gadget/g1/bcdUSB"));
        Assert.Equal("0x0102", _bed.Fs.Read("config/usb_gadget/g1/bcdDevice"));
        Assert.Equal("0xef", _bed.Fs.Read("config/usb_gadget/g1/bDeviceClass"));
        Assert.Equal("0x02", _bed.Fs.Read("config/usb_gadget/g1/bDeviceSubClass"));
        Assert.Equal("0x01", _bed.Fs.Read("config/usb_gadget/g1/bDeviceProtocol"));
        Assert.Equal("0x40", _bed.Fs.Read("config/usb_gadget/g1/bMaxPacketSize0"));
    }

    [Fact]
    public void Create_WritesStringsForEveryLanguage()
    {
        var definition = GadgetTestBed.SimpleGadget() with
        {
            Strings = [new GadgetStrings(0x409, "Acme", "Widget", "0001"), new GadgetStrings(0x407, "Acme GmbH", "Ding", null)],
        };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("Acme", _bed.Fs.Read("config/usb_gadget/g1/strings/0x409/manufacturer"));
        Assert.Equal("Widget", _bed.Fs.Read("config/usb_gadget/g1/strings/0x409/product"));
        Assert.Equal("0001", _bed.Fs.Read("config/usb_gadget/g1/strings/0x409/serialnumber"));
        Assert.Equal("Acme GmbH", _bed.Fs.Read("config/usb_gadget/g1/strings/0x407/manufacturer"));
        Assert.Equal("Ding", _bed.Fs.Read("config/usb_gadget/g1/strings/0x407/product"));
        Assert.Equal("", _bed.Fs.Read("config/usb_gadget/g1/strings/0x407/serialnumber"));
    }

    [Fact]
    public void Create_WritesConfigurationAndLinksFunctionsInInterfaceOrder()
    {
        var definition = GadgetTestBed.SimpleGadget() with
        {
            Configurations =
            [
                new ConfigurationDefinition(1)
                {
                    MaxPowerMilliamps = 120,
                    Attributes = 0xc0,
                    Strings = [new ConfigurationString(0x409, "Serial + app")],
                    Functions = ["acm.gs0", "ffs.app"],
                },
            ],
        };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("120", _bed.Fs.Read("config/usb_gadget/g1/configs/c.1/MaxPower"));
        Assert.Equal("0xc0", _bed.Fs.Read("config/usb_gadget/g1/configs/c.1/bmAttributes"));
        Assert.Equal("Serial + app", _bed.Fs.Read("config/usb_gadget/g1/configs/c.1/strings/0x409/configuration"));
        Assert.Equal(Path.Combine(_bed.Fs.GadgetPath("g1"), "functions", "acm.gs0"), _bed.Fs.LinkTarget("config/usb_gadget/g1/configs/c.1/acm.gs0"));
        var links = _bed.Fs.Operations.Where(o => o.StartsWith("symlink", StringComparison.Ordinal)).ToList();
        Assert.Equal(["symlink config/usb_gadget/g1/configs/c.1/acm.gs0", "symlink config/usb_gadget/g1/configs/c.1/ffs.app"], links);
    }

    [Fact]
    public void Create_WritesKernelFunctionAttributes_BinaryReportDescriptorUnchanged()
    {
        byte[] reportDescriptor = Convert.FromHexString("05010906a101050719e029e71500250175019508810295017508810395057501050819012905910295017503910395067508150025650507190029658100c0");
        var definition = new GadgetDefinition("kbd", 0x1d6b, 0x0104)
        {
            Functions =
            [
                FunctionDefinition.Hid("usb0", protocol: 1, subclass: 1, reportLength: 8, reportDescriptor),
                FunctionDefinition.MassStorage("disk", [new MassStorageLun("/var/lib/disk.img") { ReadOnly = true }]),
                FunctionDefinition.SourceSink("ss", bulkBufferLength: 16384),
            ],
            Configurations = [new ConfigurationDefinition(1) { Functions = ["hid.usb0", "mass_storage.disk", "SourceSink.ss"] }],
        };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("1", _bed.Fs.Read("config/usb_gadget/kbd/functions/hid.usb0/protocol"));
        Assert.Equal("1", _bed.Fs.Read("config/usb_gadget/kbd/functions/hid.usb0/subclass"));
        Assert.Equal("8", _bed.Fs.Read("config/usb_gadget/kbd/functions/hid.usb0/report_length"));
        Assert.Equal(reportDescriptor, _bed.Fs.ReadBytes("config/usb_gadget/kbd/functions/hid.usb0/report_desc"));
        Assert.Equal("/var/lib/disk.img", _bed.Fs.Read("config/usb_gadget/kbd/functions/mass_storage.disk/lun.0/file"));
        Assert.Equal("1", _bed.Fs.Read("config/usb_gadget/kbd/functions/mass_storage.disk/lun.0/ro"));
        Assert.Equal("16384", _bed.Fs.Read("config/usb_gadget/kbd/functions/SourceSink.ss/bulk_buflen"));
        // ro must reach the kernel before file: it refuses ro changes while a medium is open.
        var writes = _bed.Fs.Operations.Where(o => o.Contains("/lun.0/", StringComparison.Ordinal)).Select(o => o.Split('=')[0]).ToList();
        Assert.True(writes.IndexOf("write config/usb_gadget/kbd/functions/mass_storage.disk/lun.0/ro") < writes.IndexOf("write config/usb_gadget/kbd/functions/mass_storage.disk/lun.0/file"));
    }

    [Fact]
    public void Create_WithOsDescriptors_WritesUseVendorCodeSignatureAndLinksTheConfiguration()
    {
        var definition = GadgetTestBed.SimpleGadget() with { OsDescriptors = new OsDescriptorSettings(1) { VendorCode = 0xcd } };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("1", _bed.Fs.Read("config/usb_gadget/g1/os_desc/use"));
        Assert.Equal("0xcd", _bed.Fs.Read("config/usb_gadget/g1/os_desc/b_vendor_code"));
        Assert.Equal("MSFT100", _bed.Fs.Read("config/usb_gadget/g1/os_desc/qw_sign"));
        Assert.Equal(Path.Combine(_bed.Fs.GadgetPath("g1"), "configs", "c.1"), _bed.Fs.LinkTarget("config/usb_gadget/g1/os_desc/c.1"));
    }

    [Fact]
    public void Create_WithWebUsb_WritesTheWebUsbGroupAndTurnsItOnLast()
    {
        var definition = GadgetTestBed.SimpleGadget() with { WebUsb = new WebUsbSettings("https://example.com/app") { VendorCode = 0x22 } };

        using ConfigFsGadget gadget = _bed.Manager.Create(definition);

        Assert.Equal("0x0100", _bed.Fs.Read("config/usb_gadget/g1/webusb/bcdVersion"));
        Assert.Equal("0x22", _bed.Fs.Read("config/usb_gadget/g1/webusb/bVendorCode"));
        Assert.Equal("https://example.com/app", _bed.Fs.Read("config/usb_gadget/g1/webusb/landingPage"));
        Assert.Equal("write config/usb_gadget/g1/webusb/use=1", _bed.Fs.Operations.Last(o => o.StartsWith("write", StringComparison.Ordinal)));
    }

    [Fact]
    public void Create_WithWebUsbOnAKernelWithoutIt_FailsSayingSoAndRemovesWhatItMade()
    {
        using var bed = new GadgetTestBed(kernelHasWebUsb: false);
        var definition = GadgetTestBed.SimpleGadget() with { WebUsb = new WebUsbSettings("https://example.com") };

        var e = Assert.Throws<ConfigFsException>(() => bed.Manager.Create(definition));

        Assert.Equal(ConfigFsError.WebUsbNotSupported, e.Error);
        Assert.Contains("no ", e.Message, StringComparison.Ordinal);
        Assert.Contains("webusb", e.Message, StringComparison.Ordinal);
        Assert.Contains("Linux 6.3", e.Message, StringComparison.Ordinal);
        Assert.False(bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.DoesNotContain(bed.Mounter.Table, m => m.FileSystemType == MountEntry.FunctionFsType);
    }

    [Fact]
    public void Create_MountsEachFunctionFsInstanceUnderTheMountRootWithTheOptions()
    {
        using var bed = new GadgetTestBed(options: new ConfigFsOptions { FunctionFsMount = new FunctionFsMountOptions { Uid = 1000, Gid = 1000 } });

        using ConfigFsGadget gadget = bed.Manager.Create(GadgetTestBed.SimpleGadget());

        var mount = Assert.Single(bed.Mounter.Mounts);
        Assert.Equal("app", mount.Instance);
        Assert.Equal(Path.Combine(bed.Options.FunctionFsMountRoot, "app"), mount.MountPoint);
        Assert.Equal("uid=1000,gid=1000", mount.Options.ToMountData());
        Assert.True(Directory.Exists(mount.MountPoint));
        Assert.Equal(mount.MountPoint, gadget.FunctionFsMountPoints["app"]);
    }

    [Fact]
    public void Create_LeavesTheGadgetUnboundUntilBindIsCalled()
    {
        using ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        Assert.Null(gadget.BoundUdc);
        Assert.DoesNotContain(_bed.Fs.Operations, o => o.Contains("/UDC", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_WritesAStateFileNamingThisProcessAndEveryMount()
    {
        using ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        string text = File.ReadAllText(Path.Combine(_bed.Options.StateDirectory, "g1.pid"));
        GadgetStateFile? state = GadgetStateFile.Parse("g1", text);
        Assert.NotNull(state);
        Assert.Equal(Environment.ProcessId, state.ProcessId);
        Assert.Equal([("app", Path.Combine(_bed.Options.FunctionFsMountRoot, "app"))], state.Mounts);
    }

    [Fact]
    public void Create_WithUnknownFunctionType_SaysWhichModuleToLoad()
    {
        var definition = new GadgetDefinition("g1", 0x1d6b, 0x0104) { Functions = [new FunctionDefinition("uac2", "usb0")] };

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(definition));

        Assert.Equal(ConfigFsError.FunctionNotAvailable, e.Error);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("modprobe usb_f_uac2", e.Message, StringComparison.Ordinal);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
    }

    [Fact]
    public void Create_WhenTheFunctionFsNameIsTakenByAnotherGadget_SaysNamesAreSystemWide()
    {
        _bed.Fs.Fail("mkdir", "config/usb_gadget/g1/functions/ffs.app", Errno.EBUSY);

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.FunctionFsInstanceInUse, e.Error);
        Assert.Contains("'app' is already used by another gadget", e.Message, StringComparison.Ordinal);
        Assert.Contains("system-wide", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenTheKernelRejectsAValue_NamesTheFileTheValueAndTheErrno()
    {
        _bed.Fs.Fail("write", "config/usb_gadget/g1/configs/c.1/MaxPower", Errno.ERANGE);

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.AttributeRejected, e.Error);
        Assert.Equal(Errno.ERANGE, e.Errno);
        Assert.Contains("'250'", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPower", e.Message, StringComparison.Ordinal);
        Assert.Contains("ERANGE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenAStepFails_RemovesEverythingItMadeIncludingMountsAndStateFile()
    {
        _bed.Fs.Fail("symlink", "config/usb_gadget/g1/configs/c.1/acm.gs0", Errno.EINVAL);

        Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.False(_bed.Fs.Exists("run/g1.pid"));
    }

    [Fact]
    public void Create_WhenMountFails_RemovesTheGadgetAgain()
    {
        _bed.Mounter.Table.Add(new MountEntry("app", "/elsewhere", MountEntry.FunctionFsType, "rw"));

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.MountFailed, e.Error);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.False(_bed.Fs.Exists("ffs/app"));
    }

    [Fact]
    public void Create_WhenSomethingIsMountedOnTheMountPoint_RefusesToMountOverIt_AndLeavesNothing()
    {
        string mountPoint = Path.Combine(_bed.Options.FunctionFsMountRoot, "app");
        Directory.CreateDirectory(mountPoint);
        _bed.Mounter.Table.Add(new MountEntry("scratch", mountPoint, "tmpfs", "rw"));

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(GadgetTestBed.SimpleGadget()));

        Assert.Equal(ConfigFsError.MountPointInUse, e.Error);
        Assert.Contains($"Cannot mount FunctionFS instance 'app' at {mountPoint}: tmpfs 'scratch' is already mounted there", e.Message, StringComparison.Ordinal);
        Assert.Contains($"umount {mountPoint}", e.Message, StringComparison.Ordinal);
        Assert.Contains("UsbGadget:FunctionFsMountRoot", e.Message, StringComparison.Ordinal);
        Assert.Empty(_bed.Mounter.Mounts);
        Assert.False(_bed.Fs.Exists("config/usb_gadget/g1"));
        Assert.False(_bed.Fs.Exists("run/g1.pid"));
        Assert.True(_bed.Fs.Exists("ffs/app")); // someone else's directory stays
        Assert.Contains(_bed.Logger.Entries, l => l is { EventId: 3017, Level: LogLevel.Information, Message: "Creating gadget 'g1' failed (MountPointInUse); removing what was created" });
    }

    [Fact]
    public void Remove_DeletesTheMountPointDirectoryCreateMade()
    {
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());
        Assert.True(_bed.Fs.Exists("ffs/app"));

        gadget.Remove();

        Assert.False(_bed.Fs.Exists("ffs/app"));
        Assert.False(_bed.Fs.Exists("run/g1.pid"));
    }

    [Fact]
    public void Remove_KeepsAMountPointDirectoryThatExistedBeforeCreate()
    {
        Directory.CreateDirectory(Path.Combine(_bed.Options.FunctionFsMountRoot, "app"));
        ConfigFsGadget gadget = _bed.Manager.Create(GadgetTestBed.SimpleGadget());

        gadget.Remove();

        Assert.True(_bed.Fs.Exists("ffs/app"));
        Assert.DoesNotContain(_bed.Mounter.Table, m => m.IsFunctionFs);
    }

    [Fact]
    public void Create_WithAnInvalidDefinition_ListsEveryProblemBeforeTouchingConfigFs()
    {
        var definition = new GadgetDefinition("g1", 0x1d6b, 0x0104)
        {
            DeviceVersion = 0x010a,
            MaxPacketSize0 = 63,
            Strings = [new GadgetStrings(0x409, "a", "b", "c"), new GadgetStrings(0x407, "a", "b", "c"), new GadgetStrings(0x40c, "a", "b", "c")],
            Configurations = [new ConfigurationDefinition(1) { Attributes = 0x40, Functions = ["ffs.missing"] }],
            OsDescriptors = new OsDescriptorSettings(2) { Signature = "TOO-LONG-SIGN" },
        };

        var e = Assert.Throws<ConfigFsException>(() => _bed.Manager.Create(definition));

        Assert.Equal(ConfigFsError.InvalidDefinition, e.Error);
        Assert.Contains("DeviceVersion 0x010a is not BCD", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPacketSize0 63", e.Message, StringComparison.Ordinal);
        Assert.Contains("at most 2 per gadget", e.Message, StringComparison.Ordinal);
        Assert.Contains("must have bit 7 (0x80) set", e.Message, StringComparison.Ordinal);
        Assert.Contains("links function 'ffs.missing', which is not in Functions", e.Message, StringComparison.Ordinal);
        Assert.Contains("OsDescriptors.ConfigurationNumber 2 names no configuration", e.Message, StringComparison.Ordinal);
        Assert.Contains("1 to 7 ASCII characters", e.Message, StringComparison.Ordinal);
        Assert.Empty(_bed.Fs.Operations);
    }

    [Theory]
    [InlineData((ushort)0x0409, true)]
    [InlineData((ushort)0x0407, true)]
    [InlineData((ushort)0x0000, false)]   // primary language 0
    [InlineData((ushort)0x0009, false)]   // sublanguage 0
    [InlineData((ushort)0x0462, false)]   // reserved primary 0x62-0xfe
    public void Validate_AcceptsLanguageIdsTheKernelAccepts(ushort languageId, bool valid)
    {
        var definition = new GadgetDefinition("g1", 1, 2) { Strings = [new GadgetStrings(languageId, "m", "p", "s")] };

        Assert.Equal(valid, definition.Validate().Count == 0);
    }
}
