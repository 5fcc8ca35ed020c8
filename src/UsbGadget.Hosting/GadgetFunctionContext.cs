using Microsoft.Extensions.Logging;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>What a running <see cref="IGadgetFunction"/> works with: its endpoints, a logger, and the bus's suspend state.</summary>
public sealed class GadgetFunctionContext
{
    private readonly IRunningFunction _function;
    private volatile bool _suspended;

    internal GadgetFunctionContext(IRunningFunction function, ILogger logger, int enableCount, bool suspended = false)
    {
        _function = function;
        Logger = logger;
        EnableCount = enableCount;
        _suspended = suspended;
    }

    /// <summary>A logger named after the function.</summary>
    public ILogger Logger { get; }

    /// <summary>How many times the host has enabled the function since the app started (1 the first time).</summary>
    public int EnableCount { get; }

    /// <summary>
    /// Whether the host has suspended the bus (it sleeps, or selectively suspended the device): no transfers happen until
    /// it resumes, and a bus-powered device should draw as little as it can.
    /// </summary>
    public bool IsSuspended => _suspended;

    /// <summary>Raised when the host suspends the bus (FunctionFS SUSPEND), on the ep0 thread: return quickly, never block.</summary>
    public event EventHandler? Suspended;

    /// <summary>Raised when the host resumes the bus (FunctionFS RESUME), on the ep0 thread: return quickly, never block.</summary>
    public event EventHandler? Resumed;

    /// <summary>The OUT endpoint (host to device) with the given endpoint number from the function's descriptors.</summary>
    /// <param name="number">The endpoint number, 1–15.</param>
    public OutEndpoint GetOutEndpoint(byte number) => _function.GetOutEndpoint(number);

    /// <summary>The IN endpoint (device to host) with the given endpoint number from the function's descriptors.</summary>
    /// <param name="number">The endpoint number, 1–15.</param>
    public InEndpoint GetInEndpoint(byte number) => _function.GetInEndpoint(number);

    internal void OnSuspended()
    {
        _suspended = true;
        Suspended?.Invoke(this, EventArgs.Empty);
    }

    internal void OnResumed()
    {
        _suspended = false;
        Resumed?.Invoke(this, EventArgs.Empty);
    }
}
