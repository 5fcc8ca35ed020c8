namespace UsbGadget.FunctionFs;

/// <summary>
/// An auto-reset signal with at most one waiter, reused for every wait so that waiting allocates nothing: an IN
/// endpoint's FlushAsync parks here until a completion frees a buffer. An <see cref="AsyncHandoff{T}"/> that carries no value,
/// plus a latch for a signal that arrives while nobody waits.
/// </summary>
/// <remarks>
/// A System.Threading.Channels channel did this job before, but its cancellable waits allocate an operation object each
/// time. Cancellation and where the waiter resumes are the hand-off's: one registration per run token, and the thread
/// pool unless <see cref="Wake"/> asks to run the waiter inline (the endpoints do on the AIO completion thread).
/// </remarks>
internal sealed class AsyncSignal
{
    private readonly Lock _lock;
    private readonly AsyncHandoff<bool> _waiter;
    private bool _signaled;

    /// <summary>Creates a signal with its own lock.</summary>
    public AsyncSignal()
        : this(new Lock())
    {
    }

    /// <summary>
    /// Creates a signal guarded by its owner's lock: an owner that waits or signals inside its own locked section then
    /// pays for no second lock (see <see cref="SetLocked"/>).
    /// </summary>
    public AsyncSignal(Lock gate)
    {
        _lock = gate;
        _waiter = new AsyncHandoff<bool>(gate);
    }

    /// <summary>
    /// Completes at once if the signal is set (and resets it); otherwise when <see cref="Set"/> is called. May be
    /// called with the lock held, to check a condition and start waiting for it atomically.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another wait is pending: the endpoint allows one reader or writer at a time.</exception>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_signaled)
            {
                _signaled = false;
                return new ValueTask<bool>(true);
            }

            return _waiter.WaitLocked(cancellationToken);
        }
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
        if (_waiter.TryClaimLocked())
        {
            return true;
        }

        _signaled = true;
        return false;
    }

    /// <summary>Completes the wait that <see cref="SetLocked"/> ended.</summary>
    /// <param name="runContinuationInline">Run the waiter's continuation on this thread, before returning.</param>
    public void Wake(bool runContinuationInline) => _waiter.Complete(true, runContinuationInline);
}
