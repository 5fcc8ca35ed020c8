using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using UsbGadget.ConfigFs;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

[Collection(nameof(Environment.ExitCode))]
public sealed class KernelFunctionsTests : IDisposable
{
    private readonly FakeBackend _backend = new();
    private readonly Mock<IHostApplicationLifetime> _lifetime = new();
    private readonly GadgetMetrics _metrics = new(null);
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly int _exitCode = Environment.ExitCode;
    private readonly string _image = Path.GetTempFileName();

    public KernelFunctionsTests() => _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));

    public void Dispose()
    {
        _metrics.Dispose();
        _loggerFactory.Dispose();
        Environment.ExitCode = _exitCode;
        File.Delete(_image);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings, Action<UsbGadgetBuilder>? add = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        UsbGadgetBuilder gadget = builder.Services.AddUsbGadget();
        add?.Invoke(gadget);
        return builder.Build();
    }

    private static string[] Failures(IHost host)
    {
        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<KernelFunctionsOptions>>().Value);
        return [.. e.Failures];
    }

    private GadgetHostedService CreateService(KernelFunctionsOptions kernel, UsbGadgetOptions? options = null, params IGadgetFunction[] functions) =>
        new(Options.Create(options ?? new UsbGadgetOptions { Name = "g" }), functions, _backend, _loggerFactory, _metrics,
            new SystemdNotifier(NullLogger<SystemdNotifier>.Instance), Status, _lifetime.Object, environment: null, Options.Create(kernel), Devices);

    private UsbGadgetStatus Status { get; } = new();

    private KernelFunctionDevices Devices { get; } = new();

    [Fact]
    public void AppSettings_DeclareEveryKernelFunction_AndEachMapsToItsConfigFsAttributes()
    {
        using IHost host = BuildHost(new()
        {
            ["UsbGadget:KernelFunctions:Serial:0:Name"] = "console",
            ["UsbGadget:KernelFunctions:Network:0:Name"] = "net",
            ["UsbGadget:KernelFunctions:Network:0:Kind"] = "Ncm",
            ["UsbGadget:KernelFunctions:Network:0:HostAddress"] = "02:00:00:00:00:02",
            ["UsbGadget:KernelFunctions:Network:1:Name"] = "winnet",
            ["UsbGadget:KernelFunctions:Network:1:Kind"] = "Rndis",
            ["UsbGadget:KernelFunctions:MassStorage:0:Name"] = "disk",
            ["UsbGadget:KernelFunctions:MassStorage:0:Luns:0:File"] = _image,
            ["UsbGadget:KernelFunctions:MassStorage:0:Luns:0:ReadOnly"] = "true",
            ["UsbGadget:KernelFunctions:MassStorage:0:Luns:1:File"] = _image,
            ["UsbGadget:KernelFunctions:MassStorage:0:Luns:1:Removable"] = "false",
            ["UsbGadget:KernelFunctions:HidDevices:0:Name"] = "keys",
            ["UsbGadget:KernelFunctions:HidDevices:0:ReportDescriptor"] = "05 01 09 06 a1 01 c0",
            ["UsbGadget:KernelFunctions:HidDevices:0:Protocol"] = "1",
            ["UsbGadget:KernelFunctions:HidDevices:0:SubClass"] = "1",
            ["UsbGadget:KernelFunctions:Midi:0:Name"] = "synth",
            ["UsbGadget:KernelFunctions:Midi:0:OutPorts"] = "2",
        });

        List<FunctionDefinition> functions = KernelFunctionMap.ToDefinitions(host.Services.GetRequiredService<IOptions<KernelFunctionsOptions>>().Value);

        Assert.Equal(["acm.console", "ncm.net", "rndis.winnet", "mass_storage.disk", "hid.keys", "midi.synth"], functions.Select(f => f.DirectoryName));
        FunctionDefinition ncm = functions[1];
        Assert.Equal(["host_addr=02:00:00:00:00:02"], ncm.Attributes.Select(a => a.ToString()));
        Assert.Equal([new OsDescriptorInterface("ncm", "WINNCM")], ncm.OsDescriptorInterfaces);
        Assert.Equal([new OsDescriptorInterface("rndis", "RNDIS", "5162001")], functions[2].OsDescriptorInterfaces);
        FunctionDefinition storage = functions[3];
        Assert.Equal(["lun.1"], storage.Directories);
        Assert.Equal(
            ["lun.0/removable=1", "lun.0/cdrom=0", "lun.0/ro=1", "lun.0/nofua=0", $"lun.0/file={_image}",
             "lun.1/removable=0", "lun.1/cdrom=0", "lun.1/ro=0", "lun.1/nofua=0", $"lun.1/file={_image}"],
            storage.Attributes.Select(a => a.ToString()));
        Assert.Equal(["protocol=1", "subclass=1", "report_length=8", "report_desc=0x05010906a101c0"], functions[4].Attributes.Select(a => a.ToString()));
        Assert.Equal(["in_ports=1", "out_ports=2"], functions[5].Attributes.Select(a => a.ToString()));
    }

    [Fact]
    public void CodeDeclaredFunctions_ComeBeforeConfiguredOnes()
    {
        using IHost host = BuildHost(
            new() { ["UsbGadget:KernelFunctions:Serial:0:Name"] = "fromjson" },
            g => g.AddSerial("fromcode").AddNetwork(NetworkKind.Ecm, "eth", n => n.DeviceAddress = "02:00:00:00:00:01"));

        KernelFunctionsOptions options = host.Services.GetRequiredService<IOptions<KernelFunctionsOptions>>().Value;

        Assert.Equal(["fromcode", "fromjson"], options.Serial.Select(s => s.Name));
        Assert.Equal(["acm.fromcode", "acm.fromjson", "ecm.eth"], KernelFunctionMap.ToDefinitions(options).Select(f => f.DirectoryName));
    }

    [Fact]
    public void EveryWrongSetting_GetsItsOwnLine_SayingWhatToDo()
    {
        using IHost host = BuildHost(new()
        {
            ["UsbGadget:KernelFunctions:Network:0:Name"] = "net",
            ["UsbGadget:KernelFunctions:Network:0:HostAddress"] = "02:00:00:00:00",
            ["UsbGadget:KernelFunctions:Network:0:DeviceAddress"] = "01:00:5e:00:00:01",
            ["UsbGadget:KernelFunctions:Network:0:QueueMultiplier"] = "0",
            ["UsbGadget:KernelFunctions:MassStorage:0:Name"] = "disk",
            ["UsbGadget:KernelFunctions:MassStorage:0:Luns:0:File"] = "/nonexistent/disk.img",
            ["UsbGadget:KernelFunctions:MassStorage:1:Name"] = "empty",
            ["UsbGadget:KernelFunctions:HidDevices:0:Name"] = "keys",
            ["UsbGadget:KernelFunctions:HidDevices:0:ReportDescriptor"] = "05 01 0g",
            ["UsbGadget:KernelFunctions:HidDevices:0:ReportLength"] = "0",
            ["UsbGadget:KernelFunctions:Midi:0:Name"] = "keys",
            ["UsbGadget:KernelFunctions:Midi:0:InPorts"] = "17",
        });

        Assert.Equal(
            [
                "KernelFunctions:Network 'net': DeviceAddress '01:00:5e:00:00:01' is a multicast address (the first byte is odd); use a locally administered unicast one such as 02:00:00:00:00:01.",
                "KernelFunctions:Network 'net': HostAddress '02:00:00:00:00' is not a MAC address: write six hex pairs separated by ':', such as 02:00:00:00:00:01.",
                "KernelFunctions:Network 'net': QueueMultiplier 0 is outside 1–255 (qmult is a byte; the kernel's default is 5).",
                "KernelFunctions:MassStorage 'disk' Luns[0]: File '/nonexistent/disk.img' does not exist; create the image first (for example 'truncate -s 64M /nonexistent/disk.img' then 'mkfs.vfat /nonexistent/disk.img').",
                "KernelFunctions:MassStorage 'empty': has 0 LUNs; give 1 to 16, each with the File behind it (Luns: [{ \"File\": \"/srv/usb/disk.img\" }]).",
                "KernelFunctions:HidDevices 'keys': ReportDescriptor has '0g', which is not hex: use the digits 0-9 and a-f, such as \"05 01 09 06\".",
                "KernelFunctions:HidDevices 'keys': ReportLength 0 is outside 1–1024 (it becomes the interrupt endpoints' wMaxPacketSize; a boot keyboard's is 8).",
                "KernelFunctions:Midi 'keys': another kernel function is named 'keys' too; give each function its own Name.",
                "KernelFunctions:Midi 'keys': InPorts 17 is outside 1–16.",
            ],
            Failures(host));
    }

    [Fact]
    public void AnUnreadableValue_IsOneValidationLine_NotAnException()
    {
        using IHost host = BuildHost(new()
        {
            ["UsbGadget:KernelFunctions:Network:0:Name"] = "net",
            ["UsbGadget:KernelFunctions:Network:0:Kind"] = "Wifi",
        });

        string failure = Assert.Single(Failures(host));

        Assert.Contains("UsbGadget:KernelFunctions:Network:0:Kind", failure, StringComparison.Ordinal);
        Assert.Contains("enums by name", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunGadgetAsync_WithAMissingDriveImage_ExitsWith2_BeforeTouchingConfigFs()
    {
        using IHost host = BuildHost(
            new() { ["UsbGadget:KernelFunctions:MassStorage:0:Luns:0:File"] = "/nonexistent/disk.img" },
            g => g.Services.AddSingleton<IGadgetBackend>(_backend));
        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        int exitCode;
        try
        {
            exitCode = await host.RunGadgetAsync();
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(2, exitCode);
        Assert.Contains("  KernelFunctions:MassStorage 'storage' Luns[0]: File '/nonexistent/disk.img' does not exist", stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(_backend.Steps);
    }

    [Fact]
    public async Task KernelFunctionsAlone_MakeAGadget_BoundWithoutAnyFunctionFsFunction()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        _backend.Attributes["acm.console/port_num"] = "2\n";
        GadgetHostedService service = CreateService(kernel);

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(["prepare g [acm.console]", "bind"], _backend.Steps);
        Assert.Equal("/dev/ttyGS2", Devices.GetSerialPortPath("console"));
        Assert.Contains(_logs.Entries, e => e.Id.Id == 4151 && e.Message == "Kernel function 'acm.console' is /dev/ttyGS2");
    }

    [Fact]
    public async Task FunctionOrder_PlacesKernelAndFunctionFsFunctionsWhereTheMakerSays_TheRestFollow()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        kernel.Network.Add(new NetworkFunctionOptions { Name = "net", Kind = NetworkKind.Rndis });
        kernel.HidDevices.Add(new HidDeviceOptions { Name = "keys", ReportDescriptor = "05 01" });
        kernel.FunctionOrder.AddRange(["net", "vendor"]);
        GadgetHostedService service = CreateService(kernel, null, new RecordingFunction("vendor"), new RecordingFunction("other"));

        await service.StartAsync(CancellationToken.None);

        // FunctionOrder names FunctionFS functions by their Name; their instances are derived from the gadget's name.
        Assert.Equal("prepare g [rndis.net,g-vendor,g-other,acm.console,hid.keys]", _backend.Steps[0]);
    }

    [Fact]
    public async Task FunctionOrder_NamingNoFunction_FailsWithTheNames_AndPreparesNothing()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        kernel.FunctionOrder.Add("consol");
        GadgetHostedService service = CreateService(kernel, null, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        Assert.Empty(_backend.Steps);
        Assert.Equal(
            "Gadget 'g' could not start: KernelFunctions:FunctionOrder names 'consol', but the gadget has no function of that name; its functions are: vendor, console.",
            Assert.Single(_logs.Entries, e => e.Id.Id == 4010).Message);
    }

    [Fact]
    public async Task AKernelFunctionNamedLikeAFunctionFsFunction_FailsBeforeConfigFs()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "vendor" });
        GadgetHostedService service = CreateService(kernel, null, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        Assert.Empty(_backend.Steps);
        Assert.Contains("both named 'vendor'", Assert.Single(_logs.Entries, e => e.Id.Id == 4010).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttachMode_WithAKernelFunctionTheGadgetLacks_SaysToCreateItInTheSetupStep()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        GadgetHostedService service = CreateService(kernel, new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Attach }, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        Assert.DoesNotContain(_backend.Steps, s => s.StartsWith("start", StringComparison.Ordinal) || s == "bind");
        string message = Assert.Single(_logs.Entries, e => e.Id.Id == 4010).Message;
        Assert.Contains("gadget 'g' has no functions/acm.console: in Attach mode the setup step creates the gadget", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttachMode_WithKernelFunctionsTheSetupStepMade_ServesTheGadget()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        _backend.ExistingFunctions.Add("acm.console");
        GadgetHostedService service = CreateService(kernel, new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Attach }, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        Assert.Contains("bind", _backend.Steps);
        Assert.DoesNotContain(_logs.Entries, e => e.Id.Id == 4010);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Devices_FindTheHidNodeByItsMinor_AndTheNetworkInterfaceOnceBound()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.HidDevices.Add(new HidDeviceOptions { Name = "keys", ReportDescriptor = "05 01" });
        kernel.Network.Add(new NetworkFunctionOptions { Name = "net" });
        _backend.Attributes["hid.keys/dev"] = "239:3\n";
        _backend.Attributes["ncm.net/ifname"] = "usb1\n";
        GadgetHostedService service = CreateService(kernel);
        Assert.Throws<InvalidOperationException>(() => Devices.GetHidDevicePath("keys"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal("/dev/hidg3", Devices.GetHidDevicePath("keys"));
        Assert.Equal("usb1", Devices.GetNetworkInterfaceName("net"));
        InvalidOperationException wrongKind = Assert.Throws<InvalidOperationException>(() => Devices.GetSerialPortPath("keys"));
        Assert.Equal("The gadget has no acm function named 'keys'. Its kernel functions are: ncm.net, hid.keys.", wrongKind.Message);
        await service.StopAsync(CancellationToken.None);
        Assert.Throws<InvalidOperationException>(() => Devices.GetHidDevicePath("keys"));
    }

    [Fact]
    public void BuildDefinition_TurnsOnMsOsDescriptors_SoNcmsCompatibleIdReachesWindows()
    {
        IReadOnlyList<FunctionDefinition> functions = KernelFunctionMap.Order(["vendor"], ["vendor"], [FunctionDefinition.Ncm("net")], []);

        GadgetDefinition definition = KernelGadgetBackend.BuildDefinition(new UsbGadgetOptions { SerialNumber = "1" }, functions);

        Assert.NotNull(definition.OsDescriptors);
        Assert.Equal(["ffs.vendor", "ncm.net"], definition.Configurations[0].Functions);
        Assert.Empty(definition.Validate());
    }

    [Fact]
    public void HexReportDescriptors_AcceptSpacesCommasAnd0xPrefixes()
    {
        Assert.True(KernelFunctionMap.TryParseHex("0x05, 0x01 0906\na1-01", out byte[] bytes, out _));
        Assert.Equal(Convert.FromHexString("05010906a101"), bytes);
        Assert.False(KernelFunctionMap.TryParseHex("051", out _, out string? error));
        Assert.Equal("has '051', which is not whole bytes of hex: write two hex digits per byte, such as \"05 01 09 06\".", error);
    }

    [Fact]
    public async Task KernelFunctionsOnly_ReportEnumerated_OnlyOnceTheUdcSaysTheHostConfiguredTheGadget()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        GadgetHostedService service = CreateService(kernel);

        await service.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.False(Status.IsEnumerated);
        _backend.UdcState = "addressed";
        await Task.Delay(300);
        Assert.False(Status.IsEnumerated);
        _backend.UdcState = "configured";
        await Status.WhenEnumeratedAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Contains(_logs.Entries, e => e.Id.Id == 5301 && e.Message == "Gadget 'g' configured by the host: UDC dummy_udc.0 is 'configured'");
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KernelFunctionsOnly_NotConfiguredInTime_SayWhyInOneLine_AndGoOnWaiting()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        GadgetHostedService service = CreateService(kernel, new UsbGadgetOptions { Name = "g", ConfiguredTimeout = TimeSpan.FromMilliseconds(200) });

        await service.StartAsync(CancellationToken.None);
        for (int i = 0; i < 100 && !_logs.Entries.Any(e => e.Id.Id == 5300); i++)
        {
            await Task.Delay(100);
        }

        LogEntry warning = Assert.Single(_logs.Entries, e => e.Id.Id == 5300);
        Assert.Equal(
            "Gadget 'g' has not been configured by a host within 00:00:00.2000000: UDC dummy_udc.0 is 'not attached'. Plug the board's device (OTG) port into a host, with a data cable; still waiting",
            warning.Message);
        _backend.UdcState = "configured";
        await Status.WhenEnumeratedAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task FunctionFsFunctions_ReachConfigFs_WithTheEndpointsTheirDescriptorsAskFor_ForTheBudgetCheck()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        GadgetHostedService service = CreateService(kernel, null, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        FunctionDefinition vendor = Assert.Single(_backend.PreparedFunctions, f => f.IsFunctionFs);
        Assert.Equal(
            [new EndpointNeed(Descriptors.EndpointDirection.Out, Descriptors.EndpointTransferType.Bulk, 64), new EndpointNeed(Descriptors.EndpointDirection.In, Descriptors.EndpointTransferType.Bulk, 64)],
            vendor.Endpoints);
        Assert.Equal(FunctionDefinition.Acm("console").Endpoints, Assert.Single(_backend.PreparedFunctions, f => !f.IsFunctionFs).Endpoints);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task DescribeTo_WritesTheDescriptorsTheHostWillSee_AndTouchesNothing()
    {
        var kernel = new KernelFunctionsOptions();
        kernel.Serial.Add(new SerialFunctionOptions { Name = "console" });
        string target = Path.GetTempFileName();
        var options = new UsbGadgetOptions { Name = "g", Udc = "dummy_udc.0", SerialNumber = "0123", DescribeTo = target, MicrosoftOsDescriptors = false };
        GadgetHostedService service = CreateService(kernel, options, new RecordingFunction("vendor"));

        await service.StartAsync(CancellationToken.None);

        string text = await File.ReadAllTextAsync(target);
        File.Delete(target);
        Assert.Empty(_backend.Steps);
        _lifetime.Verify(l => l.StopApplication());
        Assert.Equal(ExpectedDescription, text);
    }

    // FunctionFS first (interface 0, its bulk OUT and IN on dummy_udc's ep2out-bulk and ep1in-bulk), then f_acm's IAD,
    // control interface (notification on ep5in-int) and data interface (ep6in-bulk, ep7out-bulk); strings 1-4 the
    // gadget's and configuration's, 5-7 f_acm's (8 reserved by its table's end entry). The same layout, with the
    // sample's strings and a keyboard, is compared with lsusb -v in the VM (EndToEnd Cli/DescribeTests).
    private const string ExpectedDescription = """
        Device Descriptor:
          bLength             18
          bDescriptorType     1
          bcdUSB              2.00
          bDeviceClass        239 Miscellaneous Device
          bDeviceSubClass     2
          bDeviceProtocol     1
          bMaxPacketSize0     64
          idVendor            0x1d6b
          idProduct           0x0104
          bcdDevice           1.00
          iManufacturer       1 UsbGadget
          iProduct            2 UsbGadget device
          iSerial             3 0123
          bNumConfigurations  1
          Configuration Descriptor:
            bLength             9
            bDescriptorType     2
            wTotalLength        0x0062
            bNumInterfaces      3
            bConfigurationValue 1
            iConfiguration      4 Default
            bmAttributes        0x80
              (Bus Powered)
            MaxPower            250mA
            Interface Descriptor:
              bLength             9
              bDescriptorType     4
              bInterfaceNumber    0
              bAlternateSetting   0
              bNumEndpoints       2
              bInterfaceClass     255 Vendor Specific Class
              bInterfaceSubClass  0
              bInterfaceProtocol  0
              iInterface          0
              Endpoint Descriptor:
                bLength             7
                bDescriptorType     5
                bEndpointAddress    0x02  EP 2 OUT
                bmAttributes        2
                  Transfer Type       Bulk
                  Synch Type          None
                  Usage Type          Data
                wMaxPacketSize      0x0200  1x 512 bytes
                bInterval           0
              Endpoint Descriptor:
                bLength             7
                bDescriptorType     5
                bEndpointAddress    0x81  EP 1 IN
                bmAttributes        2
                  Transfer Type       Bulk
                  Synch Type          None
                  Usage Type          Data
                wMaxPacketSize      0x0200  1x 512 bytes
                bInterval           0
            Interface Association:
              bLength             8
              bDescriptorType     11
              bFirstInterface     1
              bInterfaceCount     2
              bFunctionClass      2 Communications
              bFunctionSubClass   2
              bFunctionProtocol   1
              iFunction           7 CDC Serial
            Interface Descriptor:
              bLength             9
              bDescriptorType     4
              bInterfaceNumber    1
              bAlternateSetting   0
              bNumEndpoints       1
              bInterfaceClass     2 Communications
              bInterfaceSubClass  2
              bInterfaceProtocol  1
              iInterface          5 CDC Abstract Control Model (ACM)
              ** class-specific: 05 24 00 10 01
              ** class-specific: 05 24 01 00 02
              ** class-specific: 04 24 02 02
              ** class-specific: 05 24 06 01 02
              Endpoint Descriptor:
                bLength             7
                bDescriptorType     5
                bEndpointAddress    0x85  EP 5 IN
                bmAttributes        3
                  Transfer Type       Interrupt
                  Synch Type          None
                  Usage Type          Data
                wMaxPacketSize      0x000a  1x 10 bytes
                bInterval           9
            Interface Descriptor:
              bLength             9
              bDescriptorType     4
              bInterfaceNumber    2
              bAlternateSetting   0
              bNumEndpoints       2
              bInterfaceClass     10 CDC Data
              bInterfaceSubClass  0
              bInterfaceProtocol  0
              iInterface          6 CDC ACM Data
              Endpoint Descriptor:
                bLength             7
                bDescriptorType     5
                bEndpointAddress    0x86  EP 6 IN
                bmAttributes        2
                  Transfer Type       Bulk
                  Synch Type          None
                  Usage Type          Data
                wMaxPacketSize      0x0200  1x 512 bytes
                bInterval           0
              Endpoint Descriptor:
                bLength             7
                bDescriptorType     5
                bEndpointAddress    0x07  EP 7 OUT
                bmAttributes        2
                  Transfer Type       Bulk
                  Synch Type          None
                  Usage Type          Data
                wMaxPacketSize      0x0200  1x 512 bytes
                bInterval           0
        Strings:
          String              1 UsbGadget
          String              2 UsbGadget device
          String              3 0123
          String              4 Default
          String              5 CDC Abstract Control Model (ACM)
          String              6 CDC ACM Data
          String              7 CDC Serial

        """;
}
