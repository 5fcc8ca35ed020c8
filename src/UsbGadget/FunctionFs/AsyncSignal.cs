using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An auto-reset signal with at most one waiter, reused for every wait so that waiting allocates nothing: the
/// endpoint's reader (OUT) or writer (IN) parks here until a completion arrives.
/// </summary>
/// <remarks>
/// A System.Threading.Channels channel did this job before, but its cancellable waits allocate an operation object each time.
/// Cancellation registers on the token once and keeps the registration while waits use the same token (a function's
/// run token, for a whole enable cycle): registering per wait cost more than the rest of a transfer. The waiter resumes on the thread pool,
/// unless <see cref="Set"/> asks to run it inline: the endpoints do that on the AIO completion thread, so the transfer
/// loop of a function runs there between its awaits, with no thread hop (and no pool worker spinning) per transfer.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _lock;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _registeredToken;
    private CancellationToken _waitToken;
    private bool _signaled;
    private bool _waiting;

    /// <summary>Creates a signal with its own lock.</summary>
    public AsyncSignal()
        : this(new Lock())
    {
    }

    /// <summary>
    /// Creates a signal guarded by its owner's lock: an owner that waits or signals inside its own locked section then
    /// pays for no second lock (see <see cref="SetLocked"/>).
    /// </summary>
    public AsyncSignal(Lock gate) => _lock = gate;

    /// <summary>
    /// Completes at once if the signal is set (and resets it); otherwise when <see cref="Set"/> is called. May be
    /// called with the lock held, to check a condition and start waiting for it atomically.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another wait is pending: the endpoint allows one reader or writer at a time.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        short version;
        lock (_lock)
        {
            if (_signaled)
            {
                _signaled = false;
                return ValueTask.CompletedTask;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            if (_waiting)
            {
                throw new InvalidOperationException(
                    "Another read or write is already waiting on this endpoint. An endpoint serves one reader (OUT) or one writer (IN) at a time; await each call before the next.");
            }

            _waiting = true;
            _waitToken = cancellationToken;
            _core.Reset();
            version = _core.Version;
        }

        // Only the one waiter touches the registration. A token cancelled already runs the callback right here.
        if (cancellationToken.CanBeCanceled && cancellationToken != _registeredToken)
        {
            _registration.Unregister();
            _registeredToken = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
        }

        return new ValueTask(this, version);
    }

    /// <summary>Wakes the waiter, or lets the next wait complete at once.</summary>
    /// <param name="runContinuationInline">Run the waiter's continuation on this thread, before returning.</param>
    public void Set(bool runContinuationInline = false)
    {
        bool wake;
        lock (_lock)
        {
            wake = SetLocked();
        }

        if (wake)
        {
            Wake(runContinuationInline);
        }
    }

    /// <summary>
    /// <see cref="Set"/> for a caller that holds the lock: when it returns true, the caller must call
    /// <see cref="Wake"/> once it has released the lock (the waiter's continuation must not run under it).
    /// </summary>
    public bool SetLocked()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        if (!_waiting)
        {
            _signaled = true;
            return false;
        }

        _waiting = false;
        _waitToken = default;
        return true;
    }

    /// <summary>Completes the wait that <see cref="SetLocked"/> ended.</summary>
    /// <param name="runContinuationInline">Run the waiter's continuation on this thread, before returning.</param>
    public void Wake(bool runContinuationInline)
    {
        Debug.Assert(!_lock.IsHeldByCurrentThread);
        _core.RunContinuationsAsynchronously = !runContinuationInline;
        _core.SetResult(true);
    }

    private void Cancel(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // The registration outlives single waits: only a wait on this very token is cancelled.
            if (!_waiting || _waitToken != cancellationToken)
            {
                return;
            }

            _waiting = false;
        }

        _core.RunContinuationsAsynchronously = true;
        _core.SetException(new OperationCanceledException(cancellationToken));
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
