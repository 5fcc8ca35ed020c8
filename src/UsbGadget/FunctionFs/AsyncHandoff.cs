using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace UsbGadget.FunctionFs;

/// <summary>
/// A parking place for an endpoint's one waiting reader (OUT) or writer (IN) that the completion hands its result to
/// directly: the transfer or buffer it was waiting for, not a wake-up to go and look for it. The waiter then resumes
/// with its answer, without a state machine of its own or a second trip through the endpoint's lock.
/// </summary>
/// <remarks>
/// Guarded by the endpoint's lock: the endpoint checks for something to take and parks the caller in one locked section
/// (<see cref="WaitLocked"/>), and a completion claims the waiter in its own (<see cref="TryClaimLocked"/>) and completes
/// it once the lock is released (<see cref="Complete"/>). Cancellation registers on the token once and keeps the
/// registration while waits use the same token (a function's run token, for a whole enable cycle): registering per
/// wait cost more than the rest of a transfer.
/// </remarks>
/// <typeparam name="T">What the waiter gets.</typeparam>
internal sealed class AsyncHandoff<T> : IValueTaskSource<T>
{
    private readonly Lock _lock;
    private readonly CancelledLocked? _cancelled;
    private ManualResetValueTaskSourceCore<T> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _registeredToken;
    private CancellationToken _waitToken;
    private bool _waiting;

    /// <summary>Creates a hand-off guarded by its owner's lock.</summary>
    /// <param name="gate">The owner's lock.</param>
    /// <param name="cancelled">What a cancelled wait returns instead of throwing, if anything.</param>
    public AsyncHandoff(Lock gate, CancelledLocked? cancelled = null)
    {
        _lock = gate;
        _cancelled = cancelled;
    }

    /// <summary>
    /// Called under the lock when a wait is cancelled: whether the waiter returns <paramref name="value"/> instead of
    /// throwing <see cref="OperationCanceledException"/> (a copying read returns the bytes it already has).
    /// </summary>
    public delegate bool CancelledLocked(out T value);

    /// <summary>Whether a caller is parked, even one whose token is cancelled. Read under the lock.</summary>
    public bool HasWaiter
    {
        get
        {
            Debug.Assert(_lock.IsHeldByCurrentThread);
            return _waiting;
        }
    }

    /// <summary>
    /// Whether a caller is parked and may be answered. Read under the lock. A caller whose token is cancelled is not:
    /// the cancellation is about to end its wait (a function's run token is cancelled by DISABLE, and that run must
    /// not be handed anything after it).
    /// </summary>
    public bool IsWaiting
    {
        get
        {
            Debug.Assert(_lock.IsHeldByCurrentThread);
            return _waiting && !_waitToken.IsCancellationRequested;
        }
    }

    /// <summary>Parks the caller until a completion hands it a value. The caller holds the lock and found nothing to take.</summary>
    /// <exception cref="InvalidOperationException">Another caller is parked: the endpoint serves one reader or writer at a time.</exception>
    public ValueTask<T> WaitLocked(CancellationToken cancellationToken)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        if (cancellationToken.IsCancellationRequested)
        {
            return _cancelled is not null && _cancelled(out T value) ? new ValueTask<T>(value) : ValueTask.FromCanceled<T>(cancellationToken);
        }

        if (_waiting)
        {
            throw new InvalidOperationException(
                "Another read or write is already waiting on this endpoint. An endpoint serves one reader (OUT) or one writer (IN) at a time; await each call before the next.");
        }

        _waiting = true;
        _waitToken = cancellationToken;
        _core.Reset();
        short version = _core.Version;

        // Only the parked caller touches the registration. A cancel racing with this runs Cancel, which waits for the lock.
        if (cancellationToken.CanBeCanceled && cancellationToken != _registeredToken)
        {
            _registration.Unregister();
            _registeredToken = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncHandoff<T>)state!).Cancel(token), this);
        }

        return new ValueTask<T>(this, version);
    }

    /// <summary>
    /// Takes the parked caller, if any, even one whose token is cancelled (check <see cref="IsWaiting"/> first before
    /// handing over data): the claimer must then <see cref="Complete"/> it, once the lock is released (its continuation
    /// must not run under the lock).
    /// </summary>
    public bool TryClaimLocked()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread);
        if (!_waiting)
        {
            return false;
        }

        _waiting = false;
        _waitToken = default;
        return true;
    }

    /// <summary>Resumes the claimed caller with <paramref name="value"/>.</summary>
    /// <param name="value">The answer.</param>
    /// <param name="runContinuationInline">
    /// Run the caller's continuation on this thread, before returning; never while the lock is held (a completion
    /// nested in another locked section, e.g. a submission io_submit refused, resumes the caller on the thread pool).
    /// </param>
    public void Complete(T value, bool runContinuationInline)
    {
        Debug.Assert(!runContinuationInline || !_lock.IsHeldByCurrentThread);
        _core.RunContinuationsAsynchronously = !runContinuationInline;
        _core.SetResult(value);
    }

    /// <summary>Ends the claimed caller's wait with <paramref name="exception"/>.</summary>
    /// <param name="exception">What the caller's await throws.</param>
    /// <param name="runContinuationInline">As for <see cref="Complete"/>.</param>
    public void Fail(Exception exception, bool runContinuationInline)
    {
        Debug.Assert(!runContinuationInline || !_lock.IsHeldByCurrentThread);
        _core.RunContinuationsAsynchronously = !runContinuationInline;
        _core.SetException(exception);
    }

    private void Cancel(CancellationToken cancellationToken)
    {
        bool returns;
        T value;
        lock (_lock)
        {
            // The registration outlives single waits: only a wait on this very token is cancelled.
            if (!_waiting || _waitToken != cancellationToken)
            {
                return;
            }

            _waiting = false;
            _waitToken = default;
            value = default!;
            returns = _cancelled is not null && _cancelled(out value);
        }

        _core.RunContinuationsAsynchronously = true;
        if (returns)
        {
            _core.SetResult(value);
        }
        else
        {
            _core.SetException(new OperationCanceledException(cancellationToken));
        }
    }

    T IValueTaskSource<T>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
