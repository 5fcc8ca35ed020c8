using System.Diagnostics.Metrics;

namespace UsbGadget.Hosting;

/// <summary>
/// The gadget's <see cref="System.Diagnostics.Metrics"/> instruments, under the meter <c>UsbGadget.Hosting</c>
/// (<c>dotnet-counters monitor --counters UsbGadget.Hosting,UsbGadget</c>).
/// </summary>
internal sealed class GadgetMetrics : IDisposable
{
    public const string MeterName = "UsbGadget.Hosting";

    private readonly Meter _meter;
    private readonly Counter<long> _enables;
    private readonly Counter<long> _disables;
    private readonly Counter<long> _failures;
    private int _enabledFunctions;
    private int _bound;

    public GadgetMetrics(IMeterFactory? meterFactory)
    {
        // The generic host registers a meter factory; a bare service collection may not.
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _enables = _meter.CreateCounter<long>("usbgadget.function.enables", description: "Times the host enabled (configured) a function.");
        _disables = _meter.CreateCounter<long>("usbgadget.function.disables", description: "Times a function was disabled: unplug, bus reset, reconfiguration or unbind.");
        _failures = _meter.CreateCounter<long>("usbgadget.function.failures", description: "Times a function's RunAsync ended with an exception.");
        _meter.CreateObservableGauge("usbgadget.functions.enabled", () => Volatile.Read(ref _enabledFunctions), description: "Functions the host has enabled now.");
        _meter.CreateObservableGauge("usbgadget.bound", () => Volatile.Read(ref _bound), description: "1 while the gadget is bound to its UDC.");
    }

    public void FunctionEnabled(string function)
    {
        Interlocked.Increment(ref _enabledFunctions);
        _enables.Add(1, new KeyValuePair<string, object?>("function", function));
    }

    public void FunctionDisabled(string function)
    {
        Interlocked.Decrement(ref _enabledFunctions);
        _disables.Add(1, new KeyValuePair<string, object?>("function", function));
    }

    public void FunctionFailed(string function) => _failures.Add(1, new KeyValuePair<string, object?>("function", function));

    public void SetBound(bool bound) => Volatile.Write(ref _bound, bound ? 1 : 0);

    public void Dispose() => _meter.Dispose();
}
