using System.Runtime.InteropServices;
using UsbGadget.Aio;

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
/// One AIO buffer of an endpoint and its transfer in flight. The completion continuation is cached, so a transfer
/// round trip allocates nothing.
/// </summary>
internal sealed class TransferSlot
{
    private readonly Action<TransferSlot> _onCompleted;
    private readonly Action _continuation;
    private ValueTask<AioResult> _pending;

    public TransferSlot(AioBuffer buffer, Action<TransferSlot> onCompleted)
    {
        Buffer = buffer;
        _onCompleted = onCompleted;
        _continuation = Continue;
    }

    public AioBuffer Buffer { get; }

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
    public int Version { get; set; }

    public Errno Error => Result < 0 ? (Errno)(-Result) : Errno.None;

    /// <summary>
    /// Submits the slot's buffer as a read (OUT) or write (IN) of <see cref="Length"/> bytes. A submission the engine
    /// refuses completes the slot at once with the errno, as the kernel would have.
    /// </summary>
    public void Submit(IEndpointIo io, SafeHandle file, bool write)
    {
        ValueTask<AioResult> pending;
        try
        {
            pending = write
                ? io.WriteAsync(file, Source, Length)
                : io.ReadAsync(file, Source, Length);
        }
        catch (LinuxIOException ex)
        {
            Fail(ex.Errno);
            return;
        }
        catch (ObjectDisposedException)
        {
            Fail(Errno.ESHUTDOWN);
            return;
        }
        catch (InvalidOperationException)
        {
            // The engine has no free operation; it is sized for every queue, so this is a bug, reported as EIO.
            Fail(Errno.EIO);
            return;
        }

        Start(pending);
    }

    public void Start(ValueTask<AioResult> pending)
    {
        _pending = pending;
        if (pending.IsCompleted)
        {
            Continue();
        }
        else
        {
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_continuation);
        }
    }

    /// <summary>Completes without the kernel, e.g. when io_submit itself failed.</summary>
    public void Fail(Errno error)
    {
        Result = -(long)error;
        _onCompleted(this);
    }

    private void Continue()
    {
        ValueTask<AioResult> pending = _pending;
        _pending = default;
        try
        {
            Result = pending.GetAwaiter().GetResult().Result;
        }
        catch (LinuxIOException ex)
        {
            Result = -(long)ex.Errno;
        }
        catch (OperationCanceledException)
        {
            Result = -(long)Errno.ECONNRESET;
        }
        catch (ObjectDisposedException)
        {
            Result = -(long)Errno.ESHUTDOWN;
        }
        catch (Exception)
        {
            // Never let a failure escape onto the completion thread; the endpoint reports EIO instead.
            Result = -(long)Errno.EIO;
        }

        _onCompleted(this);
    }
}
