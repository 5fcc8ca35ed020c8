using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsbGadget.ConfigFs;
using UsbGadget.Descriptors;
using UsbGadget.Linux;

namespace UsbGadget.Hosting;

/// <summary>
/// Runs the registered functions as one gadget, in the order the kernel needs: describe every function (validated
/// before anything reaches the kernel), create or attach the configfs gadget and mount FunctionFS, write descriptors
/// and start each ep0 loop, bind the UDC; tell systemd READY=1 once the host has enabled every function. Stopping
/// runs the reverse: unbind, stop the functions' work, close FunctionFS (every AIO buffer back), remove the gadget.
/// </summary>
internal sealed class GadgetHostedService : IHostedService
{
    private readonly UsbGadgetOptions _options;
    private readonly IReadOnlyList<IGadgetFunction> _functions;
    private readonly IGadgetBackend _backend;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly GadgetMetrics _metrics;
    private readonly SystemdNotifier _notifier;
    private readonly UsbGadgetStatus _status;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly string _contentRoot;
    private readonly KernelFunctionsOptions _kernelFunctions;
    private readonly KernelFunctionDevices _devices;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(FunctionRunner Runner, IRunningFunction Running)> _started = [];
    private IPreparedGadget? _gadget;
    private bool _bound;

    public GadgetHostedService(
        IOptions<UsbGadgetOptions> options,
        IEnumerable<IGadgetFunction> functions,
        IGadgetBackend backend,
        ILoggerFactory loggerFactory,
        GadgetMetrics metrics,
        SystemdNotifier notifier,
        UsbGadgetStatus status,
        IHostApplicationLifetime lifetime,
        IHostEnvironment? environment = null,
        IOptions<KernelFunctionsOptions>? kernelFunctions = null,
        KernelFunctionDevices? devices = null)
    {
        _kernelFunctions = kernelFunctions?.Value ?? new KernelFunctionsOptions();
        _devices = devices ?? new KernelFunctionDevices();
        _options = options.Value;
        _functions = [.. functions];
        _backend = backend;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("UsbGadget.Hosting");
        _metrics = metrics;
        _notifier = notifier;
        _status = status;
        _lifetime = lifetime;
        _contentRoot = environment?.ContentRootPath is { Length: > 0 } root ? root : "code only (no content root)";
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Start();
        }
        catch (Exception e) when (IsExpectedStartFailure(e))
        {
            // The message already says what is wrong and what to do; a stack trace would only bury it.
            HostingLog.StartFailed(_logger, _options.Name, e.Message);
            await TeardownAsync().ConfigureAwait(false);
            Environment.ExitCode = GadgetExitCodes.StartFailed;
            _lifetime.StopApplication();
            return;
        }
        catch
        {
            await TeardownAsync().ConfigureAwait(false);
            throw;
        }
        _ = NotifyWhenEnumeratedAsync();
    }

    private void Start()
    {
        List<FunctionDefinition> kernelFunctions = KernelFunctionMap.ToDefinitions(_kernelFunctions);
        if (_functions.Count == 0 && kernelFunctions.Count == 0)
        {
            throw new GadgetStartException(
                "No USB function is registered. Register one with services.AddUsbGadget().AddFunction<MyFunction>(), a kernel function such as .AddSerial(), or in appsettings.json under UsbGadget:KernelFunctions.");
        }
        if (kernelFunctions.Count > 0 && _options.Mode == GadgetMode.Attach)
        {
            throw new GadgetStartException(
                $"Kernel functions ({string.Join(", ", kernelFunctions.Select(f => f.DirectoryName))}) are declared, but in Attach mode the setup script creates the gadget: create them there (usb-gadget.sh GADGET_KERNEL_FUNCTIONS) and remove them from the app's configuration.");
        }
        string[] names = [.. _functions.Select(f => f.Name)];
        string[] instances = FunctionInstanceNames.Resolve(_options, names);
        CheckNames(names, instances);
        if (kernelFunctions.FirstOrDefault(k => names.Contains(k.Instance, StringComparer.Ordinal)) is { } clash)
        {
            throw new GadgetStartException($"A FunctionFS function and the kernel function {clash.DirectoryName} are both named '{clash.Instance}': give each function of the gadget its own name.");
        }
        IReadOnlyList<FunctionDefinition> ordered = KernelFunctionMap.Order(names, instances, kernelFunctions, _kernelFunctions.FunctionOrder);
        HostingLog.Starting(_logger, _options.Name, _options.Mode, ordered.Count, string.Join(", ", ordered.Select(f => f.IsFunctionFs ? f.Instance : f.DirectoryName)));
        HostingLog.Identity(_logger, _options.Name, $"{_options.VendorId.Value:x4}:{_options.ProductId.Value:x4}", _options.Manufacturer, _options.Product, _contentRoot);

        // Describe and encode everything first: a wrongly described function must fail before configfs is touched.
        var descriptors = new FunctionFsDescriptors[_functions.Count];
        for (int i = 0; i < _functions.Count; i++)
        {
            try
            {
                descriptors[i] = FunctionFsDescriptors.Create(_functions[i].Describe());
            }
            catch (DescriptorValidationException e)
            {
                throw new GadgetStartException($"Function '{names[i]}' ({_functions[i].GetType().Name}) is described wrongly: {e.Message}", e);
            }
        }

        _gadget = _backend.Prepare(_options, ordered);
        _devices.Attach(_gadget, kernelFunctions);
        for (int i = 0; i < _functions.Count; i++)
        {
            IGadgetFunction function = _functions[i];
            HostingLog.FunctionInstance(_logger, names[i], instances[i]);
            var runner = new FunctionRunner(function, _options, _loggerFactory.CreateLogger("UsbGadget.Function." + function.Name), _metrics, StopAfterFunctionFailure);
            IRunningFunction running = _backend.StartFunction(_gadget.GetMountPath(instances[i]), descriptors[i], _options.ToFunctionFsOptions(instances[i]), function);
            _started.Add((runner, running));
            runner.Attach(running);
        }

        if (_options.Mode == GadgetMode.Create || _options.BindUdc)
        {
            _gadget.Bind();
            _bound = true;
            _metrics.SetBound(true);
            HostingLog.Bound(_logger, _options.Name, _gadget.UdcName);
            LogDevices(kernelFunctions);
        }
    }

    // Tells the maker where the kernel put each function's device, the first thing they need to use it.
    private void LogDevices(IReadOnlyList<FunctionDefinition> kernelFunctions)
    {
        foreach (FunctionDefinition function in kernelFunctions)
        {
            try
            {
                string? device = function.Type switch
                {
                    "acm" => _devices.GetSerialPortPath(function.Instance),
                    "hid" => _devices.GetHidDevicePath(function.Instance),
                    "ncm" or "ecm" or "rndis" => "network interface " + _devices.GetNetworkInterfaceName(function.Instance),
                    _ => null,
                };
                if (device is not null)
                {
                    KernelFunctionsLog.DeviceFound(_logger, function.DirectoryName, device);
                }
            }
            catch (InvalidOperationException e)
            {
                KernelFunctionsLog.DeviceNotFound(_logger, function.DirectoryName, e.Message);
            }
        }
    }

    private void StopAfterFunctionFailure()
    {
        Environment.ExitCode = GadgetExitCodes.FunctionFailed;
        _lifetime.StopApplication();
    }

    private static void CheckNames(string[] names, string[] instances)
    {
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal))
            {
                throw new GadgetStartException($"Function name '{name}' is empty or contains ':': give each function a name such as 'loopback' (it names the function in logs and settings).");
            }
        }
        if (names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new GadgetStartException($"Two functions are named '{duplicate.Key}': each function of a gadget needs its own Name.");
        }
        for (int i = 0; i < names.Length; i++)
        {
            if (FunctionInstanceNames.Problem(instances[i]) is { } problem)
            {
                throw new GadgetStartException(
                    $"Function '{names[i]}': its FunctionFS instance name '{instances[i]}' {problem} Set UsbGadget:FunctionInstances:{names[i]}.");
            }
        }
        if (instances.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            throw new GadgetStartException($"Two functions would be FunctionFS instance '{shared.Key}': give one another name in UsbGadget:FunctionInstances.");
        }
    }

    private static bool IsExpectedStartFailure(Exception e) =>
        e is GadgetStartException or ConfigFsException or LinuxIOException or DescriptorValidationException or UnauthorizedAccessException;

    private async Task NotifyWhenEnumeratedAsync()
    {
        try
        {
            await Task.WhenAll(_started.Select(s => s.Runner.FirstEnabled)).WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        HostingLog.Enumerated(_logger, _options.Name);
        _status.SetEnumerated();
        _notifier.Notify("READY=1\nSTATUS=Enumerated by the host");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        HostingLog.Stopping(_logger, _options.Name);
        _notifier.Notify("STOPPING=1");
        var stopwatch = Stopwatch.StartNew();
        await TeardownAsync().ConfigureAwait(false);
        HostingLog.Stopped(_logger, _options.Name, stopwatch.ElapsedMilliseconds);
    }

    private async Task TeardownAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_bound)
        {
            // Unbind first: the host sees a disconnect, the kernel completes in-flight transfers with ESHUTDOWN.
            TryStep("unbinding the UDC", () => _gadget!.Unbind());
            _bound = false;
            _metrics.SetBound(false);
        }
        await Task.WhenAll(_started.Select(s => s.Runner.StopAsync(_options.StopTimeout))).ConfigureAwait(false);
        for (int i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].Running.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
            {
                HostingLog.TeardownStepFailed(_logger, $"closing function '{_started[i].Runner.Name}'", e.Message);
            }
        }
        _started.Clear();
        _devices.Detach();
        if (_gadget is not null)
        {
            TryStep("removing the gadget", _gadget.Remove);
            _gadget = null;
        }
    }

    private void TryStep(string step, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or ConfigFsException or GadgetTeardownException)
        {
            HostingLog.TeardownStepFailed(_logger, step, e.Message);
        }
    }
}
