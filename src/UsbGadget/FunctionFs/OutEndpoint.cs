using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An OUT endpoint (host to device) that keeps a fixed number of AIO reads queued while the function is enabled.
/// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> copies what the host sent into the caller's buffer, and
/// <see cref="AsStream"/> and <see cref="AsPipeReader"/> adapt it; <see cref="ReadAsync(CancellationToken)"/> lends
/// each received buffer in place instead, with no copy: the zero-copy level.
/// </summary>
/// <remarks>
/// <para>Reads are handed over in submission order (the order the host sent them). One reader at a time; the two
/// levels can be mixed (a lease after a copying read starts where the copy stopped).</para>
/// <para>On DISABLE (or bus reset, disconnect, UNBIND) the kernel completes queued reads with ESHUTDOWN; the buffers
/// stay here and are queued again at the next ENABLE. A copying read then returns 0 and a lease
/// <see cref="EndpointStatus.Disabled"/>, never an exception.</para>
/// <para>Data crosses no reset. The kernel's reset shows here first, as the reads it ends; the DISABLE and ENABLE
/// events follow on ep0, often after the kernel has enabled the endpoint again. Reads are numbered in submission order,
/// which is the order the kernel queues and completes them in, so a completed read queued before the last read the
/// kernel ended holds data the host sent before its reset (dropped at the next ENABLE, as a UDC flushes its FIFO), and
/// one queued after it holds data of the host's next session (kept for the next ENABLE's reader, never the old one's).</para>
/// </remarks>
public sealed class OutEndpoint : EndpointFile
{
    private readonly AioBufferPool _pool;
    private readonly TransferSlot[] _slots;
    private readonly SlotQueue _completed;
    private readonly AsyncHandoff<OutTransfer> _reader;
    private bool _handingOff;

    // The primary level's state: 1 while a read runs (one reader at a time); what a copying read left of a transfer
    // (the next read starts there), or a failure it has not reported yet. A copying read that found nothing waiting is
    // parked in _copier with its buffer, which the completions fill (_copied bytes so far).
    private int _reading;
    private OutTransfer _held;
    private Errno _heldFailure;
    private readonly AsyncHandoff<int> _copier;
    private CopyTarget _copyTarget;
    private int _copied;
    private ResumeThread? _resumeThread;
    private Stream? _stream;
    private PipeReader? _pipeReader;

    // ReceiveAsync's pump: completed reads to the handler, one call at a time.
    private readonly Receiver _receiver;
    private readonly int _configuredTransferSize;
    private int _transferSize;
    private bool _enabled;
    private bool _stopped;
    private int _generation;
    private int _inFlight;
    private long _nextSequence;
    private long _nextDelivery;
    private ReadyRead[] _ready;
    private int _readyCount;

    // The last read, in submission order, that the kernel ended with ESHUTDOWN, ECONNRESET or EAGAIN (a reset, or a
    // submission while disabled), and the enable cycle it was submitted in.
    private long _resetSequence = -1;
    private int _resetGeneration = -1;
    private TaskCompletionSource? _idle;

    internal OutEndpoint(
        string path, UnixFileHandle file, FunctionFsEndpoint declared, IEndpointIo io, AioBufferPool pool, int depth, int transferSize, ILogger logger)
        : base(path, file, declared, io, logger)
    {
        _pool = pool;
        _reader = new AsyncHandoff<OutTransfer>(Gate);
        _copier = new AsyncHandoff<int>(Gate, CopyCancelledLocked);
        _receiver = new Receiver(this);
        _configuredTransferSize = transferSize;
        _transferSize = transferSize;
        _slots = new TransferSlot[depth];
        _ready = new ReadyRead[depth * 2];
        Action<TransferSlot> onCompleted = OnCompleted;
        for (int i = 0; i < depth; i++)
        {
            _slots[i] = new TransferSlot(pool.Rent(), io, onCompleted);
        }

        _completed = new SlotQueue(depth);
    }

    /// <inheritdoc/>
    public override bool IsEnabled => Volatile.Read(ref _enabled);

    /// <summary>The transfer size configured, before rounding to the packet size: what each of its buffers must hold.</summary>
    internal int ConfiguredTransferSize => _configuredTransferSize;

    /// <summary>Number of reads kept queued.</summary>
    public int QueueDepth => _slots.Length;

    /// <summary>Bytes asked for by each read: the configured size rounded down to a multiple of the current max packet size.</summary>
    public int TransferSize => Volatile.Read(ref _transferSize);

    /// <summary>Reads submitted and not completed yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Copies the bytes the host sends into <paramref name="buffer"/>: the primary way to read an endpoint. Returns when
    /// the host's transfer ends (a short or zero-length packet) or <paramref name="buffer"/> is full, so with a buffer
    /// as large as the host's transfers, one read is one host transfer. Bytes that do not fit stay for the next read.
    /// </summary>
    /// <remarks>
    /// <para>The code after <c>await</c> never runs on the AIO completion thread: blocking there stalls only the caller.
    /// A read that finds data waiting completes at once, on the caller's thread. One that waits is filled as the host's
    /// data arrives and resumes once, on the endpoint's own reader thread (or the thread pool while the caller's code
    /// still runs on that thread). One reader at a time.</para>
    /// <para>A zero-length packet only ends a transfer here: an empty host transfer is not seen (use
    /// <see cref="ReadAsync(CancellationToken)"/> to see transfers as they are).</para>
    /// <para>Allocates nothing per call once warm.</para>
    /// </remarks>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">
    /// Stops waiting: throws <see cref="OperationCanceledException"/>, or returns the bytes already copied if there are
    /// some. A function's run token is cancelled when the host disables it.
    /// </param>
    /// <returns>
    /// The number of bytes copied, at least 1; 0 only when the endpoint is disabled (the host deconfigured the device,
    /// reset the bus or went away) or stopped, and everything received before was read: the end of the stream for this
    /// session. Return from <c>RunAsync</c> then; the framework calls it again when the host enables the function.
    /// An empty <paramref name="buffer"/> returns 0 at once.
    /// </returns>
    /// <exception cref="IOException">The kernel failed a read (for example EOVERFLOW: the host sent more than a packet-sized read holds); the bytes before it were returned by earlier reads.</exception>
    /// <exception cref="InvalidOperationException">Another read is running on this endpoint.</exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw Busy();
        }

        bool parked = false;
        MemoryHandle pin = default;
        try
        {
            // Made before the lock: for memory of a MemoryManager, these run its code. Such memory is pinned, so that
            // the completions can copy into it without running that code (arrays need no pin).
            Span<byte> destination = buffer.Span;
            CopyTarget target;
            if (MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> array))
            {
                target = new CopyTarget(array);
            }
            else
            {
                pin = buffer.Pin();
                target = new CopyTarget(pin, buffer.Length);
            }

            int copied = 0;
            lock (Gate)
            {
                // One reader at a time, whichever level it reads at (a lease reader leaves _reading while it waits).
                if (_receiver.IsRunningLocked || _reader.HasWaiter)
                {
                    throw Busy();
                }

                CopyOutcome outcome = CopyLocked(destination, ref copied, cancellationToken, out Errno failure);
                if (outcome == CopyOutcome.Pending)
                {
                    // Nothing waiting: the completions copy into the buffer from here on, and resume the caller once,
                    // when it is full or the host's transfer ended.
                    _resumeThread ??= _stopped ? null : new ResumeThread(_copier, $"UsbGadget {Name} reader");
                    _copyTarget = target;
                    _copied = copied;
                    parked = true;
                    ValueTask<int> read = _copier.WaitLocked(cancellationToken);
                    return target.IsPinned ? WaitPinnedAsync(read, pin) : read;
                }

                return outcome == CopyOutcome.Cancelled && copied == 0 ? ValueTask.FromCanceled<int>(cancellationToken)
                    : failure != Errno.None ? ValueTask.FromException<int>(ReadFailed(failure))
                    : new ValueTask<int>(copied);
            }
        }
        finally
        {
            if (!parked)
            {
                pin.Dispose();
                Volatile.Write(ref _reading, 0);
            }
        }
    }

    /// <summary>A read-only <see cref="Stream"/> over <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, for <c>StreamReader</c>, <c>System.Text.Json</c> and the like.</summary>
    /// <remarks>
    /// <c>Read</c> returns 0 (the end of the stream) when the host disables the endpoint; the stream is made once, so
    /// every call returns the same one. Disposing it does not close the endpoint.
    /// </remarks>
    public Stream AsStream() => _stream ??= new EndpointStream(this, null);

    /// <summary>
    /// A <see cref="PipeReader"/> over <see cref="AsStream"/> (<see cref="PipeReader.Create(Stream, StreamPipeReaderOptions?)"/>,
    /// left open), for parsers written against System.IO.Pipelines. Completing it does not close the endpoint; made once.
    /// </summary>
    public PipeReader AsPipeReader() =>
        _pipeReader ??= PipeReader.Create(AsStream(), new StreamPipeReaderOptions(bufferSize: Math.Max(4096, _configuredTransferSize), leaveOpen: true));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> WaitPinnedAsync(ValueTask<int> read, MemoryHandle pin)
    {
        using (pin)
        {
            return await read.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Under the lock: copies what is waiting (what an earlier read left of a transfer, then completed reads in order) into
    /// <paramref name="destination"/> after the <paramref name="copied"/> bytes already there. Each buffer emptied is
    /// queued for the next read at once; one not emptied is kept in <see cref="_held"/> for the next read.
    /// </summary>
    /// <param name="destination">The caller's buffer.</param>
    /// <param name="copied">Bytes already in it; grows with each copy.</param>
    /// <param name="cancellationToken">Checked before each completed read is taken, as a lease's wait does.</param>
    /// <param name="failure">The errno to throw for a read the kernel failed, when no bytes go before it.</param>
    /// <returns>
    /// <see cref="CopyOutcome.Pending"/> when the read needs more and nothing is waiting; otherwise the read is over:
    /// the buffer is full, the host's transfer ended, the endpoint is disabled or stopped, or a read failed.
    /// </returns>
    private CopyOutcome CopyLocked(Span<byte> destination, ref int copied, CancellationToken cancellationToken, out Errno failure)
    {
        failure = Errno.None;
        while (copied < destination.Length)
        {
            OutTransfer held = TakeHeld();
            if (!held.HasBuffer)
            {
                if (_heldFailure != Errno.None)
                {
                    // Set only by a read that returned bytes, so this one has none.
                    failure = _heldFailure;
                    _heldFailure = Errno.None;
                    return CopyOutcome.Done;
                }

                // Under the lock ENABLE takes: a reader whose run a DISABLE cancelled never takes the next cycle's data.
                if (cancellationToken.IsCancellationRequested)
                {
                    return CopyOutcome.Cancelled;
                }

                if (!TryTakeLocked(out TakenRead taken))
                {
                    return CopyOutcome.Pending;
                }

                if (taken.Status is EndpointStatus.Disabled or EndpointStatus.Stopped)
                {
                    return CopyOutcome.Done;
                }

                if (taken.Status == EndpointStatus.Failed)
                {
                    RequeueLocked(taken.Slot!);
                    if (copied == 0)
                    {
                        failure = taken.Error;
                    }
                    else
                    {
                        // The bytes copied came before the failure: they go first, and the next read reports it.
                        _heldFailure = taken.Error;
                    }

                    return CopyOutcome.Done;
                }

                held = taken.ToTransfer(this);
            }

            int count = Math.Min(destination.Length - copied, held.Length);
            held.Span[..count].CopyTo(destination[copied..]);
            copied += count;
            if (count < held.Length)
            {
                _held = held.Advance(count);
                return CopyOutcome.Done;
            }

            bool ended = held.EndsTransfer;
            held.Dispose();
            if (ended && copied > 0)
            {
                return CopyOutcome.Done;
            }
        }

        return CopyOutcome.Done;
    }

    /// <summary>
    /// Under the lock: copies what has completed into a parked copying read's buffer, and claims the read when that
    /// ends it. A nested completion leaves this to the outer one, as for <see cref="TryAnswerReaderLocked"/>.
    /// </summary>
    /// <returns>Whether the read was claimed: complete it with <see cref="AnswerCopier"/> once out of the lock.</returns>
    private bool TryAnswerCopierLocked(out CopyAnswer answer)
    {
        answer = default;
        if (_handingOff || !_copier.IsWaiting)
        {
            return false;
        }

        _handingOff = true;
        try
        {
            int copied = _copied;
            CopyOutcome outcome = CopyLocked(_copyTarget.Span, ref copied, default, out Errno failure);
            _copied = copied;
            if (outcome == CopyOutcome.Pending)
            {
                return false;
            }

            bool claimed = _copier.TryClaimLocked();
            Debug.Assert(claimed);
            answer = new CopyAnswer(copied, failure);
            EndCopyLocked();
            return true;
        }
        finally
        {
            _handingOff = false;
        }
    }

    /// <summary>
    /// Out of the lock: resumes a copying read claimed by <see cref="TryAnswerCopierLocked"/> on the endpoint's
    /// <see cref="ResumeThread"/> (or the thread pool when that is busy; a failure always there): the caller's code never
    /// runs on the completion thread (a copy there is the endpoint's own work).
    /// </summary>
    private void AnswerCopier(in CopyAnswer answer)
    {
        if (answer.Failure == Errno.None)
        {
            if (_resumeThread is { } thread)
            {
                thread.Resume(answer.Copied);
            }
            else
            {
                _copier.Complete(answer.Copied, runContinuationInline: false);
            }
        }
        else
        {
            _copier.Fail(ReadFailed(answer.Failure), runContinuationInline: false);
        }
    }

    /// <summary>A parked copying read's wait was cancelled: it returns what was copied, if anything.</summary>
    private bool CopyCancelledLocked(out int copied)
    {
        copied = _copied;
        EndCopyLocked();
        return copied > 0;
    }

    /// <summary>Under the lock: the parked copying read is over; its buffer is the caller's again, and so is the endpoint.</summary>
    private void EndCopyLocked()
    {
        _copyTarget = default;
        _copied = 0;
        Volatile.Write(ref _reading, 0);
    }

    /// <summary>
    /// Lends the next received transfer in place, with no copy: the zero-copy level, shaped like
    /// <c>PipeReader.ReadAsync</c> with <see cref="OutTransfer.Dispose"/> as its <c>AdvanceTo</c>. Each host transfer
    /// comes as it was received (one read per <see cref="TransferSize"/> bytes; a zero-length packet as an empty
    /// transfer, see <see cref="OutTransfer.EndsTransfer"/>). What a copying read left of a transfer comes first.
    /// </summary>
    /// <remarks>
    /// After a wait, the caller resumes on the AIO completion thread, which saves a thread hop per transfer: do not
    /// block there, or every endpoint stalls. The endpoint has <see cref="QueueDepth"/> buffers: a transfer kept keeps
    /// one out of the read queue until it is disposed. One reader at a time.
    /// </remarks>
    /// <param name="cancellationToken">Stops waiting (throws <see cref="OperationCanceledException"/>); queued reads stay queued.</param>
    /// <returns>
    /// The transfer (<see cref="EndpointStatus.Ok"/>); <see cref="EndpointStatus.Failed"/> with <see cref="OutTransfer.Error"/>
    /// when the kernel failed the read; at once <see cref="EndpointStatus.Disabled"/> while the endpoint is disabled
    /// and nothing is left to deliver, and <see cref="EndpointStatus.Stopped"/> after disposal.
    /// </returns>
    /// <exception cref="InvalidOperationException">Another read is running on this endpoint.</exception>
    public ValueTask<OutTransfer> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw Busy();
        }

        try
        {
            OutTransfer held = TakeHeld();
            if (held.HasBuffer)
            {
                return new ValueTask<OutTransfer>(held);
            }

            if (_heldFailure != Errno.None)
            {
                Errno failure = _heldFailure;
                _heldFailure = Errno.None;
                return new ValueTask<OutTransfer>(new OutTransfer(EndpointStatus.Failed, failure));
            }

            return TakeAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>
    /// What a copying read left of a transfer, now the caller's; none if it was received in an earlier enable cycle
    /// (the host has reset its side since) or the endpoint stopped: it is dropped then.
    /// </summary>
    private OutTransfer TakeHeld()
    {
        OutTransfer held = _held;
        _held = default;
        if (held.HasBuffer && (held.Generation != Volatile.Read(ref _generation) || Volatile.Read(ref _stopped)))
        {
            held.Dispose();
            return default;
        }

        return held;
    }

    /// <summary>The next completed read, or why there is none.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    private ValueTask<OutTransfer> TakeAsync(CancellationToken cancellationToken)
    {
        TakenRead taken;
        lock (Gate)
        {
            // Under the lock ENABLE takes: a reader whose run a DISABLE cancelled never takes the next cycle's data.
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromException<OutTransfer>(new OperationCanceledException(cancellationToken));
            }

            if (_receiver.IsRunningLocked || _copier.HasWaiter)
            {
                throw Busy();
            }

            if (!TryTakeLocked(out taken))
            {
                // The completion that brings the next read hands it over directly.
                return _reader.WaitLocked(cancellationToken);
            }
        }

        RequeueFailed(taken.Failed);
        return new ValueTask<OutTransfer>(taken.ToTransfer(this));
    }

    /// <summary>
    /// Hands every read to <paramref name="handler"/> as it completes, instead of a <see cref="ReadAsync(CancellationToken)"/> loop: in the
    /// order the host sent the data, one call at a time, on the AIO completion thread (reads that completed before this
    /// call go out on the caller's thread, and what is left when the endpoint is disabled or stopped on the thread that
    /// disables or stops it). No task, state machine or extra lock stands between two reads, so this is the cheapest way
    /// to consume an endpoint: a sink at 512 B spends about a tenth less CPU per transfer than with <see cref="ReadAsync(CancellationToken)"/>.
    /// </summary>
    /// <remarks>
    /// Each call owns its transfer (see <see cref="IOutTransferHandler.OnReceivedAsync"/>). A transfer kept past the call
    /// keeps its buffer out of the read queue until it is disposed. A call whose task is pending holds the next one back
    /// until it completes, which then runs the next call on the thread that completed it.
    /// </remarks>
    /// <returns>
    /// A task that completes when receiving ends: with <see cref="EndpointStatus.Disabled"/> or
    /// <see cref="EndpointStatus.Stopped"/> once everything read before is handed over; cancelled when
    /// <paramref name="cancellationToken"/> is (after the handler's current call and its task complete); faulted with the
    /// exception the handler threw or its task ended with (the transfer it was given is then disposed).
    /// </returns>
    /// <exception cref="InvalidOperationException">Another <see cref="ReceiveAsync"/> or <see cref="ReadAsync(CancellationToken)"/> is running.</exception>
    internal Task<EndpointStatus> ReceiveAsync(IOutTransferHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _receiver.Start(handler, cancellationToken);
    }

    private IOException ReadFailed(Errno error) =>
        new($"A read on {Path} failed: {error.Describe()}. The bytes the host sent in that transfer are lost; the endpoint reads on.");

    private static InvalidOperationException Busy() =>
        new("Another read or receive is already running on this endpoint. An endpoint serves one reader at a time: await ReadAsync before the next call, and do not mix it with ReceiveAsync.");

    /// <summary>
    /// A read taken from the completed queue, or why there is none (Failed, Disabled, Stopped). One reference, not an
    /// <see cref="OutTransfer"/>'s two: the receiver's pump copies it through out parameters on every completion, and
    /// each reference copied there costs a write barrier.
    /// </summary>
    private readonly record struct TakenRead(TransferSlot? Slot, int Version, int Length, EndpointStatus Status, Errno Error)
    {
        /// <summary>A failed read's slot: it carries no data, so the taker queues it again once out of the lock.</summary>
        public TransferSlot? Failed => Status == EndpointStatus.Failed ? Slot : null;

        public OutTransfer ToTransfer(OutEndpoint endpoint) =>
            Status == EndpointStatus.Ok ? new OutTransfer(endpoint, Slot!, Version, Length) : new OutTransfer(Status, Error);
    }

    private enum CopyOutcome
    {
        /// <summary>The read needs more, and nothing is waiting.</summary>
        Pending,
        /// <summary>The read is over.</summary>
        Done,
        /// <summary>The caller's token was cancelled before the next completed read was taken.</summary>
        Cancelled,
    }

    /// <summary>How a parked copying read ends: the bytes copied, or the errno of the read the kernel failed.</summary>
    private readonly record struct CopyAnswer(int Copied, Errno Failure);

    /// <summary>
    /// A parked copying read's buffer, in a form the completion thread can write without running the caller's code: an
    /// array, or the memory of a <see cref="MemoryManager{T}"/> pinned by the caller.
    /// </summary>
    private readonly unsafe struct CopyTarget
    {
        private readonly byte[]? _array;
        private readonly int _start;
        private readonly void* _pointer;
        private readonly int _length;

        public CopyTarget(ArraySegment<byte> array) => (_array, _start, _length) = (array.Array, array.Offset, array.Count);

        public CopyTarget(MemoryHandle pin, int length)
        {
            _pointer = pin.Pointer;
            _length = length;
        }

        public bool IsPinned => _pointer is not null;

        public Span<byte> Span => _array is not null ? new Span<byte>(_array, _start, _length) : new Span<byte>(_pointer, _length);
    }

    private enum Receive
    {
        None,
        Now,
        Later,
    }

    /// <summary><see cref="ReceiveAsync"/>'s pump: hands completed reads to the handler.</summary>
    private sealed class Receiver(OutEndpoint endpoint) : TransferPump<IOutTransferHandler, TakenRead, bool>(endpoint.Gate)
    {
        private ValueTask _pendingCall;

        protected override int CurrentCycleLocked => endpoint._generation;

        protected override bool IsStoppedLocked => endpoint._stopped;

        protected override void ThrowIfBusyLocked()
        {
            if (IsRunningLocked || endpoint._reader.IsWaiting || endpoint._copier.IsWaiting)
            {
                throw Busy();
            }
        }

        protected override Take TryTakeLocked(out TakenRead item, out EndpointStatus ended)
        {
            ended = default;
            if (!endpoint.TryTakeLocked(out item))
            {
                return Take.Nothing;
            }

            if (item.Status is EndpointStatus.Disabled or EndpointStatus.Stopped)
            {
                ended = item.Status;
                return Take.Ended;
            }

            return Take.Item;
        }

        protected override bool TryCall(in TakenRead item, CancellationToken cancellationToken, out bool result)
        {
            endpoint.RequeueFailed(item.Failed);
            ValueTask call = Callback!.OnReceivedAsync(item.ToTransfer(endpoint), cancellationToken);
            result = true;
            if (call.IsCompleted)
            {
                call.GetAwaiter().GetResult();
                return true;
            }

            _pendingCall = call;
            return false;
        }

        protected override void ContinueAfterPendingCall(Action continuation) =>
            _pendingCall.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);

        protected override bool EndPendingCall()
        {
            ValueTask call = _pendingCall;
            _pendingCall = default;
            call.GetAwaiter().GetResult();
            return true;
        }

        // The handler owns the transfer: nothing to do for it here.
        protected override bool FinishLocked(in TakenRead item, bool result) => true;

        // The handler can no longer dispose it; if it was sent or disposed already, this does nothing.
        protected override void Abandon(in TakenRead item) => item.ToTransfer(endpoint).Dispose();
    }

    /// <summary>ENABLE: learn the max packet size at this speed, then queue every idle buffer.</summary>
    internal void Enable(int generation, int packetSize)
    {
        lock (Gate)
        {
            if (_stopped)
            {
                return;
            }

            _generation = generation;
            _enabled = true;
            _transferSize = RoundToPackets(_configuredTransferSize, packetSize);
            int carried = 0;
            for (int i = 0; i < _completed.Count; i++)
            {
                TransferSlot slot = _completed[i];
                carried += slot.State == SlotState.Completed && IsNextSessionOf(slot, generation - 1) ? 1 : 0;
            }

            if (carried > 0)
            {
                FunctionFsLog.EndpointReadsCarriedOver(Logger, Name, carried);
            }

            foreach (TransferSlot slot in _slots)
            {
                // A submission that finds the endpoint disabled again (EAGAIN) ends this cycle at once.
                if (slot.State == SlotState.Idle && _enabled)
                {
                    SubmitLocked(slot);
                }
            }

            DiscardEarlierCyclesLocked();
        }
    }

    /// <summary>
    /// Whether <paramref name="slot"/> was queued in enable cycle <paramref name="generation"/> after the last read the
    /// kernel ended: it holds data the host sent after a reset that cycle had not seen yet as an event.
    /// </summary>
    private bool IsNextSessionOf(TransferSlot slot, int generation)
        => slot.Generation == generation && _resetGeneration == generation && slot.Sequence > _resetSequence;

    /// <summary>
    /// While enabled, drops completed reads an earlier enable cycle left undelivered and queues their buffers again.
    /// The host has reset its side since it sent them (DISABLE, bus reset, SET_CONFIGURATION), as a UDC's FIFO is
    /// flushed, so handing them to the new cycle's reader would replay stale data into a new session.
    /// </summary>
    private void DiscardEarlierCyclesLocked()
    {
        if (!_completed.TryPeek(out TransferSlot? head) || head.Generation == _generation)
        {
            // The usual case: no read of an earlier cycle heads the queue.
            return;
        }

        // Delivery follows submission order, so an earlier cycle's reads are always at the head of the queue, and
        // those the host sent after its reset follow those it sent before.
        int discarded = 0;
        long bytes = 0;
        while (_enabled && _completed.TryPeek(out TransferSlot? slot) && slot.Generation != _generation)
        {
            if (slot.State == SlotState.Completed && IsNextSessionOf(slot, _generation - 1))
            {
                break;
            }

            _completed.Dequeue();
            if (slot.State != SlotState.Completed)
            {
                continue;
            }

            discarded++;
            bytes += Math.Max(0, slot.Result);
            slot.State = SlotState.Idle;
            SubmitLocked(slot);
        }

        if (discarded > 0)
        {
            FunctionFsLog.EndpointStaleReadsDiscarded(Logger, Name, discarded, bytes);
        }
    }

    /// <inheritdoc/>
    internal override void Disable(string reason, int? generation = null)
    {
        bool answered;
        TakenRead answer;
        bool copyAnswered;
        CopyAnswer copyAnswer;
        lock (Gate)
        {
            if (!_enabled || (generation is int cycle && cycle != _generation))
            {
                return;
            }

            _enabled = false;
            answered = TryAnswerReaderLocked(out answer);
            copyAnswered = TryAnswerCopierLocked(out copyAnswer);
        }

        FunctionFsLog.EndpointDisabled(Logger, Name, reason);
        if (answered)
        {
            AnswerReader(answer, runContinuationInline: false);
        }

        if (copyAnswered)
        {
            AnswerCopier(copyAnswer);
        }

        // A receiver gets what is left, then ends with Disabled.
        _receiver.Resume();
    }

    /// <summary>Waits until the kernel has returned every buffer (no read in flight).</summary>
    internal Task WhenIdleAsync()
    {
        lock (Gate)
        {
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    /// <summary>Stops for good: cancels queued reads, waits for every buffer, gives the buffers back to the pool.</summary>
    internal async Task<bool> StopAsync(TimeSpan timeout)
    {
        bool answered;
        TakenRead answer;
        bool copyAnswered;
        CopyAnswer copyAnswer;
        lock (Gate)
        {
            _stopped = true;
            _enabled = false;
            answered = TryAnswerReaderLocked(out answer);
            copyAnswered = TryAnswerCopierLocked(out copyAnswer);
        }

        if (answered)
        {
            AnswerReader(answer, runContinuationInline: false);
        }

        if (copyAnswered)
        {
            AnswerCopier(copyAnswer);
        }

        _resumeThread?.Stop();
        _receiver.Resume();
        if (Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
        {
            // No reader is running: what a copying read left goes back now (a running one drops it itself).
            TakeHeld();
            Volatile.Write(ref _reading, 0);
        }

        Io.CancelAll(File);
        bool drained = await WaitAsync(WhenIdleAsync(), timeout).ConfigureAwait(false);
        if (drained)
        {
            FunctionFsLog.EndpointDrained(Logger, Name, _slots.Length);
            lock (Gate)
            {
                foreach (TransferSlot slot in _slots)
                {
                    // Leased buffers go back when their OutTransfer is disposed.
                    if (slot.State is SlotState.Idle or SlotState.Completed)
                    {
                        Release(slot);
                    }
                }
            }
        }

        return drained;
    }

    /// <summary>Moves a lease to a new holder: the old <paramref name="version"/> can no longer return the slot.</summary>
    internal bool TryTakeLease(TransferSlot slot, int version, out int newVersion)
    {
        lock (Gate)
        {
            if (slot.State != SlotState.Leased || slot.Version != version)
            {
                newVersion = 0;
                return false;
            }

            newVersion = ++slot.Version;
            return true;
        }
    }

    /// <summary>
    /// Ends a lease by exchanging buffers with <paramref name="write"/> (an IN slot, whose endpoint's lock the caller
    /// holds): the write gets the received buffer, and the slot gets the write's idle one and is queued for the next
    /// read at once.
    /// </summary>
    /// <returns>False when <paramref name="version"/> no longer holds the lease.</returns>
    internal bool TryExchangeLease(TransferSlot slot, int version, TransferSlot write)
    {
        lock (Gate)
        {
            if (slot.State != SlotState.Leased || slot.Version != version)
            {
                return false;
            }

            (slot.Buffer, write.Buffer) = (write.Buffer, slot.Buffer);
            slot.Version++;
            RequeueLocked(slot);
            return true;
        }
    }

    internal void Return(TransferSlot slot, int version)
    {
        // A transfer sent with SendAsync is disposed after it as a rule: nothing to do, and no lock to take for it.
        if (slot.HasMovedOn(version))
        {
            return;
        }

        lock (Gate)
        {
            if (slot.State != SlotState.Leased || slot.Version != version)
            {
                return;
            }

            RequeueLocked(slot);
        }
    }

    /// <summary>A buffer back from its reader: queued for the next read, kept idle while disabled, or released after a stop.</summary>
    private void RequeueLocked(TransferSlot slot)
    {
        if (_stopped)
        {
            // The kernel never holds a leased buffer, so it can go back to the pool now.
            Release(slot);
        }
        else if (_enabled)
        {
            SubmitLocked(slot);
        }
        else
        {
            slot.State = SlotState.Idle;
        }
    }

    /// <summary>
    /// Under the lock: leases the next completed read to the reader, or says why there is none (stopped, disabled).
    /// </summary>
    /// <param name="taken">
    /// The answer. For a read the kernel failed, the caller queues its buffer (<see cref="TakenRead.Failed"/>) again
    /// with <see cref="RequeueFailed"/> once out of the lock (a submission refused at once would complete under it).
    /// </param>
    /// <returns>False when there is nothing to answer yet: the reader waits.</returns>
    private bool TryTakeLocked(out TakenRead taken)
    {
        if (_completed.Count == 0 && _enabled && !_stopped)
        {
            // The usual answer to a reader or handler asking for more.
            taken = default;
            return false;
        }

        DiscardEarlierCyclesLocked();
        TransferSlot? slot;
        // A slot a stop released after it was queued for the reader is skipped.
        do
        {
            if (!_completed.TryPeek(out slot) || (slot.State == SlotState.Completed && IsNextSessionOf(slot, _generation)))
            {
                // Nothing, or data of the host's next session: that is for the next ENABLE's reader.
                if (_stopped)
                {
                    taken = new TakenRead(null, 0, 0, EndpointStatus.Stopped, Errno.None);
                    return true;
                }

                if (!_enabled)
                {
                    taken = new TakenRead(null, 0, 0, EndpointStatus.Disabled, Errno.ESHUTDOWN);
                    return true;
                }

                taken = default;
                return false;
            }

            _completed.Dequeue();
        }
        while (slot.State != SlotState.Completed);

        taken = LeaseLocked(slot, slot.Error);
        return true;
    }

    /// <summary>Under the lock: lends a completed read's buffer to the reader or handler; a failed read carries its errno.</summary>
    private static TakenRead LeaseLocked(TransferSlot slot, Errno error)
    {
        slot.State = SlotState.Leased;
        int version = ++slot.Version;
        return error == Errno.None
            ? new TakenRead(slot, version, (int)slot.Result, EndpointStatus.Ok, Errno.None)
            : new TakenRead(slot, version, 0, EndpointStatus.Failed, error);
    }

    private void RequeueFailed(TransferSlot? failed)
    {
        if (failed is not null)
        {
            Return(failed, failed.Version);
        }
    }

    /// <summary>
    /// Under the lock: answers a parked reader if there is now something to answer. A completion nested in this
    /// (a resubmission refused at once) leaves the answering to this outer one, which sees what it queued.
    /// </summary>
    /// <returns>Whether the reader was claimed: complete it with <paramref name="taken"/> once out of the lock.</returns>
    private bool TryAnswerReaderLocked(out TakenRead taken)
    {
        taken = default;
        if (_handingOff || !_reader.IsWaiting)
        {
            return false;
        }

        _handingOff = true;
        try
        {
            if (!TryTakeLocked(out taken))
            {
                return false;
            }

            // Nothing else can claim the reader meanwhile: Cancel needs the lock, and nested completions stay out.
            bool claimed = _reader.TryClaimLocked();
            Debug.Assert(claimed);
            return true;
        }
        finally
        {
            _handingOff = false;
        }
    }

    /// <summary>Out of the lock: resumes a reader claimed by <see cref="TryAnswerReaderLocked"/>.</summary>
    private void AnswerReader(in TakenRead taken, bool runContinuationInline)
    {
        RequeueFailed(taken.Failed);

        // Never inline under the lock: a completion nested in a locked section resumes the reader on the thread pool.
        _reader.Complete(taken.ToTransfer(this), runContinuationInline && !Gate.IsHeldByCurrentThread);
    }

    /// <summary>
    /// Submits under the lock, so the kernel's queue order is the order of <see cref="TransferSlot.Sequence"/>, and
    /// two submissions never meet on the endpoint mutex (which a non-blocking file only tries, failing with EAGAIN).
    /// </summary>
    private void SubmitLocked(TransferSlot slot)
    {
        slot.State = SlotState.InFlight;
        slot.Generation = _generation;
        slot.Length = _transferSize;
        slot.Sequence = _nextSequence++;
        _inFlight++;

        slot.Submit(File, write: false);
    }

    private void OnCompleted(TransferSlot slot)
    {
        Errno error = slot.Error;
        int generation = slot.Generation;
        TaskCompletionSource? idle = null;
        bool kernelDisabled;
        bool answered;
        TakenRead answer = default;
        bool copyAnswered = false;
        CopyAnswer copyAnswer = default;
        bool nested = Gate.IsHeldByCurrentThread;
        Receive receive = Receive.None;
        TakenRead delivery = default;
        PumpEnd? receiveEnd = null;
        lock (Gate)
        {
            _inFlight--;
            long sequence = slot.Sequence;
            TransferSlot? deliverable = null;
            bool endedByKernel = false;
            if (_stopped)
            {
                slot.State = SlotState.Idle;
            }
            else if (!IsShutdownLike(error))
            {
                slot.State = SlotState.Completed;
                deliverable = slot;
            }
            else
            {
                endedByKernel = true;
                slot.State = SlotState.Idle;
                if (_enabled && generation != _generation)
                {
                    // A read of an earlier enable cycle that the kernel ended after the new ENABLE was read: queue it
                    // again in this cycle (it gets a new sequence number).
                    SubmitLocked(slot);
                }
            }

            kernelDisabled = false;
            answered = false;
            if (deliverable is not null && sequence == _nextDelivery && _readyCount == 0 && _completed.Count == 0
                && generation == _generation && _resetGeneration != generation && !nested && _receiver.TryClaimLocked(generation))
            {
                // Every completion of a receive in steady state: the next read in order, nothing queued before it, the
                // handler idle. It is leased to the handler straight away, as a take would, without the queue.
                _nextDelivery++;
                delivery = LeaseLocked(slot, error);
                receive = Receive.Now;
            }
            else
            {
                // The kernel completes an endpoint's reads in order, but a failed submission completes at once: hand
                // data to the reader strictly in submission order, which is the order the host sent it.
                var read = new ReadyRead(sequence, deliverable, generation, endedByKernel);
                bool delivered;
                if (_readyCount == 0 && sequence == _nextDelivery)
                {
                    // Next in order with nothing waiting: no detour through the list.
                    delivered = DeliverNext(read, ref kernelDisabled);
                }
                else
                {
                    AddReady(read);
                    delivered = FlushReady(ref kernelDisabled);
                }

                answered = (delivered || kernelDisabled) && TryAnswerReaderLocked(out answer);
                copyAnswered = (delivered || kernelDisabled) && TryAnswerCopierLocked(out copyAnswer);

                // Never call the receiver under the lock: a completion nested in a locked section leaves it to the
                // thread calling it now, or to the pool.
                if ((delivered || kernelDisabled) && _receiver.IsRunningLocked)
                {
                    receive = nested
                        ? (_receiver.IsCallingLocked ? Receive.None : Receive.Later)
                        : (_receiver.TryStartLocked(out delivery, out receiveEnd) ? Receive.Now : Receive.None);
                }
            }

            if (_inFlight == 0 && _idle is not null)
            {
                idle = _idle;
                _idle = null;
            }
        }

        if (error == Errno.None)
        {
            FunctionFsMetrics.Completed(Path, slot.Result);
        }
        else if (!IsShutdownLike(error))
        {
            FunctionFsMetrics.Failed(Path);
            FunctionFsLog.EndpointTransferFailed(Logger, Name, error.Describe());
        }

        if (kernelDisabled)
        {
            FunctionFsLog.EndpointDisabledByKernel(Logger, Name, error.Describe());
            KernelDisabled?.Invoke(generation);
        }

        receiveEnd?.Complete();
        if (receive == Receive.Now)
        {
            // On the completion thread, the receiver runs right here: no thread hop per transfer.
            _receiver.Run(delivery);
        }
        else if (receive == Receive.Later)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static receiver => receiver.Resume(), _receiver, preferLocal: false);
        }

        if (answered)
        {
            // On the completion thread, the reader's next step runs right here: no thread hop per transfer.
            AnswerReader(answer, runContinuationInline: Io.IsCompletionThread);
        }

        if (copyAnswered)
        {
            AnswerCopier(copyAnswer);
        }

        idle?.TrySetResult();
    }

    private void AddReady(ReadyRead read)
    {
        if (_readyCount == _ready.Length)
        {
            Array.Resize(ref _ready, _readyCount * 2);
        }

        _ready[_readyCount++] = read;
    }

    /// <summary>Takes the completions that are next in submission order: queues data, and notes where the kernel reset.</summary>
    /// <param name="kernelDisabled">Set when a read of the current cycle shows the kernel disabled the endpoint.</param>
    /// <returns>Whether data was queued for the reader.</returns>
    private bool FlushReady(ref bool kernelDisabled)
    {
        bool delivered = false;
        for (int i = 0; i < _readyCount; i++)
        {
            if (_ready[i].Sequence != _nextDelivery)
            {
                continue;
            }

            ReadyRead read = _ready[i];
            _ready[i] = _ready[--_readyCount];
            _ready[_readyCount] = default;
            delivered |= DeliverNext(read, ref kernelDisabled);
            i = -1; // the next sequence may be anywhere: scan again
        }

        return delivered;
    }

    /// <summary>The completion next in submission order: queues its data, or notes where the kernel reset.</summary>
    /// <returns>Whether data was queued for the reader.</returns>
    private bool DeliverNext(in ReadyRead read, ref bool kernelDisabled)
    {
        Debug.Assert(read.Sequence == _nextDelivery);
        _nextDelivery++;
        if (read.EndedByKernel)
        {
            _resetSequence = read.Sequence;
            _resetGeneration = read.Generation;
            if (_enabled && read.Generation == _generation)
            {
                // The kernel has disabled the endpoint; it may enable it again before DISABLE can be read. Stop
                // queueing reads of this cycle now, so that none lands in the host's next session.
                _enabled = false;
                kernelDisabled = true;
            }

            return false;
        }

        if (read.Slot is null)
        {
            return false;
        }

        _completed.Enqueue(read.Slot);
        return true;
    }

    private static void Release(TransferSlot slot)
    {
        if (slot.State != SlotState.Released)
        {
            slot.State = SlotState.Released;
            slot.Release();
        }
    }

    // ESHUTDOWN: disabled with the read queued; EAGAIN: submitted while disabled (the only cause, as submissions on a
    // file never meet: see Gate); ECONNRESET: cancelled.
    private static bool IsShutdownLike(Errno error) => error is Errno.ESHUTDOWN or Errno.ECONNRESET or Errno.EAGAIN;

    /// <summary>A completion waiting for its turn in submission order.</summary>
    private readonly record struct ReadyRead(long Sequence, TransferSlot? Slot, int Generation, bool EndedByKernel);

    internal static int RoundToPackets(int size, int packetSize)
    {
        if (packetSize <= 0)
        {
            return size;
        }

        int rounded = size / packetSize * packetSize;
        return rounded == 0 ? packetSize : rounded;
    }

    internal static async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
