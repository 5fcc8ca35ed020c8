using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An IN endpoint (device to host) with a bounded write queue. <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> copies into one of a fixed set
/// of AIO buffers and submits it, one USB transfer per call, and waits while every buffer is in flight
/// (back-pressure); <see cref="AsStream"/> and <see cref="AsPipeWriter"/> adapt it. <see cref="GetBufferAsync"/> lends
/// such a buffer to fill in place instead, with no copy: the zero-copy level.
/// </summary>
/// <remarks>
/// <para>One writer at a time. Data is sent in submission order. Writes queued when the endpoint is disabled
/// (configuration change, bus reset, disconnect) are dropped by the kernel; the next <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> throws
/// <see cref="EndpointDisabledException"/>. A write the kernel fails after it was queued is logged and counted in
/// <see cref="Failures"/>.</para>
/// </remarks>
public sealed class InEndpoint : EndpointFile
{
    private readonly AioBufferPool _pool;
    private readonly TransferSlot[] _slots;
    private readonly SlotStack _free;
    private readonly AsyncSignal _freed;
    private readonly AsyncHandoff<InTransfer> _bufferTaker;

    // Received transfers sent with SendAsync while every buffer was in flight, in order; each holds its OUT lease.
    // Not empty only while the free stack is: a freed buffer serves this queue first.
    private readonly Queue<OutTransfer> _queuedSends;

    // SendFromAsync's pump: free buffers to the source, one call at a time.
    private readonly Source _source;
    private readonly int _transferSize;
    private int _packetSize;
    private bool _takerResumesInline;

    // A copying writer parked for room resumes once this many buffers are free, not at the first one: it then queues
    // that many writes without waiting, so its thread-pool hop is paid once per batch instead of once per transfer,
    // while the writes still in flight keep the kernel's queue busy. The zero-copy level resumes inline at once.
    private readonly int _copyingWakeThreshold;

    // The last write filled its last packet and nothing ended the host's transfer yet (see EndTransferAsync). Only the
    // one writer reads it; Send writes it under the lock.
    private bool _transferOpen;

    // EndTransfer found every buffer in flight: the next buffer freed sends the zero-length packet, before anything else.
    private bool _endOwed;
    private Stream? _stream;
    private PipeWriter? _pipeWriter;
    private bool _enabled;
    private bool _stopped;
    private int _generation;
    private int _inFlight;
    private long _failures;
    private TaskCompletionSource? _idle;

    internal InEndpoint(
        string path, UnixFileHandle file, FunctionFsEndpoint declared, IEndpointIo io, AioBufferPool pool, int depth, int transferSize, ILogger logger)
        : base(path, file, declared, io, logger)
    {
        _pool = pool;
        _freed = new AsyncSignal(Gate);
        _bufferTaker = new AsyncHandoff<InTransfer>(Gate);
        _queuedSends = new Queue<OutTransfer>(depth);
        _source = new Source(this);
        _transferSize = transferSize;
        _packetSize = DeclaredPacketSize;
        _slots = new TransferSlot[depth];
        _free = new SlotStack(depth);
        _copyingWakeThreshold = Math.Max(1, depth / 2);
        Action<TransferSlot> onCompleted = OnCompleted;
        for (int i = 0; i < depth; i++)
        {
            _slots[i] = new TransferSlot(pool.Rent(), io, onCompleted);
            _free.Push(_slots[i]);
        }
    }

    /// <inheritdoc/>
    public override bool IsEnabled => Volatile.Read(ref _enabled);

    /// <summary>Number of writes that may be in flight.</summary>
    public int QueueDepth => _slots.Length;

    /// <summary>Largest single transfer; longer writes are split.</summary>
    public int TransferSize => _transferSize;

    /// <summary>Writes submitted and not completed yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Writes that completed with an error other than the ESHUTDOWN of a disable (logged).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Whether a write's zero-length packet waits until the data before it is sent, instead of being queued behind it
    /// at once: for dummy_hcd before Linux 6.18.22/6.12.81/6.1.168, which sends a queued one early
    /// (<see cref="DummyHcdZeroLengthPacketQuirk"/>).
    /// </summary>
    internal bool ZeroLengthPacketWaitsForData { get; init; }

    /// <summary>
    /// Copies <paramref name="data"/> into the endpoint's buffers and queues it for the host as one USB transfer: the
    /// primary way to write an endpoint. Returns once everything is queued (not yet sent); waits while every buffer is
    /// in flight (back-pressure: the host reads too slowly).
    /// </summary>
    /// <remarks>
    /// <para>On a bulk endpoint, the transfer is ended for the host: when its length is a whole number of packets, a
    /// zero-length packet follows, so a host read of any size returns with exactly these bytes (one message, one host
    /// read). Data longer than <see cref="TransferSize"/> goes out in several kernel writes, still one host transfer. An
    /// empty <paramref name="data"/> sends a zero-length packet (an empty transfer). Interrupt and isochronous endpoints
    /// send the bytes as they are (their host reads whole reports or packets). To stream bytes to a host that reads
    /// fixed-size blocks, where that zero-length packet would arrive as an extra empty read, write with
    /// <see cref="WriteAsync(ReadOnlyMemory{byte}, bool, CancellationToken)"/> and <c>endTransfer: false</c>, or
    /// through <see cref="AsStream"/>.</para>
    /// <para>The code after <c>await</c> never runs on the AIO completion thread: blocking there stalls only the caller.
    /// One writer at a time. Allocates nothing per call once warm.</para>
    /// </remarks>
    /// <param name="data">The bytes; the caller may reuse the memory as soon as this returns.</param>
    /// <param name="cancellationToken">Stops waiting for a buffer. What was queued before stays queued.</param>
    /// <exception cref="EndpointDisabledException">
    /// The host disabled the endpoint (deconfigured the device, reset the bus or went away) or the function stopped;
    /// what was not queued yet is dropped. A write that began in one enable cycle never continues into the next.
    /// </exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before everything was queued; a function's run token is
    /// cancelled by DISABLE, so a cancelled run never sends into the next enable cycle.
    /// </exception>
    /// <exception cref="InvalidOperationException">Another write is waiting on this endpoint.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        WriteAsync(data, endTransfer: true, cancellationToken);

    /// <summary>
    /// Copies <paramref name="data"/> into the endpoint's buffers and queues it for the host, ending the host's transfer
    /// after it or not: <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> with the framing chosen.
    /// </summary>
    /// <remarks>
    /// <para>With <paramref name="endTransfer"/> false no zero-length packet is added: a write that fills its last
    /// packet leaves the host's transfer open, and the next write continues it. That is what a host reading fixed-size
    /// blocks expects of a byte stream (each block one host read, no empty read in between); a host reading with a
    /// larger buffer waits until a later write ends the transfer. A write that does not fill its last packet ends the
    /// transfer all the same: USB has no other way to send its short packet.</para>
    /// <para>Otherwise as <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</para>
    /// </remarks>
    /// <param name="data">The bytes; the caller may reuse the memory as soon as this returns.</param>
    /// <param name="endTransfer">End the host's transfer after these bytes (on a bulk endpoint: a zero-length packet when they fill their last packet).</param>
    /// <param name="cancellationToken">Stops waiting for a buffer. What was queued before stays queued.</param>
    /// <exception cref="EndpointDisabledException">As <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException">As <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</exception>
    /// <exception cref="InvalidOperationException">Another write is waiting on this endpoint.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification =
        "The bool is required, so no call binds to both; the shape of QuicStream.WriteAsync(buffer, completeWrites, cancellationToken).")]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, bool endTransfer, CancellationToken cancellationToken = default)
    {
        EndpointStatus status = await WriteCoreAsync(data, framed: endTransfer, resumeInline: false, cancellationToken).ConfigureAwait(false);
        if (status != EndpointStatus.Ok)
        {
            throw new EndpointDisabledException(Name, status == EndpointStatus.Stopped);
        }
    }

    /// <summary>A write-only <see cref="Stream"/> over <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, for <c>StreamWriter</c>, <c>System.Text.Json</c> and the like.</summary>
    /// <remarks>
    /// A byte stream: each <c>Write</c> is queued at once and does not end the host's transfer
    /// (<see cref="WriteAsync(ReadOnlyMemory{byte}, bool, CancellationToken)"/> with <c>endTransfer: false</c>), so a host
    /// reading fixed-size blocks gets them with no empty read in between. <c>Flush</c> ends the transfer (a zero-length
    /// packet if the last write filled its last packet), so what was written up to a flush is one message for a host
    /// reading with a larger buffer; it does not wait for the host (<see cref="FlushAsync"/> does). Writing nothing sends
    /// nothing. Made once: every call returns the same stream; disposing it does not close the endpoint.
    /// </remarks>
    public Stream AsStream() => _stream ??= new EndpointStream(null, this);

    /// <summary>
    /// A <see cref="PipeWriter"/> over <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>: what is written
    /// between two <c>FlushAsync</c> calls goes to the host as one USB transfer, ended for the host. <c>CancelPendingFlush</c>
    /// ends a flush waiting for room (or the next flush) with <c>IsCanceled</c>; what it had not queued stays unflushed.
    /// Completing it does not close the endpoint; made once.
    /// </summary>
    public PipeWriter AsPipeWriter() => _pipeWriter ??= new EndpointPipeWriter(this);

    /// <summary><see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>'s work; the status instead of an exception.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="framed">End a bulk transfer with a zero-length packet when it fills its last packet.</param>
    /// <param name="resumeInline">Whether the caller may resume on the completion thread after a wait.</param>
    /// <param name="cancellationToken">Stops waiting for a buffer.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<EndpointStatus> WriteCoreAsync(ReadOnlyMemory<byte> data, bool framed, bool resumeInline, CancellationToken cancellationToken)
    {
        // A copy into lent buffers: the same wait, hand-off and enable-cycle checks as GetBufferAsync and Send.
        QueuedByLastWrite = 0;
        int offset = 0;
        int generation = -1;
        bool endWithZeroLengthPacket = framed && data.Length > 0 && NeedsZeroLengthPacket(data.Length);
        do
        {
            if (offset > 0 && offset == data.Length && ZeroLengthPacketWaitsForData)
            {
                // Only the zero-length packet is left. An affected dummy_hcd would send it ahead of data its budget
                // cut short, ending the host's transfer early: it goes once the data is sent.
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                if (!resumeInline && Io.IsCompletionThread)
                {
                    await Task.Yield();
                }
            }

            ValueTask<InTransfer> taking = TakeBufferAsync(cancellationToken, resumeInline);
            using InTransfer transfer = taking.IsCompletedSuccessfully ? taking.Result : await taking.ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok)
            {
                return transfer.Status;
            }

            // No transfer straddles two enable cycles: the host reset its side in between.
            if (generation != -1 && transfer.Generation != generation)
            {
                return EndpointStatus.Disabled;
            }

            generation = transfer.Generation;
            int length = Math.Min(data.Length - offset, _transferSize);
            if (length == 0)
            {
                endWithZeroLengthPacket = false;
            }

            data.Span.Slice(offset, length).CopyTo(transfer.Span);

            // A run that DISABLE cancelled while this copied sends nothing; Send refuses a later enable cycle itself.
            cancellationToken.ThrowIfCancellationRequested();
            EndpointStatus sent = transfer.Send(length);
            if (sent != EndpointStatus.Ok)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return sent;
            }

            offset += length;
            QueuedByLastWrite = offset;
        }
        while (offset < data.Length || endWithZeroLengthPacket);

        return EndpointStatus.Ok;
    }

    /// <summary>
    /// How many bytes of its data the last <see cref="WriteCoreAsync"/> queued, also when it ended early (cancelled,
    /// disabled): the PipeWriter keeps the rest for its next flush. Only the one writer reads it.
    /// </summary>
    internal int QueuedByLastWrite { get; private set; }

    /// <summary>
    /// Ends the host's transfer if the last write left it open (it filled its last packet and did not end it): a
    /// zero-length packet, queued now or, while every buffer is in flight, from the next buffer freed, ahead of any
    /// later write. Never waits. Nothing to do otherwise. The Stream adapter's Flush.
    /// </summary>
    internal EndpointStatus EndTransfer()
    {
        if (!_transferOpen)
        {
            return EndpointStatus.Ok;
        }

        lock (Gate)
        {
            ThrowIfSourceRunningLocked();
            if (_stopped || !_enabled)
            {
                return _stopped ? EndpointStatus.Stopped : EndpointStatus.Disabled;
            }

            _transferOpen = false;
            if (_free.TryPop(out TransferSlot? slot))
            {
                slot.Version++;
                SubmitLocked(slot, 0);
            }
            else
            {
                _endOwed = true;
            }

            return EndpointStatus.Ok;
        }
    }

    /// <summary>
    /// Whether a bulk write of <paramref name="length"/> bytes needs a zero-length packet after it to end the host's
    /// transfer: it fills its last packet.
    /// </summary>
    private bool NeedsZeroLengthPacket(int length) =>
        Declared.Type == EndpointTransferType.Bulk && length % Volatile.Read(ref _packetSize) == 0;

    /// <summary>
    /// Sends the bytes of <paramref name="received"/>, an OUT transfer, straight from the buffer they arrived in: an
    /// echo or a forward with no copy. The OUT endpoint takes this endpoint's idle buffer in exchange and queues its next
    /// read into it at once, so its read queue stays full while the echo is in flight (if either buffer is too small
    /// for the other endpoint, the received one is lent instead and goes back when this write completes).
    /// </summary>
    /// <remarks>
    /// <para>This does not wait for room. While every write is in flight the transfer waits its turn behind them, in
    /// order, and the completion that frees a buffer sends it (as a C gadget's FIFO does): no caller parks, and an echo
    /// needs no state machine. The back-pressure is the buffer it holds: its OUT endpoint reads on with one buffer
    /// fewer, and once all of them wait here, reading stops until the host takes data from this endpoint. Writes,
    /// lent buffers and a source started after it go out behind it. A disable drops the waiting transfers as the kernel
    /// drops the writes in flight, and their buffers go back to their OUT endpoint unsent; <see cref="FlushAsync"/>
    /// waits for them too.</para>
    /// <para>When this returns <see cref="EndpointStatus.Ok"/> the buffer belongs to the write: do not touch
    /// <paramref name="received"/>'s data again, and disposing it does nothing. Otherwise it is still the caller's.
    /// Data longer than <see cref="TransferSize"/> is copied and split as <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> does (and that
    /// waits for room). An empty transfer sends a zero-length packet.</para>
    /// </remarks>
    /// <returns>
    /// <see cref="EndpointStatus.Ok"/> once the transfer is submitted or waiting its turn; otherwise as <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="received"/> holds no data: its status is not Ok.</exception>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="received"/> was already disposed or sent, or another writer is waiting for a buffer.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the call.</exception>
    internal ValueTask<EndpointStatus> SendAsync(OutTransfer received, CancellationToken cancellationToken = default)
    {
        if (received.Status != EndpointStatus.Ok)
        {
            throw new ArgumentException($"The OUT transfer holds no data (its status is {received.Status}); check Status before sending it.", nameof(received));
        }

        if (received.Length > _transferSize || received.Offset != 0)
        {
            return WriteRawAsync(received, cancellationToken);
        }

        lock (Gate)
        {
            ThrowIfSourceRunningLocked();
            if (_stopped)
            {
                return new ValueTask<EndpointStatus>(EndpointStatus.Stopped);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromException<EndpointStatus>(new OperationCanceledException(cancellationToken));
            }

            if (!_enabled)
            {
                return new ValueTask<EndpointStatus>(EndpointStatus.Disabled);
            }

            if (_free.TryPeek(out TransferSlot? slot))
            {
                if (!received.TryHandOverTo(slot, _transferSize))
                {
                    throw AlreadySent();
                }

                _free.Pop();
                SubmitLocked(slot, received.Length);
                return new ValueTask<EndpointStatus>(EndpointStatus.Ok);
            }

            // A freed buffer serves the queue first: queueing behind a parked writer would overtake it.
            if (_bufferTaker.IsWaiting)
            {
                throw new InvalidOperationException(
                    "A writer is waiting for a buffer on this endpoint. An endpoint serves one writer at a time: await WriteAsync or GetBufferAsync before sending.");
            }

            // Every buffer is in flight (or lent): the transfer waits its turn, and the completion that frees one sends it.
            // The queue takes the lease over, so the caller's dispose after this does nothing.
            if (!received.TryTakeOver(out OutTransfer queued))
            {
                throw AlreadySent();
            }

            _queuedSends.Enqueue(queued);
            return new ValueTask<EndpointStatus>(EndpointStatus.Ok);
        }
    }

    /// <summary>A received transfer too long for one write, or partly read: copied and split, with no framing added.</summary>
    private ValueTask<EndpointStatus> WriteRawAsync(OutTransfer received, CancellationToken cancellationToken) =>
        WriteCoreAsync(received.Data, framed: false, resumeInline: true, cancellationToken);

    private static InvalidOperationException AlreadySent() =>
        new("This OUT transfer was already disposed or sent: its buffer belongs to its endpoint again.");

    /// <summary>
    /// Lends the caller one of the endpoint's AIO buffers to fill and <see cref="InTransfer.Send"/>: the zero-copy
    /// form of <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. Waits while every buffer is in flight, and after such a wait the caller
    /// resumes on the AIO completion thread (do not block there).
    /// </summary>
    /// <returns>
    /// A transfer whose <see cref="InTransfer.Status"/> is <see cref="EndpointStatus.Ok"/> with a buffer of
    /// <see cref="TransferSize"/> bytes, or <see cref="EndpointStatus.Disabled"/>/<see cref="EndpointStatus.Stopped"/>
    /// without one. Send it or dispose it: the endpoint has <see cref="QueueDepth"/> buffers.
    /// </returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask<InTransfer> GetBufferAsync(CancellationToken cancellationToken = default) =>
        TakeBufferAsync(cancellationToken, resumeInline: true);

    /// <summary>A buffer to fill, or why there is none.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <param name="resumeInline">Whether the caller may resume on the completion thread after a wait.</param>
    private ValueTask<InTransfer> TakeBufferAsync(CancellationToken cancellationToken, bool resumeInline)
    {
        lock (Gate)
        {
            ThrowIfSourceRunningLocked();
            if (_stopped)
            {
                return new ValueTask<InTransfer>(new InTransfer(EndpointStatus.Stopped));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromException<InTransfer>(new OperationCanceledException(cancellationToken));
            }

            if (!_enabled)
            {
                return new ValueTask<InTransfer>(new InTransfer(EndpointStatus.Disabled));
            }

            if (_free.TryPop(out TransferSlot? slot))
            {
                return new ValueTask<InTransfer>(LendLocked(slot));
            }

            // Every buffer is in flight: the completion that frees one lends it straight to this caller.
            _takerResumesInline = resumeInline;
            return _bufferTaker.WaitLocked(cancellationToken);
        }
    }

    /// <summary>
    /// Hands each free buffer to <paramref name="source"/> to fill, and sends what it returns, instead of a
    /// <see cref="GetBufferAsync"/> loop: one call at a time, in order, on the AIO completion thread as writes complete
    /// (the buffers free when this is called are filled on the caller's thread). No task, state machine or hand-off
    /// stands between two writes, and the write and the next buffer take one trip through the endpoint's lock: the
    /// cheapest way to feed an endpoint.
    /// </summary>
    /// <remarks>
    /// A call whose task is pending holds the next one back until it completes, which then runs the next call on the
    /// thread that completed it. While this runs, the endpoint's other writers (<see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>,
    /// <see cref="GetBufferAsync"/>, <see cref="SendAsync(OutTransfer, CancellationToken)"/>) throw
    /// <see cref="InvalidOperationException"/>. Data filled in one enable cycle is never sent in the next.
    /// </remarks>
    /// <returns>
    /// A task that completes when sending ends: with <see cref="EndpointStatus.Ok"/> once the source returns
    /// <see cref="IInTransferSource.EndOfData"/> (what it filled before is queued; <see cref="FlushAsync"/> waits for
    /// it); with <see cref="EndpointStatus.Disabled"/> or <see cref="EndpointStatus.Stopped"/>; cancelled when
    /// <paramref name="cancellationToken"/> is (after the current call and its task complete); faulted with the exception
    /// the source threw or its task ended with (the buffer it was filling is not sent).
    /// </returns>
    /// <exception cref="InvalidOperationException">Another writer is waiting, or another source is running.</exception>
    internal Task<EndpointStatus> SendFromAsync(IInTransferSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return _source.Start(source, cancellationToken);
    }

    private void ThrowIfSourceRunningLocked()
    {
        if (_source.IsRunningLocked)
        {
            throw new InvalidOperationException(
                "A source started with SendFromAsync is feeding this endpoint. An endpoint serves one writer at a time: cancel the source (or return EndOfData from it) before writing otherwise.");
        }
    }

    /// <summary>
    /// Waits until every queued write has completed (sent, or dropped by a disable), including transfers that
    /// <see cref="SendAsync(OutTransfer, CancellationToken)"/> queued behind them.
    /// </summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ValueTask<bool> bufferFreed;
            lock (Gate)
            {
                if ((_inFlight == 0 && _queuedSends.Count == 0) || _stopped)
                {
                    return;
                }

                bufferFreed = _freed.WaitAsync(cancellationToken);
            }

            await bufferFreed.ConfigureAwait(false);
        }
    }

    /// <summary>ENABLE: the endpoint takes writes of this cycle.</summary>
    /// <param name="generation">The enable cycle.</param>
    /// <param name="packetSize">The max packet size at this speed (0: the declared one), for zero-length-packet framing.</param>
    internal void Enable(int generation, int packetSize = 0)
    {
        lock (Gate)
        {
            if (_stopped)
            {
                return;
            }

            _packetSize = packetSize > 0 ? packetSize : DeclaredPacketSize;

            // Every way out of a cycle drops its queued sends, so none reaches this one.
            Debug.Assert(_queuedSends.Count == 0);
            _generation = generation;
            _enabled = true;

            // The host's side was reset: nothing of an earlier transfer is open there.
            _transferOpen = false;
            _endOwed = false;
        }
    }

    /// <inheritdoc/>
    internal override void Disable(string reason, int? generation = null)
    {
        bool takerParked;
        lock (Gate)
        {
            if (!_enabled || (generation is int cycle && cycle != _generation))
            {
                return;
            }

            _enabled = false;
            _endOwed = false;
            DropQueuedSendsLocked();
            takerParked = _bufferTaker.TryClaimLocked();
        }

        FunctionFsLog.EndpointDisabled(Logger, Name, reason);
        AnswerParkedTaker(takerParked, EndpointStatus.Disabled);
        _source.Resume();
        _freed.Set();
    }

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

    internal async Task<bool> StopAsync(TimeSpan timeout)
    {
        bool takerParked;
        lock (Gate)
        {
            _stopped = true;
            _enabled = false;
            _endOwed = false;
            DropQueuedSendsLocked();
            takerParked = _bufferTaker.TryClaimLocked();
        }

        AnswerParkedTaker(takerParked, EndpointStatus.Stopped);
        _source.Resume();

        Io.CancelAll(File);
        bool drained = await OutEndpoint.WaitAsync(WhenIdleAsync(), timeout).ConfigureAwait(false);
        _freed.Set();
        if (drained)
        {
            FunctionFsLog.EndpointDrained(Logger, Name, _slots.Length);
            lock (Gate)
            {
                foreach (TransferSlot slot in _slots)
                {
                    // A buffer being filled goes back when its writer sees the stop.
                    if (slot.State == SlotState.Idle)
                    {
                        Release(slot);
                    }
                }
            }
        }

        return drained;
    }

    /// <summary>
    /// Submits under the lock: the kernel queues writes in the order of the calls, and two submissions never meet
    /// on the endpoint mutex (which a non-blocking file only tries, failing with EAGAIN).
    /// </summary>
    private void SubmitLocked(TransferSlot slot, int length)
    {
        slot.State = SlotState.InFlight;
        slot.Generation = _generation;
        slot.Length = length;
        _inFlight++;

        slot.Submit(File, write: true);
    }

    internal EndpointStatus Send(TransferSlot slot, int version, int length)
    {
        lock (Gate)
        {
            if (slot.State != SlotState.Filling || slot.Version != version)
            {
                throw new InvalidOperationException("This buffer was already sent or disposed: take a new one from GetBufferAsync for every transfer.");
            }

            if (!_stopped && _enabled && slot.Generation == _generation)
            {
                slot.Version++;
                SubmitLocked(slot, length);
                _transferOpen = length > 0 && NeedsZeroLengthPacket(length);
                return EndpointStatus.Ok;
            }

            if (!ReturnUnsentLocked(slot))
            {
                return EndpointStatus.Stopped;
            }
        }

        Free(slot);
        return EndpointStatus.Disabled;
    }

    internal void Return(TransferSlot slot, int version)
    {
        // A sent buffer is disposed after Send as a rule: nothing to do, and no lock to take for it.
        if (slot.HasMovedOn(version))
        {
            return;
        }

        lock (Gate)
        {
            if (slot.State != SlotState.Filling || slot.Version != version || !ReturnUnsentLocked(slot))
            {
                return;
            }
        }

        Free(slot);
    }

    /// <summary>
    /// A buffer taken for a write that is not sent: back to the pool after a stop (false), otherwise idle (true: the
    /// caller frees it once out of the lock). A lent <see cref="InTransfer"/> for it can no longer send or return it.
    /// </summary>
    private bool ReturnUnsentLocked(TransferSlot slot)
    {
        slot.Version++;
        if (_stopped)
        {
            Release(slot);
            return false;
        }

        slot.State = SlotState.Idle;
        return true;
    }

    private void OnCompleted(TransferSlot slot)
    {
        Errno error = slot.Error;
        int generation = slot.Generation;
        TaskCompletionSource? idle = null;
        bool kernelDisabled = false;
        OutEndpoint? lender;
        TransferSlot? borrowed;
        int lease;
        Freed freed = default;
        bool nested = Gate.IsHeldByCurrentThread;
        lock (Gate)
        {
            _inFlight--;
            slot.State = SlotState.Idle;
            (lender, borrowed, lease) = (slot.BorrowedFrom, slot.BorrowedSlot, slot.BorrowedVersion);
            (slot.BorrowedFrom, slot.BorrowedSlot) = (null, null);
            if (!_stopped && _enabled && generation == _generation && error is Errno.ESHUTDOWN or Errno.ECONNRESET or Errno.EAGAIN)
            {
                // The kernel has disabled the endpoint, and may enable it again before DISABLE can be read: a write of
                // this cycle submitted after that would reach the host's next session.
                _enabled = false;
                kernelDisabled = true;
                DropQueuedSendsLocked();
            }

            if (!_stopped)
            {
                // Freed in the same locked section: one lock per completion.
                freed = FreeLocked(slot, nested);
            }

            if (_inFlight == 0 && _idle is not null)
            {
                idle = _idle;
                _idle = null;
            }
        }

        // EAGAIN means io_submit found the endpoint not enabled (the kernel disabled it before we saw DISABLE). It is
        // not retried: a later resubmission would reorder the stream. ESHUTDOWN/ECONNRESET: disabled or cancelled.
        if (error == Errno.None)
        {
            FunctionFsMetrics.Completed(Path, slot.Result);
        }
        else if (error is not (Errno.ESHUTDOWN or Errno.ECONNRESET or Errno.EAGAIN))
        {
            FunctionFsMetrics.Failed(Path);
            Interlocked.Increment(ref _failures);
            FunctionFsLog.EndpointTransferFailed(Logger, Name, error.Describe());
        }

        // The kernel is done with an echoed OUT buffer: it goes back to its endpoint for the next read.
        lender?.Return(borrowed!, lease);

        if (kernelDisabled)
        {
            FunctionFsLog.EndpointDisabledByKernel(Logger, Name, error.Describe());
            KernelDisabled?.Invoke(generation);
        }

        // On the completion thread, a writer waiting for room continues right here: no thread hop per transfer.
        Resume(freed, runContinuationInline: !nested && Io.IsCompletionThread);
        idle?.TrySetResult();
    }

    private void Free(TransferSlot slot)
    {
        Freed freed;
        bool nested = Gate.IsHeldByCurrentThread;
        lock (Gate)
        {
            freed = FreeLocked(slot, nested);
        }

        Resume(freed, runContinuationInline: !nested && Io.IsCompletionThread);
    }

    /// <summary>
    /// Under the lock: a buffer is free again. The first transfer queued by <see cref="SendAsync"/> is sent from it at
    /// once; otherwise a writer parked in <see cref="GetBufferAsync"/> gets it lent at once (or hears that the endpoint
    /// is disabled); otherwise it goes on the free stack, and a caller waiting in <see cref="FlushAsync"/> is signalled.
    /// A running source takes it from there at once, unless it is being called (it takes it when the call is over).
    /// </summary>
    private Freed FreeLocked(TransferSlot slot, bool nested)
    {
        if (_source.IsRunningLocked)
        {
            // No other writer waits while a source runs.
            bool wake = _freed.SetLocked();
            if (_enabled && !_stopped && !nested && _source.TryClaimLocked(_generation))
            {
                // Every completion of a source in steady state: the buffer is lent to the idle source straight away,
                // as a take would (the free stack is last in, first out), without going through the stack.
                MarkLentLocked(slot);
                return new Freed(FreedTo.Source, slot, Wake: wake);
            }

            _free.Push(slot);
            if (_source.IsCallingLocked)
            {
                return new Freed(wake ? FreedTo.Signal : FreedTo.Stack);
            }

            if (nested)
            {
                // Never call the source inside someone else's locked section: the pool calls it.
                return new Freed(FreedTo.SourceLater, Wake: wake);
            }

            return _source.TryStartLocked(out TransferSlot? filling, out PumpEnd? end)
                ? new Freed(FreedTo.Source, filling, Wake: wake)
                : new Freed(FreedTo.SourceEnded, End: end, Wake: wake);
        }

        if (_endOwed)
        {
            _endOwed = false;
            if (_enabled)
            {
                slot.Version++;
                SubmitLocked(slot, 0);
                return new Freed(FreedTo.Stack);
            }
        }

        if (_queuedSends.Count != 0 && SendQueuedLocked(slot))
        {
            return new Freed(FreedTo.Stack);
        }

        if (_bufferTaker.IsWaiting && ReadyToResumeTakerLocked() && _bufferTaker.TryClaimLocked())
        {
            if (_enabled)
            {
                MarkLentLocked(slot);
                return new Freed(FreedTo.Taker, slot, slot.Version);
            }

            _free.Push(slot);
            return new Freed(FreedTo.Taker, Status: EndpointStatus.Disabled);
        }

        _free.Push(slot);
        return new Freed(_freed.SetLocked() ? FreedTo.Signal : FreedTo.Stack);
    }

    /// <summary>
    /// Under the lock, as a buffer is freed while a writer waits for room: whether to resume it now. A lease taker
    /// (<see cref="GetBufferAsync"/>) resumes inline at once; a copying writer once <see cref="_copyingWakeThreshold"/>
    /// buffers are free with this one, or when nothing else is in flight (no later completion would wake it).
    /// </summary>
    private bool ReadyToResumeTakerLocked() =>
        _takerResumesInline || _free.Count + 1 >= _copyingWakeThreshold || _inFlight == 0;

    /// <summary>
    /// Under the lock: sends the first queued transfer from <paramref name="slot"/>. False when none could be sent: the
    /// queued buffers are gone (their OUT endpoint stopped). A disable has emptied the queue already.
    /// </summary>
    private bool SendQueuedLocked(TransferSlot slot)
    {
        Debug.Assert(_enabled);
        while (_queuedSends.TryDequeue(out OutTransfer next))
        {
            if (next.TryHandOverTo(slot, _transferSize))
            {
                SubmitLocked(slot, next.Length);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Under the lock: the queued transfers are not sent, and their buffers go back to their OUT endpoint, as the
    /// kernel drops the writes in flight at a disable. (This endpoint's lock may be held while OUT's is taken.)
    /// </summary>
    private void DropQueuedSendsLocked()
    {
        while (_queuedSends.TryDequeue(out OutTransfer dropped))
        {
            dropped.Dispose();
        }
    }

    /// <summary>Out of the lock: tells the claimed writer parked in GetBufferAsync <paramref name="status"/> (Disabled or Stopped).</summary>
    private void AnswerParkedTaker(bool claimed, EndpointStatus status)
    {
        if (claimed)
        {
            _bufferTaker.Complete(new InTransfer(status), runContinuationInline: false);
        }
    }

    /// <summary>
    /// Out of the lock: resumes the writer <see cref="FreeLocked"/> chose, if any. Never inline under the lock: a
    /// completion nested in a locked section (the caller's <c>nested</c>) resumes the writer on the thread pool.
    /// </summary>
    private void Resume(in Freed freed, bool runContinuationInline)
    {
        switch (freed.To)
        {
            case FreedTo.Taker:
                _bufferTaker.Complete(
                    freed.Slot is { } lent ? new InTransfer(this, lent, freed.Version) : new InTransfer(freed.Status),
                    runContinuationInline && _takerResumesInline);
                break;
            case FreedTo.Signal:
                _freed.Wake(runContinuationInline);
                break;
            case FreedTo.Source:
                WakeIf(freed.Wake, runContinuationInline);
                _source.Run(freed.Slot!);
                break;
            case FreedTo.SourceEnded:
                WakeIf(freed.Wake, runContinuationInline);
                freed.End?.Complete();
                break;
            case FreedTo.SourceLater:
                WakeIf(freed.Wake, runContinuationInline);
                ThreadPool.UnsafeQueueUserWorkItem(static source => source.Resume(), _source, preferLocal: false);
                break;
        }
    }

    private void WakeIf(bool wake, bool runContinuationInline)
    {
        if (wake)
        {
            _freed.Wake(runContinuationInline);
        }
    }

    private InTransfer LendLocked(TransferSlot slot)
    {
        MarkLentLocked(slot);
        return new InTransfer(this, slot, slot.Version);
    }

    /// <summary>Under the lock: the slot is being filled, in this enable cycle, under a new lease.</summary>
    private void MarkLentLocked(TransferSlot slot)
    {
        slot.State = SlotState.Filling;
        slot.Generation = _generation;
        slot.Version++;
    }

    /// <summary>Where a freed buffer went.</summary>
    private enum FreedTo
    {
        /// <summary>On the free stack, or sending a transfer SendAsync queued; nobody to resume.</summary>
        Stack,
        /// <summary>On the free stack, and a waiting writer must be signalled.</summary>
        Signal,
        /// <summary>Lent to the writer parked in GetBufferAsync (or that writer told the endpoint is disabled).</summary>
        Taker,
        /// <summary>Taken by the running source: call it with the buffer (<see cref="Freed.Slot"/>, maybe another one).</summary>
        Source,
        /// <summary>On the free stack, and the source's run is over (<see cref="Freed.End"/>).</summary>
        SourceEnded,
        /// <summary>On the free stack, freed inside a locked section while the source waits: the pool resumes it.</summary>
        SourceLater,
    }

    /// <summary>Where a freed buffer went, and the answer for the writer it resumes.</summary>
    /// <remarks>
    /// Small, with few references: it is returned through a locked section on every completion, and each reference
    /// copied out of a callee costs a write barrier.
    /// </remarks>
    private readonly record struct Freed(
        FreedTo To, TransferSlot? Slot = null, int Version = 0, EndpointStatus Status = EndpointStatus.Ok, PumpEnd? End = null, bool Wake = false);

    /// <summary>
    /// Under the lock: sends what the source filled <paramref name="slot"/> with, unless the endpoint was disabled or
    /// stopped meanwhile (the next take ends the run) or the source is done; false when it is.
    /// </summary>
    private bool FinishFillLocked(TransferSlot slot, int length)
    {
        if (length != IInTransferSource.EndOfData && !_stopped && _enabled && slot.Generation == _generation)
        {
            slot.Version++;
            SubmitLocked(slot, length);
            return true;
        }

        if (ReturnUnsentLocked(slot))
        {
            _free.Push(slot);
        }

        return length != IInTransferSource.EndOfData;
    }

    /// <summary><see cref="SendFromAsync"/>'s pump: hands free buffers to the source and sends what it fills.</summary>
    private sealed class Source(InEndpoint endpoint) : TransferPump<IInTransferSource, TransferSlot, int>(endpoint.Gate)
    {
        private ValueTask<int> _pendingCall;

        protected override int CurrentCycleLocked => endpoint._generation;

        protected override bool IsStoppedLocked => endpoint._stopped;

        protected override void ThrowIfBusyLocked()
        {
            if (endpoint._bufferTaker.IsWaiting)
            {
                throw new InvalidOperationException(
                    "A writer is waiting for a buffer on this endpoint. An endpoint serves one writer at a time: let it finish before starting a source.");
            }

            if (endpoint._queuedSends.Count != 0)
            {
                throw new InvalidOperationException(
                    "Transfers sent with SendAsync are waiting for room on this endpoint. An endpoint serves one writer at a time: await FlushAsync before starting a source.");
            }

            endpoint.ThrowIfSourceRunningLocked();
        }

        protected override Take TryTakeLocked(out TransferSlot? item, out EndpointStatus ended)
        {
            item = null;
            ended = endpoint._stopped ? EndpointStatus.Stopped : EndpointStatus.Disabled;
            if (endpoint._stopped || !endpoint._enabled)
            {
                return Take.Ended;
            }

            if (!endpoint._free.TryPop(out item))
            {
                return Take.Nothing;
            }

            endpoint.MarkLentLocked(item);
            return Take.Item;
        }

        protected override bool TryCall(in TransferSlot item, CancellationToken cancellationToken, out int result)
        {
            ValueTask<int> call = Callback!.FillAsync(item.Buffer.Memory[..endpoint._transferSize], cancellationToken);
            if (call.IsCompleted)
            {
                result = Checked(call.GetAwaiter().GetResult());
                return true;
            }

            _pendingCall = call;
            result = 0;
            return false;
        }

        protected override void ContinueAfterPendingCall(Action continuation) =>
            _pendingCall.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);

        protected override int EndPendingCall()
        {
            ValueTask<int> call = _pendingCall;
            _pendingCall = default;
            return Checked(call.GetAwaiter().GetResult());
        }

        protected override bool FinishLocked(in TransferSlot item, int result) => endpoint.FinishFillLocked(item, result);

        // Not sent: the buffer goes back to the free stack (or the pool, after a stop).
        protected override void Abandon(in TransferSlot item) => endpoint.Return(item, item.Version);

        private int Checked(int length)
        {
            if (length == IInTransferSource.EndOfData || (uint)length <= (uint)endpoint._transferSize)
            {
                return length;
            }

            throw new InvalidOperationException(
                $"{Callback!.GetType().Name}.FillAsync returned {length}: return the number of bytes filled, 0 to {endpoint._transferSize}, or IInTransferSource.EndOfData to end.");
        }
    }

    private static void Release(TransferSlot slot)
    {
        if (slot.State != SlotState.Released)
        {
            slot.State = SlotState.Released;
            slot.Release();
        }
    }
}
