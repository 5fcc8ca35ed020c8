using System.Globalization;
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
        ConfigFsOptions configFsOptions = ConfigFsOptionsOf(options);
        GadgetManager manager = Manager(configFsOptions);
        ConfigFsGadget gadget = options.Mode == GadgetMode.Attach
            ? manager.Attach(options.Name)
            : manager.Create(BuildDefinition(options, functions));
        return new PreparedGadget(gadget, configFsOptions.UdcClassPath);
    }

    public void SetUpForService(UsbGadgetOptions options, IReadOnlyList<FunctionDefinition> functions, uint uid, uint gid) =>
        // The gadget stays for the service; the returned handle owns nothing to dispose.
        Manager(ConfigFsOptionsOf(options)).SetUpForService(BuildDefinition(options, functions), uid, gid);

    public bool TearDownForService(UsbGadgetOptions options) => Manager(ConfigFsOptionsOf(options)).TearDownForService(options.Name);

    private GadgetManager Manager(ConfigFsOptions configFsOptions) => new(configFsOptions, logger: loggerFactory.CreateLogger<GadgetManager>());

    private static ConfigFsOptions ConfigFsOptionsOf(UsbGadgetOptions options) => new()
    {
        FunctionFsMountRoot = options.FunctionFsMountRoot,
        UdcName = string.IsNullOrEmpty(options.Udc) ? null : options.Udc,
        RemoveStaleGadgets = options.RemoveStaleGadgets,
    };

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
            strings.Add(new GadgetStrings(UsbId.Parse(language, CultureInfo.InvariantCulture), s.Manufacturer, s.Product, s.SerialNumber ?? SerialNumberOf(options)));
        }

        return new GadgetDefinition(options.Name, options.VendorId, options.ProductId)
        {
            UsbVersion = options.UsbVersion,
            DeviceVersion = options.DeviceVersion,
            DeviceClass = (byte)options.DeviceClass.Value,
            DeviceSubClass = (byte)options.DeviceSubClass.Value,
            DeviceProtocol = (byte)options.DeviceProtocol.Value,
            Strings = strings,
            Functions = functions,
            Configurations =
            [
                new ConfigurationDefinition(ConfigurationNumber)
                {
                    MaxPowerMilliamps = (ushort)options.MaxPowerMilliamps,
                    Attributes = (byte)(options.SelfPowered ? 0xc0 : 0x80),
                    Strings = [new ConfigurationString(LanguageIds.EnglishUnitedStates, options.ConfigurationName)],
                    Functions = [.. functions.Select(f => f.DirectoryName)],
                },
            ],
            OsDescriptors = options.MicrosoftOsDescriptors ? new OsDescriptorSettings(ConfigurationNumber) : null,
            WebUsb = string.IsNullOrEmpty(options.WebUsbLandingPage)
                ? null
                : new WebUsbSettings(options.WebUsbLandingPage) { VendorCode = (byte)options.WebUsbVendorCode.Value },
        };
    }

    internal static string SerialNumberOf(UsbGadgetOptions options)
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

    private sealed class PreparedGadget(ConfigFsGadget gadget, string udcClassPath) : IPreparedGadget
    {
        public string UdcName => gadget.UdcName;

        public string? ReadUdcState()
        {
            try
            {
                return File.ReadAllText(Path.Combine(udcClassPath, gadget.UdcName, "state")).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public bool HasFunction(string directoryName) => Directory.Exists(System.IO.Path.Combine(gadget.Path, "functions", directoryName));

        public string GetMountPath(string instanceName) =>
            gadget.FunctionFsMountPoints.TryGetValue(instanceName, out string? path)
                ? path
                : throw new GadgetStartException(
                    $"Gadget '{gadget.Name}' has no FunctionFS function 'ffs.{instanceName}'. In Attach mode, create it in the setup script (GADGET_FUNCTIONS=\"{instanceName}\") or name the script's instance in UsbGadget:FunctionInstances.");

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

        public event EventHandler? Suspended
        {
            add => function.Suspended += value;
            remove => function.Suspended -= value;
        }

        public event EventHandler? Resumed
        {
            add => function.Resumed += value;
            remove => function.Resumed -= value;
        }

        public OutEndpoint GetOutEndpoint(byte number) => function.GetOutEndpoint(number);

        public InEndpoint GetInEndpoint(byte number) => function.GetInEndpoint(number);

        public ValueTask DisposeAsync() => function.DisposeAsync();
    }
}
