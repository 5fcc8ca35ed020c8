using System.Diagnostics.CodeAnalysis;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Feeds an endpoint's transfers to one user callback, one call at a time, with no task, loop or hand-off between two
/// transfers: the engine behind <see cref="OutEndpoint.ReceiveAsync"/> (reads to a handler) and
/// <see cref="InEndpoint.SendFromAsync"/> (free buffers to a source). The endpoint says what the next transfer is and
/// what a finished call means; the pump owns the rest: which thread calls, a pending call holding the next one back
/// (back-pressure), cancellation, and how the run's task ends.
/// </summary>
/// <remarks>
/// <para>Every member named <c>…Locked</c> runs under the endpoint's lock, and so does all of the pump's state; the
/// callback itself never does. The thread that takes a transfer (a completion, the caller of <see cref="Resume"/>)
/// becomes the one calling, until nothing more is ready.</para>
/// <para>A run ends with the status the endpoint gives (Disabled, Stopped), with <see cref="EndpointStatus.Ok"/> when a
/// call says so, cancelled with its token (after the current call), or faulted with what a call threw.</para>
/// </remarks>
/// <typeparam name="TCallback">The user's callback: a handler, or a source.</typeparam>
/// <typeparam name="TItem">What one call is given: a read, or a buffer to fill.</typeparam>
/// <typeparam name="TResult">What one call returns.</typeparam>
internal abstract class TransferPump<TCallback, TItem, TResult>
    where TCallback : class
{
    private readonly Action _onCallCompleted;
    private TaskCompletionSource<EndpointStatus>? _run;
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private bool _cancelled;
    private bool _calling;

    // The item of a call whose task was pending: the pump resumes with it when the task completes.
    private TItem? _pendingItem;

    protected TransferPump(Lock gate)
    {
        Gate = gate;
        _onCallCompleted = OnCallCompleted;
    }

    /// <summary>The endpoint's lock.</summary>
    protected Lock Gate { get; }

    /// <summary>The running callback; read by the one thread calling it.</summary>
    protected TCallback? Callback { get; private set; }

    /// <summary>Under the lock: the enable cycle the run started in; a run never continues into the next one.</summary>
    public int Cycle { get; private set; }

    /// <summary>Under the lock: whether a run has started and not ended.</summary>
    public bool IsRunningLocked => _run is not null;

    /// <summary>Under the lock: whether a thread is calling the callback now, or a call's task is pending.</summary>
    public bool IsCallingLocked => _calling;

    /// <summary>
    /// Starts a run of <paramref name="callback"/>: the public ReceiveAsync or SendFromAsync. Takes what is ready at
    /// once, on this thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The endpoint serves another reader or writer (<see cref="ThrowIfBusyLocked"/>).</exception>
    public Task<EndpointStatus> Start(TCallback callback, CancellationToken cancellationToken)
    {
        var run = new TaskCompletionSource<EndpointStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            // Under the lock ENABLE takes: a run that a DISABLE cancelled never takes the next cycle's transfers.
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<EndpointStatus>(cancellationToken);
            }

            ThrowIfBusyLocked();
            (_run, _token, _cancelled, Callback, Cycle) = (run, cancellationToken, false, callback, CurrentCycleLocked);
        }

        // Registered out of the lock: a token cancelled meanwhile runs the callback at once, and it takes the lock.
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static (state, token) => ((TransferPump<TCallback, TItem, TResult>)state!).Cancel(token), this);
        bool ended;
        lock (Gate)
        {
            ended = !ReferenceEquals(_run, run);
            if (!ended)
            {
                _registration = registration;
            }
        }

        if (ended)
        {
            registration.Unregister();
        }

        Resume();
        return run.Task;
    }

    /// <summary>Out of the lock: calls the callback with what is ready, or ends the run if it is over, unless a call is running (it will see it).</summary>
    public void Resume()
    {
        TItem? item;
        PumpEnd? end;
        bool started;
        lock (Gate)
        {
            started = TryStartLocked(out item, out end);
        }

        if (started)
        {
            Run(item!);
        }
        else
        {
            end?.Complete();
        }
    }

    /// <summary>
    /// Under the lock: takes the next item and makes the current thread the one calling (then call <see cref="Run"/> out
    /// of the lock). False when no run is active, a call is running, or nothing is ready; <paramref name="end"/> is set
    /// when the run is over (complete it out of the lock).
    /// </summary>
    public bool TryStartLocked([MaybeNullWhen(false)] out TItem item, out PumpEnd? end)
    {
        item = default;
        end = null;
        if (_run is null || _calling)
        {
            return false;
        }

        if (_cancelled)
        {
            end = EndLocked(EndpointStatus.Ok);
            return false;
        }

        if (CurrentCycleLocked != Cycle && !IsStoppedLocked)
        {
            // Disabled and enabled again while a call was pending: the host has reset its side since the run began.
            end = EndLocked(EndpointStatus.Disabled);
            return false;
        }

        switch (TryTakeLocked(out TItem? taken, out EndpointStatus ended))
        {
            case Take.Item:
                _calling = true;
                item = taken!;
                return true;
            case Take.Ended:
                end = EndLocked(ended);
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// Under the lock: makes the current thread the one calling, with an item the endpoint took itself (then call
    /// <see cref="Run"/> out of the lock), when the run can go on in enable cycle <paramref name="cycle"/> and nothing
    /// is calling. False otherwise, taking nothing: the endpoint then goes the way of <see cref="TryStartLocked"/>.
    /// </summary>
    public bool TryClaimLocked(int cycle)
    {
        if (_run is null || _calling || _cancelled || cycle != Cycle)
        {
            return false;
        }

        _calling = true;
        return true;
    }

    /// <summary>Out of the lock, as the one thread calling: calls the callback until nothing more is ready.</summary>
    public void Run(TItem item)
    {
        while (true)
        {
            TResult result;
            try
            {
                if (!TryCall(item, _token, out result))
                {
                    // Back-pressure: the next item waits for this call's task, whose continuation carries on from here
                    // (inline on the thread that completes it, such as the completion that freed a buffer downstream).
                    _pendingItem = item;
                    ContinueAfterPendingCall(_onCallCompleted);
                    return;
                }
            }
            catch (Exception exception)
            {
                Fail(item, exception);
                return;
            }

            if (!TryFinish(item, result, out TItem? next))
            {
                return;
            }

            item = next;
        }
    }

    /// <summary>What the endpoint has for the callback now.</summary>
    protected enum Take
    {
        /// <summary>Nothing yet: a completion will bring it.</summary>
        Nothing,
        /// <summary>An item to call the callback with.</summary>
        Item,
        /// <summary>The run is over, with the status given.</summary>
        Ended,
    }

    /// <summary>Under the lock: the endpoint's enable cycle now.</summary>
    protected abstract int CurrentCycleLocked { get; }

    /// <summary>Under the lock: whether the endpoint has stopped for good (its take then ends the run with Stopped).</summary>
    protected abstract bool IsStoppedLocked { get; }

    /// <summary>Under the lock: throws <see cref="InvalidOperationException"/>, saying why, when the endpoint serves another reader or writer.</summary>
    protected abstract void ThrowIfBusyLocked();

    /// <summary>Under the lock: the next item for the callback, or why there is none.</summary>
    protected abstract Take TryTakeLocked(out TItem? item, out EndpointStatus ended);

    /// <summary>
    /// Out of the lock: calls the callback with <paramref name="item"/>. True with its <paramref name="result"/> when
    /// the call completed; false when its task is pending (kept by the endpoint for
    /// <see cref="ContinueAfterPendingCall"/> and <see cref="EndPendingCall"/>). A call that failed throws.
    /// </summary>
    protected abstract bool TryCall(in TItem item, CancellationToken cancellationToken, out TResult result);

    /// <summary>Registers <paramref name="continuation"/> on the task <see cref="TryCall"/> left pending.</summary>
    protected abstract void ContinueAfterPendingCall(Action continuation);

    /// <summary>Out of the lock: the result of the call that <see cref="TryCall"/> left pending; throws if it failed.</summary>
    protected abstract TResult EndPendingCall();

    /// <summary>Under the lock, before the next item is taken: acts on a completed call; false ends the run with Ok.</summary>
    protected abstract bool FinishLocked(in TItem item, TResult result);

    /// <summary>Out of the lock: a call failed, so the item is given up (its buffer goes back to the endpoint).</summary>
    protected abstract void Abandon(in TItem item);

    private void OnCallCompleted()
    {
        TItem item = _pendingItem!;
        _pendingItem = default;
        TResult result;
        try
        {
            result = EndPendingCall();
        }
        catch (Exception exception)
        {
            Fail(item, exception);
            return;
        }

        if (TryFinish(item, result, out TItem? next))
        {
            Run(next);
        }
    }

    /// <summary>The call is over: acts on it and takes the next item in one locked section, or ends the run.</summary>
    private bool TryFinish(in TItem item, TResult result, [MaybeNullWhen(false)] out TItem next)
    {
        PumpEnd? end;
        lock (Gate)
        {
            // Still the one calling while finishing: a completion nested in it leaves its transfer to the take below.
            bool goOn = FinishLocked(item, result);
            _calling = false;
            if (!goOn)
            {
                next = default;
                end = EndLocked(EndpointStatus.Ok);
            }
            else if (TryStartLocked(out next, out end))
            {
                return true;
            }
        }

        end?.Complete();
        return false;
    }

    private void Fail(in TItem item, Exception exception)
    {
        Abandon(item);
        PumpEnd? end;
        lock (Gate)
        {
            _calling = false;
            end = EndLocked(EndpointStatus.Ok);
        }

        end!.Fail(exception);
    }

    private void Cancel(CancellationToken token)
    {
        PumpEnd? end = null;
        lock (Gate)
        {
            // A registration of an earlier run may fire before it is unregistered: only this run's token counts.
            if (_run is null || _token != token)
            {
                return;
            }

            _cancelled = true;
            if (!_calling)
            {
                end = EndLocked(EndpointStatus.Ok);
            }
        }

        // While a call runs, the thread running it ends the run once the call is over.
        end?.Complete();
    }

    /// <summary>Under the lock: the run is over; the caller completes its task out of the lock.</summary>
    private PumpEnd EndLocked(EndpointStatus status)
    {
        var end = new PumpEnd(_run!, _registration, status, _token, _cancelled);
        // The callback belongs to the caller again.
        (_run, _registration, _token, _cancelled, Callback) = (null, default, default, false, null);
        return end;
    }
}

/// <summary>
/// How a pump's run ended; completed out of the lock (its task's continuations run elsewhere). A class, made once per
/// run: the per-transfer paths pass a null reference around instead of copying a struct of references.
/// </summary>
internal sealed record PumpEnd(
    TaskCompletionSource<EndpointStatus> Run, CancellationTokenRegistration Registration, EndpointStatus Status, CancellationToken Token, bool Cancelled)
{
    public void Complete()
    {
        Registration.Unregister();
        _ = Cancelled ? Run.TrySetCanceled(Token) : Run.TrySetResult(Status);
    }

    public void Fail(Exception exception)
    {
        Registration.Unregister();

        // A call cancelled by the run's own token ends it cancelled, as the token's callback would.
        _ = exception is OperationCanceledException && (Cancelled || Token.IsCancellationRequested)
            ? Run.TrySetCanceled(Token)
            : Run.TrySetException(exception);
    }
}
