using Microsoft.Extensions.Logging;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>What a running <see cref="IGadgetFunction"/> works with: its endpoints and a logger.</summary>
public sealed class GadgetFunctionContext
{
    private readonly IRunningFunction _function;

    internal GadgetFunctionContext(IRunningFunction function, ILogger logger, int enableCount)
    {
        _function = function;
        Logger = logger;
        EnableCount = enableCount;
    }

    /// <summary>A logger named after the function.</summary>
    public ILogger Logger { get; }

    /// <summary>How many times the host has enabled the function since the app started (1 the first time).</summary>
    public int EnableCount { get; }

    /// <summary>The OUT endpoint (host to device) with the given endpoint number from the function's descriptors.</summary>
    /// <param name="number">The endpoint number, 1–15.</param>
    public OutEndpoint GetOutEndpoint(byte number) => _function.GetOutEndpoint(number);

    /// <summary>The IN endpoint (device to host) with the given endpoint number from the function's descriptors.</summary>
    /// <param name="number">The endpoint number, 1–15.</param>
    public InEndpoint GetInEndpoint(byte number) => _function.GetInEndpoint(number);
}
