using Microsoft.Extensions.Logging;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// Runs one <see cref="IGadgetFunction"/> across the host's enable/disable cycles: each ENABLE starts
/// <see cref="IGadgetFunction.RunAsync"/> on the thread pool, each DISABLE (unplug, bus reset, unbind) cancels it, and
/// the next run starts only after the previous one has returned.
/// </summary>
internal sealed class FunctionRunner
{
    private readonly IGadgetFunction _function;
    private readonly ILogger _logger;
    private readonly GadgetMetrics _metrics;
    private readonly object _gate = new();
    private readonly TaskCompletionSource _firstEnable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IRunningFunction? _running;
    private CancellationTokenSource? _runCancellation;
    private Task _runTask = Task.CompletedTask;
    private int _enableCount;
    private bool _stopped;

    public FunctionRunner(IGadgetFunction function, ILogger logger, GadgetMetrics metrics)
    {
        _function = function;
        _logger = logger;
        _metrics = metrics;
    }

    public string Name => _function.Name;

    /// <summary>Completes the first time the host enables the function.</summary>
    public Task FirstEnabled => _firstEnable.Task;

    public void Attach(IRunningFunction running)
    {
        _running = running;
        running.StateChanged += OnStateChanged;
        // An ENABLE may have arrived between the ep0 loop starting and this subscription.
        if (running.State == FunctionFsState.Enabled)
        {
            OnStateChanged(running, new FunctionFsStateChangedEventArgs(FunctionFsState.Bound, FunctionFsState.Enabled));
        }
    }

    // Raised on the ep0 thread: only start or cancel here, never wait.
    internal void OnStateChanged(object? sender, FunctionFsStateChangedEventArgs e)
    {
        bool wasEnabled = e.From == FunctionFsState.Enabled;
        bool isEnabled = e.To == FunctionFsState.Enabled;
        if (isEnabled && !wasEnabled)
        {
            Start();
        }
        else if (wasEnabled && !isEnabled)
        {
            Cancel(e.To);
        }
    }

    private void Start()
    {
        lock (_gate)
        {
            if (_stopped || _runCancellation is not null || _running is null)
            {
                return;
            }
            int count = ++_enableCount;
            _runCancellation = new CancellationTokenSource();
            _runTask = RunAfterAsync(_runTask, new GadgetFunctionContext(_running, _logger, count), _runCancellation.Token);
            HostingLog.FunctionEnabled(_logger, Name, count);
            _metrics.FunctionEnabled(Name);
        }
        _firstEnable.TrySetResult();
    }

    private void Cancel(FunctionFsState state)
    {
        CancellationTokenSource? cancellation;
        lock (_gate)
        {
            cancellation = _runCancellation;
            _runCancellation = null;
        }
        if (cancellation is null)
        {
            return;
        }
        HostingLog.FunctionDisabled(_logger, Name, state);
        _metrics.FunctionDisabled(Name);
        cancellation.Cancel();
        cancellation.Dispose();
    }

    private async Task RunAfterAsync(Task previous, GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        // Leave the ep0 thread before running user code, and never overlap two runs of the same function.
        await Task.Yield();
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await _function.RunAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            HostingLog.FunctionFailed(_logger, Name, e);
            _metrics.FunctionFailed(Name);
        }
    }

    /// <summary>Cancels the current run, if any, and waits up to <paramref name="timeout"/> for it to return.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Task task;
        lock (_gate)
        {
            _stopped = true;
            task = _runTask;
        }
        Cancel(FunctionFsState.Disposed);
        if (_running is not null)
        {
            _running.StateChanged -= OnStateChanged;
        }
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            HostingLog.FunctionStopTimedOut(_logger, Name, timeout);
        }
    }
}
