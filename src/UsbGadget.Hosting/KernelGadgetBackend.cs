using Microsoft.Extensions.Logging;
using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>The real backend: configfs through <see cref="GadgetManager"/>, FunctionFS through <see cref="FunctionFsFunction"/>.</summary>
internal sealed class KernelGadgetBackend(ILoggerFactory loggerFactory) : IGadgetBackend
{
    private const byte ConfigurationNumber = 1;

    public IPreparedGadget Prepare(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions)
    {
        var configFsOptions = new ConfigFsOptions
        {
            FunctionFsMountRoot = options.FunctionFsMountRoot,
            UdcName = string.IsNullOrEmpty(options.Udc) ? null : options.Udc,
            RemoveStaleGadgets = options.RemoveStaleGadgets,
        };
        var manager = new GadgetManager(configFsOptions, logger: loggerFactory.CreateLogger<GadgetManager>());
        ConfigFsGadget gadget = options.Mode == GadgetMode.Attach
            ? manager.Attach(options.Name)
            : manager.Create(BuildDefinition(options, functions));
        return new PreparedGadget(gadget);
    }

    public IRunningFunction StartFunction(string mountPath, FunctionFsDescriptors descriptors, FunctionFsOptions options, IControlRequestHandler handler)
    {
        FunctionFsFunction function = FunctionFsFunction.Create(
            mountPath, descriptors, options, loggerFactory.CreateLogger("UsbGadget.FunctionFs." + options.Name));
        try
        {
            function.Start(handler);
        }
        catch
        {
            function.Dispose();
            throw;
        }
        return new RunningFunction(function);
    }

    internal static GadgetDefinition BuildDefinition(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions)
    {
        var strings = new List<GadgetStrings>
        {
            new(LanguageIds.EnglishUnitedStates, options.Manufacturer, options.Product, SerialNumberOf(options)),
        };
        foreach ((string language, GadgetStringsOptions s) in options.Languages)
        {
            strings.Add(new GadgetStrings(UsbNumber.ParseUInt16(language), s.Manufacturer, s.Product, s.SerialNumber ?? SerialNumberOf(options)));
        }

        return new GadgetDefinition(options.Name, UsbNumber.ParseUInt16(options.VendorId), UsbNumber.ParseUInt16(options.ProductId))
        {
            UsbVersion = UsbNumber.ParseUInt16(options.UsbVersion),
            DeviceVersion = UsbNumber.ParseUInt16(options.DeviceVersion),
            // Class information comes from each interface; 0xef/2/1 lets several functions (and IADs) share the device.
            DeviceClass = 0xef,
            DeviceSubClass = 0x02,
            DeviceProtocol = 0x01,
            Strings = strings,
            Functions = functions,
            Configurations =
            [
                new ConfigurationDefinition(ConfigurationNumber)
                {
                    MaxPowerMilliamps = (ushort)options.MaxPowerMilliamps,
                    Attributes = (byte)(options.SelfPowered ? 0xc0 : 0x80),
                    Strings = [new ConfigurationString(LanguageIds.EnglishUnitedStates, "Default")],
                    Functions = [.. functions.Select(f => f.DirectoryName)],
                },
            ],
            OsDescriptors = options.MicrosoftOsDescriptors ? new OsDescriptorSettings(ConfigurationNumber) : null,
        };
    }

    private static string SerialNumberOf(UsbGadgetOptions options)
    {
        if (!string.IsNullOrEmpty(options.SerialNumber))
        {
            return options.SerialNumber;
        }
        try
        {
            // Stable per board, and unlike the CPU serial available on every Linux.
            string id = File.ReadAllText("/etc/machine-id").Trim();
            return id.Length >= 16 ? id[..16] : id;
        }
        catch (IOException)
        {
            return "0123456789";
        }
        catch (UnauthorizedAccessException)
        {
            return "0123456789";
        }
    }

    private sealed class PreparedGadget(ConfigFsGadget gadget) : IPreparedGadget
    {
        public string UdcName => gadget.UdcName;

        public string GetMountPath(string functionName) =>
            gadget.FunctionFsMountPoints.TryGetValue(functionName, out string? path)
                ? path
                : throw new InvalidOperationException(
                    $"Gadget '{gadget.Name}' has no FunctionFS function 'ffs.{functionName}'. In Attach mode, create it in the setup script (GADGET_FUNCTIONS=\"{functionName}\").");

        public string ReadFunctionAttribute(string functionDirectoryName, string attribute) => gadget.ReadFunctionAttribute(functionDirectoryName, attribute);

        public void Bind() => gadget.Bind();

        public void Unbind() => gadget.Unbind();

        public void Remove() => gadget.Remove();
    }

    private sealed class RunningFunction(FunctionFsFunction function) : IRunningFunction
    {
        public FunctionFsState State => function.State;

        public event EventHandler<FunctionFsStateChangedEventArgs>? StateChanged
        {
            add => function.StateChanged += value;
            remove => function.StateChanged -= value;
        }

        public OutEndpoint GetOutEndpoint(byte number) => function.GetOutEndpoint(number);

        public InEndpoint GetInEndpoint(byte number) => function.GetInEndpoint(number);

        public ValueTask DisposeAsync() => function.DisposeAsync();
    }
}
