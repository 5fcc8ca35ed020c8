using System.Runtime.InteropServices;
using UsbGadget.Aio;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>Where an endpoint buffer is.</summary>
internal enum SlotState
{
    /// <summary>Owned by the endpoint, not queued: waits for ENABLE (OUT) or a writer (IN).</summary>
    Idle,
    /// <summary>IN only: a writer is copying data into it.</summary>
    Filling,
    /// <summary>Submitted; the kernel owns the buffer until the completion arrives.</summary>
    InFlight,
    /// <summary>OUT only: completed and queued for the reader.</summary>
    Completed,
    /// <summary>OUT only: handed to the reader, who returns it by disposing the <see cref="OutTransfer"/>.</summary>
    Leased,
    /// <summary>The buffer went back to the pool; the slot is dead.</summary>
    Released,
}

/// <summary>
/// One AIO buffer of an endpoint and its transfer in flight. It is its own completion handler, so a transfer round
/// trip allocates nothing and runs no task machinery.
/// </summary>
internal sealed class TransferSlot : IAioCompletionHandler
{
    private readonly Action<TransferSlot> _onCompleted;
    private readonly IEndpointRequest _request;

    public TransferSlot(AioBuffer buffer, IEndpointIo io, Action<TransferSlot> onCompleted)
    {
        Buffer = buffer;
        _onCompleted = onCompleted;
        _request = io.Reserve(this);
    }

    /// <summary>
    /// The slot's buffer. An echo (<see cref="InEndpoint.SendAsync"/>) exchanges the buffers of an OUT and an IN slot,
    /// so a buffer may end up in the other endpoint; it always goes back to the pool it was rented from. Guarded by the
    /// endpoint's lock.
    /// </summary>
    public AioBuffer Buffer { get; set; }

    /// <summary>
    /// IN only: a received OUT buffer this write sends instead of <see cref="Buffer"/> (a zero-copy echo), and the
    /// lease that gives it back to its endpoint when the write completes. Guarded by the IN endpoint's lock.
    /// </summary>
    public OutEndpoint? BorrowedFrom { get; set; }

    public TransferSlot? BorrowedSlot { get; set; }

    public int BorrowedVersion { get; set; }

    /// <summary>What the transfer in flight reads into or writes from.</summary>
    private AioBuffer Source => BorrowedSlot?.Buffer ?? Buffer;

    /// <summary>Guarded by the endpoint's lock.</summary>
    public SlotState State { get; set; }

    /// <summary>Bytes requested by the transfer in flight.</summary>
    public int Length { get; set; }

    /// <summary>The kernel's res: bytes transferred, or a negative errno.</summary>
    public long Result { get; private set; }

    /// <summary>Per-endpoint submission number: the kernel completes an endpoint's transfers in this order.</summary>
    public long Sequence { get; set; }

    /// <summary>The enable cycle the transfer was submitted in.</summary>
    public int Generation { get; set; }

    /// <summary>Incremented on every lease so a stale <see cref="OutTransfer"/> cannot return the slot twice.</summary>
    public int Version
    {
        get => _version;
        set => Volatile.Write(ref _version, value);
    }

    private int _version;

    /// <summary>
    /// Whether a lease of <paramref name="version"/> has already ended (sent, returned or handed over), read without the
    /// endpoint's lock: versions only grow, so a different value is final. The same value may be stale; check again
    /// under the lock.
    /// </summary>
    public bool HasMovedOn(int version) => Volatile.Read(ref _version) != version;

    public Errno Error => Result < 0 ? (Errno)(-Result) : Errno.None;

    /// <summary>
    /// Whether the lease <paramref name="version"/> (a reader's <see cref="SlotState.Leased"/> or a writer's
    /// <see cref="SlotState.Filling"/>) still holds the buffer. Read without the endpoint's lock: versions only grow,
    /// so a lease that has ended never looks held again.
    /// </summary>
    public bool IsLeaseHeld(int version, SlotState state) => Volatile.Read(ref _version) == version && State == state;

    /// <exception cref="ObjectDisposedException">The lease has ended: its buffer belongs to the endpoint again.</exception>
    public void ThrowIfLeaseEnded(int version, SlotState state)
    {
        if (!IsLeaseHeld(version, state))
        {
            ThrowLeaseEnded(state);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowLeaseEnded(SlotState state) => throw new ObjectDisposedException(
        state == SlotState.Leased ? nameof(OutTransfer) : nameof(InTransfer),
        state == SlotState.Leased
            ? "This transfer was disposed: its buffer is queued for the next read, and its bytes are gone. Copy what you need before Dispose (or use ReadAsync(Memory<byte>), which copies)."
            : "This buffer was sent or disposed: it belongs to the endpoint again. Take a new one from GetBufferAsync for every transfer.");

    /// <summary>The checked <see cref="Memory{T}"/> of the current lease: made on first use, then reused for it.</summary>
    public Memory<byte> LeasedMemory(int version, SlotState state, int offset, int length)
    {
        ThrowIfLeaseEnded(version, state);
        LeasedMemory? current = _leasedMemory;
        if (current is null || !current.Serves(version, offset, length))
        {
            current = new LeasedMemory(this, version, state, offset, length);
            _leasedMemory = current;
        }

        return current.Memory;
    }

    private LeasedMemory? _leasedMemory;

    /// <summary>
    /// Submits the slot's buffer as a read (OUT) or write (IN) of <see cref="Length"/> bytes. A submission the engine
    /// refuses completes the slot at once with the errno, as the kernel would have.
    /// </summary>
    public void Submit(SafeHandle file, bool write)
    {
        try
        {
            if (write)
            {
                _request.StartWrite(file, Source, Length);
            }
            else
            {
                _request.StartRead(file, Source, Length);
            }
        }
        catch (LinuxIOException ex)
        {
            Fail(ex.Errno);
        }
        catch (ObjectDisposedException)
        {
            Fail(Errno.ESHUTDOWN);
        }
        catch (InvalidOperationException)
        {
            // The slot's request is still in flight: a bug in the endpoint's bookkeeping, reported as EIO.
            Fail(Errno.EIO);
        }
    }

    /// <summary>
    /// The slot is done (its endpoint stopped, nothing in flight): the buffer goes back to the pool it came from (which
    /// may be the other endpoint's, after an exchange), and the reserved request back to the engine.
    /// </summary>
    public void Release()
    {
        Buffer.Pool!.Return(Buffer);
        _request.Dispose();
    }

    /// <summary>Completes without the kernel, e.g. when io_submit itself failed.</summary>
    public void Fail(Errno error)
    {
        Result = -(long)error;
        _onCompleted(this);
    }

    /// <summary>The kernel's result (or io_submit's refusal, as -errno).</summary>
    public void OnAioCompleted(AioResult result)
    {
        Result = result.Result;
        _onCompleted(this);
    }
}
