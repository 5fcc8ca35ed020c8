using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.FunctionFsDemo;
using UsbGadget.Linux;

// A bulk loopback gadget on FunctionFS, built only from UsbGadget's Descriptors, ConfigFs and FunctionFs layers.
//   UsbGadget.FunctionFsDemo [--udc NAME] [--name GADGET] [--vid 0x1209] [--pid 0x0001] [--strategy auto|eventfd|blocking] [--verbose]
//                            [--webusb URL] [--ms-os BCD]
// --webusb adds the WebUSB platform capability (configfs webusb group, vendor code 0x42) with URL as landing page;
// --ms-os adds MS OS 1.0 descriptors (WINUSB compatible id + DeviceInterfaceGUID) with BCD (0x0001 or 0x0100) in the
// FunctionFS header, and turns os_desc on for configuration 1.
// Vendor requests (device or interface recipient): IN 0x01 version string; OUT 0x02 store data (<= 256 bytes);
// IN 0x03 return the stored data; OUT 0x10 halts bulk IN; IN 0x11 reports ioctl answers; anything else stalls. Bulk OUT ep 0x01 is looped back to bulk IN ep 0x81.
// Prints "READY <udc>" on stdout once bound; SIGTERM or SIGINT unbinds and removes the gadget.
string? udc = null;
string name = "ffsdemo";
ushort vendorId = 0x1209;
ushort productId = 0x0001;
Ep0WaitStrategy strategy = Ep0WaitStrategy.Auto;
LogLevel level = LogLevel.Information;
string? landingPage = null;
ushort? microsoftOsBcd = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--udc": udc = args[++i]; break;
        case "--name": name = args[++i]; break;
        case "--vid": vendorId = ParseHex(args[++i]); break;
        case "--pid": productId = ParseHex(args[++i]); break;
        case "--strategy":
            strategy = args[++i] switch
            {
                "eventfd" => Ep0WaitStrategy.EventFd,
                "blocking" => Ep0WaitStrategy.BlockingRead,
                _ => Ep0WaitStrategy.Auto,
            };
            break;
        case "--verbose": level = LogLevel.Debug; break;
        case "--webusb": landingPage = args[++i]; break;
        case "--ms-os": microsoftOsBcd = ParseHex(args[++i]); break;
        default:
            Console.Error.WriteLine($"Unknown argument {args[i]}.");
            return 2;
    }
}

var logger = new ConsoleLogger(level);
using var stop = new CancellationTokenSource();
using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

const string Instance = "loop";
var function = new FunctionDescription
{
    Interfaces =
    [
        new InterfaceDescription
        {
            Number = 0,
            Class = UsbClass.VendorSpecific,
            NameIndex = 1,
            Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 1)],
        },
    ],
    Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "UsbGadget FunctionFS loopback"),
    AllControlRecipients = true,
    MicrosoftOsDescriptors = microsoftOsBcd is null ? [] : [MicrosoftOsInterfaceDescriptors.WinUsb(0, new Guid("3c4b1b0e-6a57-4f0e-9a55-2d3b7f7c9a10"))],
};
FunctionFsDescriptors descriptors = FunctionFsDescriptors.Create(
    function, new FunctionFsWriterOptions { MicrosoftOsBcdVersion = microsoftOsBcd ?? FunctionFsWriterOptions.MicrosoftOsBcdVersionLegacy });

var definition = new GadgetDefinition(name, vendorId, productId)
{
    Strings = [new GadgetStrings(LanguageIds.EnglishUnitedStates, "UsbGadget", "FunctionFS demo", "0001")],
    Functions = [FunctionDefinition.FunctionFs(Instance)],
    Configurations = [new ConfigurationDefinition(1) { Functions = [FunctionDefinition.FunctionFs(Instance).DirectoryName] }],
    WebUsb = landingPage is null ? null : new WebUsbSettings(landingPage) { VendorCode = 0x42 },
    OsDescriptors = microsoftOsBcd is null ? null : new OsDescriptorSettings(1),
};

var manager = new GadgetManager(new ConfigFsOptions { UdcName = udc });
ConfigFsGadget gadget;
FunctionFsFunction ffs;
try
{
    gadget = manager.Create(definition);
}
catch (ConfigFsException e)
{
    // What the library says about this kernel (e.g. no WebUSB before 6.3) is the demo's answer: one line, no stack.
    Console.Error.WriteLine($"ERROR {e.Message}");
    return 1;
}

try
{
    ffs = FunctionFsFunction.Create(
        gadget.FunctionFsMountPoints[Instance],
        descriptors,
        new FunctionFsOptions { Name = Instance, Ep0WaitStrategy = strategy },
        logger);
}
catch (LinuxIOException e)
{
    Console.Error.WriteLine($"ERROR {e.Message}");
    gadget.Dispose();
    return 1;
}

using ConfigFsGadget ownedGadget = gadget;
long loopedBytes = 0;
long loopedTransfers = 0;
try
{
    ffs.StateChanged += (_, e) => logger.LogInformation("state {From} -> {To}", e.From, e.To);
    ffs.Start(new DemoControlHandler(() => ffs));
    gadget.Bind();
    Console.Out.WriteLine($"READY {gadget.BoundUdc} strategy={ffs.WaitStrategy}");
    Console.Out.Flush();

    OutEndpoint bulkOut = ffs.GetOutEndpoint(1);
    InEndpoint bulkIn = ffs.GetInEndpoint(1);
    while (!stop.IsCancellationRequested)
    {
        await ffs.WhenEnabledAsync(stop.Token);
        while (!stop.IsCancellationRequested)
        {
            using OutTransfer received = await bulkOut.ReadAsync(stop.Token);
            if (received.Status != EndpointStatus.Ok)
            {
                logger.LogInformation("bulk OUT: {Status} {Error}", received.Status, received.Error);
                if (received.Status == EndpointStatus.Failed)
                {
                    continue;
                }

                break;
            }

            try
            {
                await bulkIn.WriteAsync(received.Data, stop.Token);
            }
            catch (EndpointDisabledException e)
            {
                logger.LogInformation("bulk IN: {Message}", e.Message);
                break;
            }

            loopedBytes += received.Length;
            loopedTransfers++;
        }
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}
finally
{
    logger.LogInformation("stopping after looping {Bytes} bytes in {Transfers} transfers", loopedBytes, loopedTransfers);

    // Reverse order: unbind (the host sees a disconnect), stop the function (every buffer back), then remove the gadget.
    try
    {
        gadget.Unbind();
    }
    catch (ConfigFsException e)
    {
        logger.LogError(e, "unbind failed");
    }

    await ffs.DisposeAsync();
}

gadget.Remove();
Console.Out.WriteLine($"STOPPED looped={loopedBytes.ToString(CultureInfo.InvariantCulture)}");
return 0;

static ushort ParseHex(string text)
    => ushort.Parse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
