using Microsoft.Extensions.Logging;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// Runs one <see cref="IGadgetFunction"/> across the host's enable/disable cycles: each ENABLE starts
/// <see cref="IGadgetFunction.RunAsync"/> on the thread pool, each DISABLE (unplug, bus reset, unbind) cancels it, and
/// the next run starts only after the previous one has returned. A run that throws follows
/// <see cref="UsbGadgetOptions.OnFunctionFailure"/>: it is run again after a back-off while the host keeps the function
/// enabled, or the app is stopped, so an interface is never left silently dead.
/// </summary>
internal sealed class FunctionRunner
{
    // The back-off doubles per failure in a row up to this, so a function that fails for good costs little.
    private static readonly TimeSpan s_maxRestartDelay = TimeSpan.FromMinutes(1);

    private readonly IGadgetFunction _function;
    private readonly UsbGadgetOptions _options;
    private readonly ILogger _logger;
    private readonly GadgetMetrics _metrics;
    private readonly Action _stopApplication;
    private readonly object _gate = new();
    private readonly TaskCompletionSource _firstEnable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IRunningFunction? _running;
    private CancellationTokenSource? _runCancellation;
    private GadgetFunctionContext? _context;
    private Task _runTask = Task.CompletedTask;
    private int _enableCount;
    private int _failuresInARow;
    private bool _suspended;
    private bool _stopped;

    /// <param name="function">The user's function.</param>
    /// <param name="options">The failure policy and timeouts.</param>
    /// <param name="logger">The function's logger.</param>
    /// <param name="metrics">Gadget metrics.</param>
    /// <param name="stopApplication">Stops the app with the function-failure exit code.</param>
    public FunctionRunner(IGadgetFunction function, UsbGadgetOptions options, ILogger logger, GadgetMetrics metrics, Action stopApplication)
    {
        _function = function;
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _stopApplication = stopApplication;
    }

    public string Name => _function.Name;

    /// <summary>Completes the first time the host enables the function.</summary>
    public Task FirstEnabled => _firstEnable.Task;

    public void Attach(IRunningFunction running)
    {
        _running = running;
        running.Suspended += OnSuspended;
        running.Resumed += OnResumed;
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

    private void OnSuspended(object? sender, EventArgs e)
    {
        GadgetFunctionContext? context;
        lock (_gate)
        {
            _suspended = true;
            context = _context;
        }
        HostingLog.BusEvent(_logger, Name, "suspended");
        context?.OnSuspended();
    }

    private void OnResumed(object? sender, EventArgs e)
    {
        GadgetFunctionContext? context;
        lock (_gate)
        {
            _suspended = false;
            context = _context;
        }
        HostingLog.BusEvent(_logger, Name, "resumed");
        context?.OnResumed();
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
            // A new enable means the bus is active again, whether or not a RESUME event came first.
            _suspended = false;
            _runCancellation = new CancellationTokenSource();
            _runTask = RunAfterAsync(_runTask, count, _runCancellation.Token);
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

    private async Task RunAfterAsync(Task previous, int enableCount, CancellationToken cancellationToken)
    {
        // Leave the ep0 thread before running user code, and never overlap two runs of the same function.
        await Task.Yield();
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (!cancellationToken.IsCancellationRequested)
        {
            GadgetFunctionContext context;
            lock (_gate)
            {
                context = new GadgetFunctionContext(_running!, _logger, enableCount, _suspended);
                _context = context;
            }
            try
            {
                await _function.RunAsync(context, cancellationToken).ConfigureAwait(false);
                _failuresInARow = 0;
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _failuresInARow = 0;
                return;
            }
            catch (Exception e)
            {
                int failures = ++_failuresInARow;
                _metrics.FunctionFailed(Name);
                HostingLog.FunctionFailureDetails(_logger, Name, e);
                string error = $"{e.GetType().Name}: {e.Message}";
                if (_options.OnFunctionFailure == FunctionFailurePolicy.StopApplication)
                {
                    HostingLog.FunctionFailedStopping(_logger, Name, error, GadgetExitCodes.FunctionFailed, "UsbGadget:OnFunctionFailure is StopApplication");
                    _stopApplication();
                    return;
                }
                if (failures > _options.FunctionRestartLimit)
                {
                    HostingLog.FunctionFailedStopping(_logger, Name, error, GadgetExitCodes.FunctionFailed,
                        $"{failures} failures in a row, more than UsbGadget:FunctionRestartLimit");
                    _stopApplication();
                    return;
                }
                TimeSpan delay = RestartDelay(failures);
                HostingLog.FunctionFailedRestarting(_logger, Name, error, failures, _options.FunctionRestartLimit, delay);
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Disabled or stopping: the next enable runs it again.
                    return;
                }
            }
        }
    }

    private TimeSpan RestartDelay(int failures)
    {
        TimeSpan delay = _options.FunctionRestartDelay;
        for (int i = 1; i < failures && delay < s_maxRestartDelay; i++)
        {
            delay *= 2;
        }
        return delay < s_maxRestartDelay ? delay : s_maxRestartDelay;
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
            _running.Suspended -= OnSuspended;
            _running.Resumed -= OnResumed;
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
