using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// ValueTask-based AIO for application code. Owns an <see cref="AioContext"/>, an <see cref="EventFd"/>
/// every block signals, and one named background thread that sleeps on the eventfd and reaps
/// completions from the kernel's completion ring. Operations are pooled <see cref="IValueTaskSource{TResult}"/>s, so the
/// steady state allocates nothing. Continuations run on the thread pool unless the engine was created to run them inline.
/// </summary>
/// <remarks>
/// Results are the kernel's and are never thrown: a negative <see cref="AioResult.Result"/> is -errno.
/// A cancellation token maps to io_cancel; the operation still completes with whatever the kernel
/// reports (see <see cref="AioResult.CancelRequested"/>).
/// io_submit runs on the calling thread: where the kernel blocks inside it (FunctionFS endpoints
/// before ENABLE, pipes and sockets without data), the Read/Write call blocks too. io_submit
/// refusing a block is reported as a result with <see cref="AioResult.SubmitFailed"/> set.
/// Operations started while the completion thread delivers a reap's completions (typically by continuations running
/// inline) are held and go to the kernel together, in the order they were started, with one io_submit when the reap
/// is done: a transfer loop costs one io_submit per wake-up, not one per transfer.
/// <see cref="StartRead"/> and <see cref="StartWrite"/> report to an <see cref="IAioCompletionHandler"/> instead of a
/// task, called on the completion thread: the cheapest way to keep blocks queued.
/// </remarks>
public sealed class AioEngine : IAsyncDisposable, IDisposable
{
    private const int ReapBatch = 64;
    private static int s_engineCount;

    private readonly AioContext _context;
    private readonly EventFd _eventFd;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly Operation[] _pool;
    private readonly Lock _poolLock = new();
    private readonly AioEvent[] _events = new AioEvent[ReapBatch];
    private readonly List<Operation> _all = [];
    private int _pooled;
    private int _created;
    private volatile bool _stopping;
    private volatile bool _contextClosed;
    private int _disposed;
    private readonly bool _runContinuationsInline;

    // Whether the completion thread is delivering a reap and holds back what its handlers start. Written and read by
    // that thread only (others check that they are not it first). Not a thread static: a thread's first access to one
    // allocates its storage, which a pool thread's first start would then do in the middle of a transfer loop.
    private bool _delivering;

    // What the completion thread's own handlers start during a reap: only that thread touches these, so holding a
    // start back takes no lock (the steady state of a transfer loop). Blocks only: a block names its operation, and
    // each reference stored costs a write barrier.
    private readonly AioBlock[] _heldBlocks;
    private int _heldCount;

    // What other threads start during a reap, each with how many held starts came before it, so the batch keeps the
    // order in which the starts happened. Guarded by _submitLock, as are _deferring and the batch below.
    private readonly Lock _submitLock = new();
    private readonly Operation[] _deferred;
    private readonly int[] _deferredAfter;
    private int _deferredCount;
    private bool _deferring;

    // Both kinds merged, when other threads started any.
    private readonly AioBlock[] _mergedBlocks;

    /// <summary>Creates the context and starts the completion thread.</summary>
    /// <param name="maxEvents">How many operations may be in flight at once.</param>
    /// <param name="logger">Logs the completion thread's life and closing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEvents"/> is not positive.</exception>
    /// <exception cref="LinuxIOException">io_setup or eventfd failed.</exception>
    public AioEngine(int maxEvents, ILogger? logger = null)
        : this(maxEvents, runContinuationsInline: false, logger)
    {
    }

    /// <summary>Creates the context and starts the completion thread, choosing where continuations run.</summary>
    /// <param name="maxEvents">How many operations may be in flight at once.</param>
    /// <param name="runContinuationsInline">
    /// Run the code after each <c>await</c> directly on the completion thread instead of queueing it to the
    /// thread pool. It saves a thread hop per operation, but that code must never block: while it runs,
    /// no other completion is delivered. An <c>await</c> that captured a SynchronizationContext or TaskScheduler
    /// still resumes there (use ConfigureAwait(false) to run inline). Defaults to false.
    /// </param>
    /// <param name="logger">Logs the completion thread's life and closing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEvents"/> is not positive.</exception>
    /// <exception cref="LinuxIOException">io_setup or eventfd failed.</exception>
    public AioEngine(int maxEvents, bool runContinuationsInline, ILogger? logger = null)
    {
        _runContinuationsInline = runContinuationsInline;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        _logger = logger ?? NullLogger.Instance;
        _pool = new Operation[maxEvents];
        _heldBlocks = new AioBlock[maxEvents];
        _deferred = new Operation[maxEvents];
        _deferredAfter = new int[maxEvents];
        _mergedBlocks = new AioBlock[maxEvents];
        _context = new AioContext(maxEvents, _logger);
        try
        {
            _eventFd = new EventFd();
            _thread = new Thread(CompletionLoop)
            {
                IsBackground = true,
                Name = $"UsbGadget.Aio completion #{Interlocked.Increment(ref s_engineCount)}",
            };

            // The completion thread must not capture the creator's ExecutionContext (AsyncLocals,
            // culture): it runs for the engine's lifetime on behalf of every caller.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _thread.Start();
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _thread.Start();
                }
            }
        }
        catch
        {
            _eventFd?.Dispose();
            _context.Dispose();
            throw;
        }
    }

    /// <summary>The most operations that may be in flight at once.</summary>
    public int MaxEvents => _context.MaxEvents;

    /// <summary>How many operations are in flight.</summary>
    public int InFlight => _context.InFlight;

    /// <summary>The completion thread's name.</summary>
    public string CompletionThreadName => _thread.Name!;

    /// <summary>
    /// Whether the caller runs on the completion thread, i.e. inside a completion callback: code that would otherwise hop
    /// to the thread pool can run on here, as long as it never blocks.
    /// </summary>
    public bool IsCompletionThread => Thread.CurrentThread == _thread;

    /// <summary>How long disposal waits for cancelled operations to come back. Defaults to 5 seconds.</summary>
    public TimeSpan DrainTimeout
    {
        get => _context.DrainTimeout;
        set => _context.DrainTimeout = value;
    }

    /// <summary>Reads up to <paramref name="length"/> bytes at <paramref name="offset"/> into <paramref name="buffer"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The destination, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <param name="cancellationToken">Requests io_cancel; the operation still completes with the kernel's result.</param>
    /// <returns>The kernel's result: bytes read or -errno.</returns>
    /// <exception cref="InvalidOperationException"><see cref="MaxEvents"/> operations are already in flight.</exception>
    public ValueTask<AioResult> ReadAsync(SafeHandle file, AioBuffer buffer, int length, long offset = 0, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AioResult>(cancellationToken);
        }

        return Start(RentPrepared(AioOperation.Read, file, buffer, length, offset), cancellationToken);
    }

    /// <summary>Writes <paramref name="length"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The source, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <param name="cancellationToken">Requests io_cancel; the operation still completes with the kernel's result.</param>
    /// <returns>The kernel's result: bytes written or -errno.</returns>
    /// <exception cref="InvalidOperationException"><see cref="MaxEvents"/> operations are already in flight.</exception>
    public ValueTask<AioResult> WriteAsync(SafeHandle file, AioBuffer buffer, int length, long offset = 0, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AioResult>(cancellationToken);
        }

        return Start(RentPrepared(AioOperation.Write, file, buffer, length, offset), cancellationToken);
    }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes at <paramref name="offset"/> into <paramref name="buffer"/> and
    /// reports the result to <paramref name="handler"/> instead of a task: no continuation to schedule or result to fetch,
    /// for loops that keep blocks queued (the FunctionFS endpoints use it).
    /// </summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The destination, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <param name="handler">Called once with the kernel's result (see <see cref="IAioCompletionHandler.OnAioCompleted"/>).</param>
    /// <exception cref="InvalidOperationException"><see cref="MaxEvents"/> operations are already in flight.</exception>
    /// <exception cref="ObjectDisposedException">The engine, file or buffer is disposed; the handler is not called.</exception>
    public void StartRead(SafeHandle file, AioBuffer buffer, int length, long offset, IAioCompletionHandler handler)
        => StartWithHandler(AioOperation.Read, file, buffer, length, offset, handler);

    /// <summary>
    /// Writes <paramref name="length"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/> and reports the
    /// result to <paramref name="handler"/> instead of a task (see <see cref="StartRead"/>).
    /// </summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The source, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <param name="handler">Called once with the kernel's result (see <see cref="IAioCompletionHandler.OnAioCompleted"/>).</param>
    /// <exception cref="InvalidOperationException"><see cref="MaxEvents"/> operations are already in flight.</exception>
    /// <exception cref="ObjectDisposedException">The engine, file or buffer is disposed; the handler is not called.</exception>
    public void StartWrite(SafeHandle file, AioBuffer buffer, int length, long offset, IAioCompletionHandler handler)
        => StartWithHandler(AioOperation.Write, file, buffer, length, offset, handler);

    /// <summary>Completes when <paramref name="file"/> reports one of <paramref name="events"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="events">The events to wait for (POLLERR and POLLHUP are always reported).</param>
    /// <param name="cancellationToken">Requests io_cancel; a cancelled poll completes with an empty mask (0).</param>
    /// <returns>The mask that fired, or -errno.</returns>
    public ValueTask<AioResult> PollAsync(SafeHandle file, PollEvents events, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AioResult>(cancellationToken);
        }

        return Start(RentPrepared(AioOperation.Poll, file, null, 0, 0, events), cancellationToken);
    }

    /// <summary>Flushes <paramref name="file"/> (IOCB_CMD_FSYNC).</summary>
    /// <param name="file">The file.</param>
    /// <param name="cancellationToken">Requests io_cancel (fsync cannot be cancelled by the kernel; it completes normally).</param>
    /// <returns>0 or -errno (EINVAL when the file does not support asynchronous fsync).</returns>
    public ValueTask<AioResult> FsyncAsync(SafeHandle file, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AioResult>(cancellationToken);
        }

        return Start(RentPrepared(AioOperation.Fsync, file, null, 0, 0), cancellationToken);
    }

    /// <summary>
    /// Requests io_cancel for every operation on <paramref name="file"/>: those in flight now, and those held for the
    /// next batch as soon as they are submitted. Each still completes with the kernel's result. Cheaper than a
    /// cancellation token per operation when a whole file's queue is torn down at once (a FunctionFS endpoint that
    /// stops). An operation started on another thread while this runs may be missed: stop starting new ones first.
    /// </summary>
    public void CancelAll(SafeHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Operation[] operations;
        lock (_poolLock)
        {
            operations = [.. _all];
        }

        foreach (Operation op in operations)
        {
            if (ReferenceEquals(op.Block.File, file))
            {
                op.RequestCancel();
            }
        }
    }

    /// <summary>Cancels what is in flight, waits (bounded by <see cref="DrainTimeout"/>) for it to complete, stops the thread and closes the context.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The completion thread keeps reaping while we wait, so every awaiting caller gets its result.
        long start = Stopwatch.GetTimestamp();
        if (_context.InFlight > 0)
        {
            _context.CancelAll();
            while (_context.InFlight > 0 && Stopwatch.GetElapsedTime(start) < DrainTimeout)
            {
                Thread.Sleep(1);
            }
        }

        _stopping = true;
        _eventFd.Write(1);

        // Disposing from an inline continuation runs on the completion thread itself, which then
        // stops after this callback returns.
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        // Whatever is still in flight now is left to the context's own bounded drain.
        _contextClosed = true;
        _context.Dispose();
        bool drained = _context.InFlight == 0;
        if (drained)
        {
            _eventFd.Dispose();
        }

        lock (_poolLock)
        {
            foreach (Operation op in _all)
            {
                op.Release();
            }

            _all.Clear();
        }
    }

    /// <summary>Same as <see cref="Dispose"/>, run off the caller's thread.</summary>
    /// <returns>A task that completes when the engine is closed.</returns>
    public ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(Task.Run(Dispose));
    }

    /// <summary>
    /// Runs <paramref name="action"/> while no batch of held operations is being submitted (see the remarks on the
    /// class). For synchronous I/O on a file whose driver must never see it overlap an io_submit: FunctionFS endpoint
    /// files opened non-blocking refuse one of the two with EAGAIN. Submissions started directly on other threads are
    /// not held back: the caller serialises those with its own lock. On the completion thread, held operations are
    /// submitted first.
    /// </summary>
    /// <returns>What <paramref name="action"/> returned.</returns>
    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (IsDelivering)
        {
            SubmitDeferred(keepDeferring: true);
        }

        lock (_submitLock)
        {
            return action(state);
        }
    }

    private ValueTask<AioResult> Start(Operation op, CancellationToken cancellationToken)
    {
        // Registered before the submit so the completion thread always finds (and disposes) it; a
        // cancel that fires before the block is in flight is remembered and issued right after.
        if (cancellationToken.CanBeCanceled)
        {
            op.Registration = cancellationToken.UnsafeRegister(static state => ((Operation)state!).RequestCancel(), op);
        }

        // The caller has not seen the task yet, so the operation cannot go back to the pool before this returns.
        short version = op.Version;
        if (Submit(op))
        {
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref op.CancelPending) != 0)
            {
                op.TryCancel();
            }
        }

        return new ValueTask<AioResult>(op, version);
    }

    /// <summary>
    /// Submits <paramref name="op"/> now, or holds it for the batch after the reap being delivered. A refused block
    /// completes at once.
    /// </summary>
    /// <returns>Whether the block went to the kernel from here. A handler operation may have completed and been
    /// reused by then, so only a ValueTask operation may be touched afterwards.</returns>
    private bool Submit(Operation op)
    {
        if (IsDelivering)
        {
            // A handler of the reap being delivered, on the completion thread: goes out with the batch after it.
            int held = _heldCount;
            _heldBlocks[held] = op.Block;
            Volatile.Write(ref _heldCount, held + 1);
            return false;
        }

        lock (_submitLock)
        {
            if (_deferring)
            {
                // The completion thread is delivering a reap: this goes to the kernel with the others after it, in order.
                _deferred[_deferredCount] = op;
                _deferredAfter[_deferredCount++] = Volatile.Read(ref _heldCount);
                return false;
            }
        }

        Errno errno;
        try
        {
            errno = _context.TrySubmit(new ReadOnlySpan<AioBlock>(in op.Block), out _);
        }
        catch
        {
            op.DisposeRegistration();
            if (!op.Reserved)
            {
                op.Handler = null;
                ReturnToPool(op);
            }

            throw;
        }

        if (errno != Errno.None)
        {
            FailSubmit(op, errno);
            return false;
        }

        return true;
    }

    /// <summary>Whether the caller is the completion thread, delivering a reap.</summary>
    private bool IsDelivering => _delivering && IsCompletionThread;

    private void FailSubmit(Operation op, Errno errno)
        => op.Finish(new AioResult(-(long)errno, 0, cancelRequested: Volatile.Read(ref op.CancelPending) != 0, submitFailed: true));

    /// <summary>
    /// Completion thread only: sends the operations held during a reap to the kernel, in the order they were started,
    /// with as few io_submit calls as the kernel allows. A block io_submit refuses completes with its errno, as a
    /// direct submission would; one that cannot be submitted at all (a buffer or file disposed meanwhile) completes
    /// with that exception.
    /// </summary>
    private void SubmitDeferred(bool keepDeferring)
    {
        // Filled only when something went wrong or a cancel is pending: never in a transfer loop's steady state.
        List<(Operation Operation, Errno Errno, Exception? Exception)>? followUps = null;
        lock (_submitLock)
        {
            int held = _heldCount;
            int count = held + _deferredCount;
            AioBlock[] blocks = _heldBlocks;
            if (_deferredCount > 0)
            {
                MergeLocked(held);
                blocks = _mergedBlocks;
            }

            int done = 0;
            if (count > 0 && Volatile.Read(ref _disposed) != 0)
            {
                // Disposed from a continuation during this reap: the context is closed.
                var disposed = new ObjectDisposedException(nameof(AioEngine));
                followUps = new(count);
                for (; done < count; done++)
                {
                    followUps.Add((OperationOf(blocks[done]), Errno.None, disposed));
                }
            }

            while (done < count)
            {
                Errno errno;
                int submitted;
                try
                {
                    errno = _context.TrySubmit(blocks.AsSpan(done, count - done), out submitted);
                }
                catch (Exception)
                {
                    // Refused before the kernel saw any of them: find the culprit by submitting the first alone.
                    try
                    {
                        errno = _context.TrySubmit(blocks.AsSpan(done, 1), out submitted);
                    }
                    catch (Exception single)
                    {
                        (followUps ??= []).Add((OperationOf(blocks[done]), Errno.None, single));
                        done++;
                        continue;
                    }
                }

                for (int i = done; i < done + submitted; i++)
                {
                    if (Volatile.Read(ref OperationOf(blocks[i]).CancelPending) != 0)
                    {
                        (followUps ??= []).Add((OperationOf(blocks[i]), Errno.None, null));
                    }
                }

                done += submitted;
                if (errno != Errno.None && done < count)
                {
                    (followUps ??= []).Add((OperationOf(blocks[done]), errno, null));
                    done++;
                }
            }

            // Reset here, not after the lock: a follow-up's handler may start operations (and hold them) at once. The
            // arrays are not cleared: they only ever name the engine's own operations.
            _heldCount = 0;
            _deferredCount = 0;
            _deferring = keepDeferring;
            _delivering = keepDeferring;
        }

        if (followUps is null)
        {
            return;
        }

        // Outside the lock: completing a refused operation may run its continuation, which may start another.
        foreach ((Operation op, Errno errno, Exception? exception) in followUps)
        {
            if (exception is not null)
            {
                if (op.Handler is not null)
                {
                    // A handler takes results only: the file or buffer was closed before the block could go out.
                    op.Finish(new AioResult(-(long)Errno.EBADF, 0, cancelRequested: false, submitFailed: true));
                    continue;
                }

                op.DisposeRegistration();
                op.SetException(exception);
            }
            else if (errno != Errno.None)
            {
                FailSubmit(op, errno);
            }
            else
            {
                op.TryCancel();
            }
        }
    }

    /// <summary>The operation a block of this engine belongs to.</summary>
    private static Operation OperationOf(AioBlock block) => Unsafe.As<Operation>(block.Owner)!;

    /// <summary>
    /// Under the submit lock: puts the held and the deferred starts in one batch, each deferred start after the held
    /// starts it came after.
    /// </summary>
    private void MergeLocked(int held)
    {
        int deferred = _deferredCount;
        int h = 0;
        int d = 0;
        int n = 0;
        while (h < held || d < deferred)
        {
            _mergedBlocks[n++] = d < deferred && (h == held || _deferredAfter[d] <= h) ? _deferred[d++].Block : _heldBlocks[h++];
        }
    }

    /// <summary>
    /// Reserves one operation for <paramref name="handler"/>, to start again and again through the returned request:
    /// the way a libaio loop keeps one iocb per buffer. Each start then takes nothing from the engine's pool and gives
    /// nothing back, so a completion that starts the next transfer passes through no lock of the pool.
    /// </summary>
    /// <param name="handler">Called once per start (see <see cref="IAioCompletionHandler.OnAioCompleted"/>).</param>
    /// <returns>The request. It counts against <see cref="MaxEvents"/> until it is disposed.</returns>
    /// <exception cref="InvalidOperationException"><see cref="MaxEvents"/> operations are already in flight or reserved.</exception>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public AioRequest Reserve(IAioCompletionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Operation op = Rent();
        op.Handler = handler;
        op.Reserved = true;
        return new AioRequest(this, op);
    }

    /// <summary>Starts a reserved operation (see <see cref="AioRequest"/>).</summary>
    internal void StartReserved(Operation op, AioOperation operation, SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (op.Block.IsInFlight)
        {
            ThrowHelper.ThrowInvalidOperation("This request is already in flight: start it again from its handler, once it has completed.");
        }

        op.CancelPending = 0;
        op.Block.PrepareTransfer(operation, file, buffer, length, offset);
        Submit(op);
    }

    /// <summary>Ends a reservation: the operation goes back to the pool.</summary>
    internal void Unreserve(Operation op)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Released with the context.
            return;
        }

        if (op.Block.IsInFlight)
        {
            ThrowHelper.ThrowInvalidOperation("This request is in flight: dispose it once its handler has been called.");
        }

        op.Reserved = false;
        op.Handler = null;
        ReturnToPool(op);
    }

    private void StartWithHandler(AioOperation operation, SafeHandle file, AioBuffer buffer, int length, long offset, IAioCompletionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Operation op = RentPrepared(operation, file, buffer, length, offset);
        op.Handler = handler;
        Submit(op);
    }

    /// <summary>Rents an operation with its block prepared; on a refused argument, gives it back and rethrows.</summary>
    private Operation RentPrepared(AioOperation operation, SafeHandle file, AioBuffer? buffer, int length, long offset, PollEvents events = 0)
    {
        Operation op = Rent();
        try
        {
            Prepare(op.Block, operation, file, buffer, length, offset, events);
        }
        catch
        {
            ReturnToPool(op);
            throw;
        }

        return op;
    }

    private static void Prepare(AioBlock block, AioOperation operation, SafeHandle file, AioBuffer? buffer, int length, long offset, PollEvents events = 0)
    {
        switch (operation)
        {
            case AioOperation.Read:
                block.PrepareRead(file, buffer!, length, offset);
                break;
            case AioOperation.Write:
                block.PrepareWrite(file, buffer!, length, offset);
                break;
            case AioOperation.Poll:
                block.PreparePoll(file, events);
                break;
            default:
                Debug.Assert(operation == AioOperation.Fsync);
                block.PrepareFsync(file);
                break;
        }
    }

    private Operation Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int slot;
        lock (_poolLock)
        {
            if (_pooled > 0)
            {
                Operation op = _pool[--_pooled];
                _pool[_pooled] = null!;
                op.CancelPending = 0;
                return op;
            }

            if (_created == _pool.Length)
            {
                ThrowHelper.ThrowInvalidOperation(
                    $"{_pool.Length} operations are already in flight, the most this engine was created for; await some first or create it with more events.");
            }

            slot = _created++;
        }

        var created = new Operation(this);
        created.Block.ResultEventFd = _eventFd;

        // One slot per operation, as many as the context has: each operation's block always finds its own slot free.
        _context.PreferSlot(created.Block, slot);
        lock (_poolLock)
        {
            _all.Add(created);
        }

        return created;
    }

    private void ReturnToPool(Operation op)
    {
        lock (_poolLock)
        {
            _pool[_pooled++] = op;
        }
    }

    private void CompletionLoop()
    {
        AioLog.CompletionThreadStarted(_logger, _thread.Name!);
        try
        {
            while (true)
            {
                _eventFd.Read();
                ReapAll();
                if (_stopping)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // A dead completion loop would leave every caller waiting forever.
            AioLog.CompletionLoopFailed(_logger, e);
            Environment.FailFast($"The AIO completion loop ({_thread.Name}) failed: {e.Message}", e);
        }

        AioLog.CompletionThreadStopped(_logger, _thread.Name!);
    }

    private void ReapAll()
    {
        Span<AioEvent> events = _events;
        lock (_submitLock)
        {
            _deferring = true;
        }

        _delivering = true;

        try
        {
            ReapAndDeliver(events);
        }
        finally
        {
            SubmitDeferred(keepDeferring: false);
        }
    }

    private void ReapAndDeliver(Span<AioEvent> events)
    {
        // The events keep the blocks they name referenced until overwritten; those blocks are the engine's own
        // (alive as long as it is), so the buffer is not cleared after each reap.
        int got;
        do
        {
            // Only this thread reaps, and the context is closed only once it stops (or, from a handler, ends the loop
            // through _contextClosed): the ring is read without io_getevents, a lock or a handle reference.
            got = _context.ReapReadyAsSoleReaper(events);
            for (int i = 0; i < got; i++)
            {
                ref readonly AioEvent e = ref events[i];
                Operation op = OperationOf(e.Block);
                op.Finish(new AioResult(e.Result, e.Result2, e.CancelRequested));
            }
        }
        while (got == events.Length && !_contextClosed);
    }

    /// <summary>One pooled operation: its block and its IValueTaskSource.</summary>
    internal sealed class Operation : IValueTaskSource<AioResult>
    {
        public readonly AioBlock Block = new();

        public int CancelPending;
        private readonly AioEngine _engine;
        private ManualResetValueTaskSourceCore<AioResult> _core;

        public Operation(AioEngine engine)
        {
            _engine = engine;
            _core.RunContinuationsAsynchronously = !engine._runContinuationsInline;

            // The completion thread finds the operation from its reaped block; the engine's list of all operations
            // keeps it alive while in flight, even for a caller that dropped its task.
            Block.Owner = this;
        }

        public CancellationTokenRegistration Registration { get; set; }

        public short Version => _core.Version;

        // Dispose waits for a cancel callback that is running, so none can reach this block once it is reused.
        public void DisposeRegistration()
        {
            Registration.Dispose();
            Registration = default;
        }

        public void RequestCancel()
        {
            Interlocked.Exchange(ref CancelPending, 1);
            if (Block.IsInFlight)
            {
                TryCancel();
            }
        }

        public void TryCancel()
        {
            try
            {
                _engine._context.Cancel(Block);
            }
            catch (LinuxIOException)
            {
                // The kernel refused the cancel; the operation completes on its own.
            }
            catch (ObjectDisposedException)
            {
                // The engine is closing and cancels everything itself.
            }
        }

        public void Release() => Block.Dispose();

        /// <summary>Set by StartRead/StartWrite: the result goes here instead of to a task.</summary>
        public IAioCompletionHandler? Handler { get; set; }

        /// <summary>Held by an <see cref="AioRequest"/>: keeps its handler, and stays out of the pool between starts.</summary>
        public bool Reserved { get; set; }

        public void Finish(AioResult result)
        {
            if (Handler is { } handler)
            {
                // Back to the pool first: the handler typically starts the next operation at once.
                if (!Reserved)
                {
                    Handler = null;
                    _engine.ReturnToPool(this);
                }

                handler.OnAioCompleted(result);
                return;
            }

            DisposeRegistration();
            _core.SetResult(result);
        }

        public void SetException(Exception exception) => _core.SetException(exception);

        public AioResult GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
                _engine.ReturnToPool(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
