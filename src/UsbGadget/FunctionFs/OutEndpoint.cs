using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using UsbGadget.Aio;
using UsbGadget.Descriptors;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An OUT endpoint (host to device) that keeps a fixed number of AIO reads queued while the function is enabled.
/// </summary>
/// <remarks>
/// <para>Completed reads are handed to <see cref="ReadAsync"/> in submission order (the order the host sent them); disposing the
/// <see cref="OutTransfer"/> requeues its buffer. One reader at a time.</para>
/// <para>On DISABLE (or bus reset, disconnect, UNBIND) the kernel completes queued reads with ESHUTDOWN; the buffers
/// stay here and are queued again at the next ENABLE. Readers see <see cref="EndpointStatus.Disabled"/>, never an
/// exception.</para>
/// </remarks>
public sealed class OutEndpoint : EndpointFile
{
    private const int MaxBusyRetries = 64;

    private readonly object _gate = new();
    private readonly IEndpointIo _io;
    private readonly AioBufferPool _pool;
    private readonly TransferSlot[] _slots;
    private readonly Queue<TransferSlot> _completed;
    private readonly AsyncSignal _deliverable = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly int _configuredTransferSize;
    private int _transferSize;
    private bool _enabled;
    private bool _stopped;
    private int _generation;
    private int _inFlight;
    private long _nextSequence;
    private long _nextDelivery;
    private long[] _readySequences;
    private TransferSlot?[] _readySlots;
    private int _readyCount;
    private TaskCompletionSource? _idle;

    internal OutEndpoint(
        string path, UnixFileHandle file, FunctionFsEndpoint declared, IEndpointIo io, AioBufferPool pool, int depth, int transferSize, ILogger logger)
        : base(path, file, declared, logger)
    {
        _io = io;
        _pool = pool;
        _configuredTransferSize = transferSize;
        _transferSize = transferSize;
        _slots = new TransferSlot[depth];
        _readySequences = new long[depth * 2];
        _readySlots = new TransferSlot?[depth * 2];
        Action<TransferSlot> onCompleted = OnCompleted;
        for (int i = 0; i < depth; i++)
        {
            _slots[i] = new TransferSlot(pool.Rent(), onCompleted);
        }

        _completed = new Queue<TransferSlot>(depth);
    }

    /// <inheritdoc/>
    public override bool IsEnabled => Volatile.Read(ref _enabled);

    /// <summary>Number of reads kept queued.</summary>
    public int QueueDepth => _slots.Length;

    /// <summary>Bytes asked for by each read: the configured size rounded down to a multiple of the current max packet size.</summary>
    public int TransferSize => Volatile.Read(ref _transferSize);

    /// <summary>Reads submitted and not completed yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Waits for the next completed read. Returns at once with <see cref="EndpointStatus.Disabled"/> while the
    /// endpoint is disabled and nothing is left to deliver, and with <see cref="EndpointStatus.Stopped"/> after disposal.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (throws <see cref="OperationCanceledException"/>); queued reads stay queued.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<OutTransfer> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryDeliverNext(cancellationToken, out OutTransfer transfer))
            {
                return transfer;
            }

            if (Volatile.Read(ref _stopped))
            {
                return new OutTransfer(EndpointStatus.Stopped, Errno.None);
            }

            if (!Volatile.Read(ref _enabled))
            {
                return new OutTransfer(EndpointStatus.Disabled, Errno.ESHUTDOWN);
            }

            await _deliverable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>ENABLE: learn the max packet size at this speed, then queue every idle buffer.</summary>
    internal void Enable(int generation, int packetSize)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _generation = generation;
            _enabled = true;
            _transferSize = RoundToPackets(_configuredTransferSize, packetSize);
            foreach (TransferSlot slot in _slots)
            {
                if (slot.State == SlotState.Idle)
                {
                    SubmitLocked(slot);
                }
            }

            DiscardEarlierCyclesLocked();
        }
    }

    /// <summary>
    /// While enabled, drops completed reads an earlier enable cycle left undelivered and queues their buffers again.
    /// The host has reset its side since it sent them (DISABLE, bus reset, SET_CONFIGURATION), as a UDC's FIFO is
    /// flushed, so handing them to the new cycle's reader would replay stale data into a new session.
    /// </summary>
    private void DiscardEarlierCyclesLocked()
    {
        // Delivery follows submission order, so an earlier cycle's reads are always at the head of the queue.
        int discarded = 0;
        long bytes = 0;
        while (_enabled && _completed.TryPeek(out TransferSlot? slot) && slot.Generation != _generation)
        {
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

    /// <summary>DISABLE, UNBIND or a new ENABLE: queued reads are ending with ESHUTDOWN; wake the reader.</summary>
    internal void Disable(string reason)
    {
        lock (_gate)
        {
            if (!_enabled)
            {
                return;
            }

            _enabled = false;
        }

        FunctionFsLog.EndpointDisabled(Logger, Name, reason);
        _deliverable.Set();
    }

    /// <summary>Waits until the kernel has returned every buffer (no read in flight).</summary>
    internal Task WhenIdleAsync()
    {
        lock (_gate)
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
        lock (_gate)
        {
            _stopped = true;
            _enabled = false;
        }

        _deliverable.Set();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        bool drained = await WaitAsync(WhenIdleAsync(), timeout).ConfigureAwait(false);
        if (drained)
        {
            FunctionFsLog.EndpointDrained(Logger, Name, _slots.Length);
            lock (_gate)
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

    internal void Return(TransferSlot slot, int version)
    {
        lock (_gate)
        {
            if (slot.State != SlotState.Leased || slot.Version != version)
            {
                return;
            }

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
    }

    private bool TryDeliverNext(CancellationToken cancellationToken, out OutTransfer transfer)
    {
        TransferSlot? slot;
        int version;
        lock (_gate)
        {
            // Under the lock ENABLE takes: a reader whose run a DISABLE cancelled never takes the next cycle's data.
            cancellationToken.ThrowIfCancellationRequested();
            DiscardEarlierCyclesLocked();
            // A slot a stop released after it was queued for the reader is skipped.
            do
            {
                if (!_completed.TryDequeue(out slot))
                {
                    transfer = default;
                    return false;
                }
            }
            while (slot.State != SlotState.Completed);

            slot.State = SlotState.Leased;
            version = ++slot.Version;
        }

        Errno error = slot.Error;
        if (error == Errno.None)
        {
            transfer = new OutTransfer(this, slot, version, (int)slot.Result);
            return true;
        }

        // A failed read carries no data: requeue the buffer at once and report the errno.
        Return(slot, version);
        transfer = new OutTransfer(EndpointStatus.Failed, error);
        return true;
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

        slot.Submit(_io, File, write: false, _lifetime.Token);
    }

    private void OnCompleted(TransferSlot slot)
    {
        Errno error = slot.Error;
        TaskCompletionSource? idle = null;
        bool delivered;
        lock (_gate)
        {
            _inFlight--;
            long sequence = slot.Sequence;
            TransferSlot? deliverable = null;
            if (_stopped)
            {
                slot.State = SlotState.Idle;
            }
            else if (error == Errno.None || !IsShutdownLike(error))
            {
                slot.Retries = 0;
                slot.State = SlotState.Completed;
                deliverable = slot;
            }
            else if (_enabled && (slot.Generation != _generation || (error == Errno.EAGAIN && slot.Retries++ < MaxBusyRetries)))
            {
                // A read from an earlier enable cycle came back after the new ENABLE, or io_submit found the endpoint
                // not enabled yet: queue it again (it gets a new sequence number).
                slot.State = SlotState.Idle;
                if (error == Errno.EAGAIN)
                {
                    Thread.SpinWait(64);
                }

                SubmitLocked(slot);
            }
            else
            {
                slot.Retries = 0;
                slot.State = SlotState.Idle;
            }

            // The kernel completes an endpoint's reads in order, but a failed submission completes at once: hand data
            // to the reader strictly in submission order, which is the order the host sent it.
            AddReady(sequence, deliverable);
            delivered = FlushReady();

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

        if (delivered)
        {
            _deliverable.Set();
        }

        idle?.TrySetResult();
    }

    private void AddReady(long sequence, TransferSlot? deliverable)
    {
        if (_readyCount == _readySequences.Length)
        {
            Array.Resize(ref _readySequences, _readyCount * 2);
            Array.Resize(ref _readySlots, _readyCount * 2);
        }

        _readySequences[_readyCount] = sequence;
        _readySlots[_readyCount] = deliverable;
        _readyCount++;
    }

    private bool FlushReady()
    {
        bool delivered = false;
        for (int i = 0; i < _readyCount; i++)
        {
            if (_readySequences[i] != _nextDelivery)
            {
                continue;
            }

            TransferSlot? deliverable = _readySlots[i];
            _readyCount--;
            _readySequences[i] = _readySequences[_readyCount];
            _readySlots[i] = _readySlots[_readyCount];
            _readySlots[_readyCount] = null;
            _nextDelivery++;
            if (deliverable is not null)
            {
                _completed.Enqueue(deliverable);
                delivered = true;
            }

            i = -1; // the next sequence may be anywhere: scan again
        }

        return delivered;
    }

    private void Release(TransferSlot slot)
    {
        if (slot.State != SlotState.Released)
        {
            slot.State = SlotState.Released;
            _pool.Return(slot.Buffer);
        }
    }

    private static bool IsShutdownLike(Errno error) => error is Errno.ESHUTDOWN or Errno.ECONNRESET or Errno.EAGAIN;

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
