using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// One prepared struct iocb, reusable: prepare it, submit it with <see cref="AioContext.Submit"/>, reap its
/// <see cref="AioEvent"/>, prepare it again.
/// </summary>
/// <remarks>
/// Submitting copies the prepared iocb into a slot of the context's iocb array, where the kernel holds it until the
/// block completes; a block resubmitted to the same context takes the same slot again when it is free.
/// While the block is in flight it keeps its <see cref="AioBuffer"/>s referenced, so none is unmapped under the
/// kernel. Its file handle is referenced for the io_submit call only: the kernel holds the open file itself until the
/// block completes, so disposing the handle meanwhile releases the descriptor and the operation goes on.
/// <see cref="RwFlags"/>, <see cref="Priority"/>, <see cref="ResultEventFd"/> and <see cref="UserData"/> persist
/// across Prepare calls.
/// A block is a native resource: dispose it (disposing an in-flight block defers the free to its completion).
/// </remarks>
public sealed unsafe class AioBlock : IDisposable
{
    // The prepared iocb, copied into a context's slot on submit. Native and aligned so that the copy is two vector moves.
    private readonly Interop.iocb* _iocb;
    private Interop.iovec* _iovecs;
    private int _iovecCapacity;
    private SafeHandle? _file;
    private AioBuffer? _buffer;
    private AioBuffer?[] _segmentBuffers = [];
    private int _segmentBufferCount;
    private bool _prepared;
    private bool _bufferReferenced;
    private int _segmentsReferenced;
    private bool _disposed;
    private bool _disposePending;
    private int _rwFlags;
    private ushort _priority;
    private EventFd? _resultEventFd;
    private ulong _userData;

    // Whether the iocb holds the options above as they are now: a block resubmitted with unchanged options (an
    // endpoint's transfer loop) does not write them again.
    private bool _optionsWritten;

    /// <summary>Allocates the native iocb.</summary>
    public AioBlock()
    {
        _iocb = (Interop.iocb*)NativeMemory.AlignedAlloc((nuint)sizeof(Interop.iocb), 64);
        NativeMemory.Clear(_iocb, (nuint)sizeof(Interop.iocb));
    }

    /// <summary>The operation last prepared.</summary>
    public AioOperation Operation { get; private set; }

    /// <summary>Whether the block was submitted and its event not yet reaped.</summary>
    public bool IsInFlight => Volatile.Read(ref _slot) >= 0;

    /// <summary>The native iocb's address: while in flight the context's slot the kernel holds (what io_event.obj reports), otherwise the prepared iocb.</summary>
    public nint IocbAddress => _slot is int slot and >= 0 && _lastContext is { } context ? (nint)context.SlotIocb(slot) : (nint)_iocb;

    /// <summary>aio_rw_flags: RWF_* flags (<see cref="ReadWriteFlags"/>) for reads and writes; must be 0 for other operations.</summary>
    /// <exception cref="InvalidOperationException">Set while in flight.</exception>
    public int RwFlags
    {
        get => _rwFlags;
        set
        {
            ThrowIfInFlight();
            _rwFlags = value;
            _optionsWritten = false;
        }
    }

    /// <summary>aio_reqprio (see <see cref="IoPriority.Create"/>); 0 leaves the file's priority. A non-zero value sets IOCB_FLAG_IOPRIO.</summary>
    /// <exception cref="InvalidOperationException">Set while in flight.</exception>
    public ushort Priority
    {
        get => _priority;
        set
        {
            ThrowIfInFlight();
            _priority = value;
            _optionsWritten = false;
        }
    }

    /// <summary>An eventfd the kernel signals when this block completes (IOCB_FLAG_RESFD), or null.</summary>
    /// <exception cref="InvalidOperationException">Set while in flight.</exception>
    public EventFd? ResultEventFd
    {
        get => _resultEventFd;
        set
        {
            ThrowIfInFlight();
            _resultEventFd = value;
            _optionsWritten = false;
        }
    }

    /// <summary>A value of the caller's, returned as <see cref="AioEvent.UserData"/> (kept by the block: the iocb's aio_data names the context's slot).</summary>
    /// <exception cref="InvalidOperationException">Set while in flight.</exception>
    public ulong UserData
    {
        get => _userData;
        set
        {
            ThrowIfInFlight();
            _userData = value;
        }
    }

    /// <summary>Whether a cancel was requested since the block was last submitted.</summary>
    public bool CancelRequested { get; internal set; }

    // The context the block was last submitted to, and its slot there while in flight (-1: not in flight). The
    // context is written only when it changes: a block resubmitted to the same context writes no reference. The last
    // slot is where the next submit to that context looks first, so a block keeps its slot (an engine's operation
    // always has the same one).
    private AioContext? _lastContext;
    private int _slot = -1;
    private int _lastSlot = -1;

    /// <summary>The context the block is in flight in, or null.</summary>
    internal AioContext? Context => Volatile.Read(ref _slot) >= 0 ? _lastContext : null;

    /// <summary>The block's slot in <see cref="Context"/> while in flight, otherwise -1.</summary>
    internal int Slot => Volatile.Read(ref _slot);

    /// <summary>The slot to try first in <paramref name="context"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int PreferredSlot(AioContext context) => ReferenceEquals(context, _lastContext) ? _lastSlot : -1;

    /// <summary>Gives the block a slot of <paramref name="context"/> to take first, before it is ever submitted.</summary>
    internal void PreferSlot(AioContext context, int slot)
    {
        _lastContext = context;
        _lastSlot = slot;
    }

    /// <summary>
    /// The context claimed <paramref name="slot"/> for the block: marks it in flight there. False if it already is (a
    /// concurrent submit of the same block won).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryEnterFlight(AioContext context, int slot)
    {
        if (Interlocked.CompareExchange(ref _slot, slot, -1) != -1)
        {
            return false;
        }

        if (!ReferenceEquals(_lastContext, context))
        {
            _lastContext = context;
        }

        _lastSlot = slot;
        return true;
    }

    /// <summary>The kernel is done with the block: it is no longer in flight.</summary>
    internal void LeaveFlight() => Volatile.Write(ref _slot, -1);

    /// <summary>What owns the block (an engine's operation): found from a reaped event without a lookup.</summary>
    internal object? Owner { get; set; }


    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/> into the start of <paramref name="buffer"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The destination; referenced until the event is reaped.</param>
    /// <param name="length">0 to <see cref="AioBuffer.Length"/>.</param>
    /// <param name="offset">The file offset, not negative (ignored by files without positions, such as pipes and endpoints).</param>
    public void PrepareRead(SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        CheckBuffer(buffer, length);
        PrepareCore(AioOperation.Read, Interop.IOCB_CMD_PREAD, file, buffer, buffer.Address, length, offset);
    }

    /// <summary>Reads into raw memory the caller keeps valid until the event is reaped.</summary>
    /// <param name="file">The file.</param>
    /// <param name="address">The destination address.</param>
    /// <param name="length">The length, not negative.</param>
    /// <param name="offset">The file offset, not negative.</param>
    public void PrepareRead(SafeHandle file, nint address, int length, long offset)
    {
        CheckAddress(address, length);
        PrepareCore(AioOperation.Read, Interop.IOCB_CMD_PREAD, file, null, address, length, offset);
    }

    /// <summary>
    /// <see cref="PrepareRead(SafeHandle, AioBuffer, int, long)"/> or <see cref="PrepareWrite(SafeHandle, AioBuffer, int, long)"/>,
    /// for a block started again and again on one file (a reserved request's steady state): when the operation and
    /// file are the ones it was last prepared with, only the buffer, length and offset are checked and written (the
    /// buffer only when it changed, as an echo's exchanged buffers do).
    /// </summary>
    internal void PrepareTransfer(AioOperation operation, SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        Debug.Assert(operation is AioOperation.Read or AioOperation.Write);
        ArgumentNullException.ThrowIfNull(buffer);
        if (operation == Operation && ReferenceEquals(file, _file) && _prepared && !_disposed && _segmentBufferCount == 0
            && !IsInFlight && !file.IsClosed && offset >= 0 && !buffer.IsDisposed && (uint)length <= (uint)buffer.Length)
        {
            Interop.iocb* cb = _iocb;
            if (!ReferenceEquals(buffer, _buffer))
            {
                _buffer = buffer;
                cb->aio_buf = (ulong)(nuint)buffer.Address;
            }

            cb->aio_nbytes = (ulong)length;
            cb->aio_offset = offset;
            return;
        }

        if (operation == AioOperation.Write)
        {
            PrepareWrite(file, buffer, length, offset);
        }
        else
        {
            PrepareRead(file, buffer, length, offset);
        }
    }

    /// <summary>Writes the first <paramref name="length"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The source; referenced until the event is reaped.</param>
    /// <param name="length">0 to <see cref="AioBuffer.Length"/>.</param>
    /// <param name="offset">The file offset, not negative.</param>
    public void PrepareWrite(SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        CheckBuffer(buffer, length);
        PrepareCore(AioOperation.Write, Interop.IOCB_CMD_PWRITE, file, buffer, buffer.Address, length, offset);
    }

    /// <summary>Writes from raw memory the caller keeps valid until the event is reaped.</summary>
    /// <param name="file">The file.</param>
    /// <param name="address">The source address.</param>
    /// <param name="length">The length, not negative.</param>
    /// <param name="offset">The file offset, not negative.</param>
    public void PrepareWrite(SafeHandle file, nint address, int length, long offset)
    {
        CheckAddress(address, length);
        PrepareCore(AioOperation.Write, Interop.IOCB_CMD_PWRITE, file, null, address, length, offset);
    }

    /// <summary>Reads into several segments, in order (preadv).</summary>
    /// <param name="file">The file.</param>
    /// <param name="segments">1 to 1024 (UIO_MAXIOV) segments.</param>
    /// <param name="offset">The file offset, not negative.</param>
    public void PrepareReadVector(SafeHandle file, ReadOnlySpan<AioBufferSegment> segments, long offset)
        => PrepareVector(AioOperation.ReadVector, Interop.IOCB_CMD_PREADV, file, segments, offset);

    /// <summary>Writes from several segments, in order (pwritev).</summary>
    /// <param name="file">The file.</param>
    /// <param name="segments">1 to 1024 (UIO_MAXIOV) segments.</param>
    /// <param name="offset">The file offset, not negative.</param>
    public void PrepareWriteVector(SafeHandle file, ReadOnlySpan<AioBufferSegment> segments, long offset)
        => PrepareVector(AioOperation.WriteVector, Interop.IOCB_CMD_PWRITEV, file, segments, offset);

    /// <summary>Flushes the file's data and metadata (IOCB_CMD_FSYNC).</summary>
    /// <param name="file">The file.</param>
    public void PrepareFsync(SafeHandle file) => PrepareCore(AioOperation.Fsync, Interop.IOCB_CMD_FSYNC, file, null, 0, 0, 0);

    /// <summary>Flushes the file's data (IOCB_CMD_FDSYNC).</summary>
    /// <param name="file">The file.</param>
    public void PrepareFdsync(SafeHandle file) => PrepareCore(AioOperation.Fdsync, Interop.IOCB_CMD_FDSYNC, file, null, 0, 0, 0);

    /// <summary>
    /// Completes when <paramref name="file"/> reports one of <paramref name="events"/> (IOCB_CMD_POLL, one-shot).
    /// The result is the mask that fired; POLLERR and POLLHUP are always included. Cancellable.
    /// </summary>
    /// <param name="file">The file.</param>
    /// <param name="events">The events to wait for.</param>
    public void PreparePoll(SafeHandle file, PollEvents events)
    {
        PrepareCore(AioOperation.Poll, Interop.IOCB_CMD_POLL, file, null, 0, 0, 0);
        _iocb->aio_buf = (ushort)events;
    }

    /// <summary>IOCB_CMD_NOOP. Linux never implemented it: submitting this block fails with EINVAL.</summary>
    /// <param name="file">The file.</param>
    public void PrepareNoop(SafeHandle file) => PrepareCore(AioOperation.Noop, Interop.IOCB_CMD_NOOP, file, null, 0, 0, 0);

    /// <summary>Frees the native iocb, now or (when in flight) once its event was reaped or its context closed.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (IsInFlight)
        {
            _disposePending = true;
            return;
        }

        Free();
    }

    /// <summary>Refuses what the kernel would refuse, naming the problem. Returns null when fine.</summary>
    internal string? ValidateForSubmit()
        => !_disposed && _prepared && _rwFlags == 0 ? null : Refusal();

    private string? Refusal()
    {
        if (_disposed)
        {
            return "the block was disposed";
        }

        if (!_prepared)
        {
            return "the block was never prepared (call a Prepare method first)";
        }

        if (_rwFlags != 0 && Operation is not (AioOperation.Read or AioOperation.Write or AioOperation.ReadVector or AioOperation.WriteVector))
        {
            return $"RwFlags must be 0 for {Operation}; the kernel refuses it with EINVAL";
        }

        return null;
    }

    /// <summary>
    /// Takes references on the memory the kernel will use, and copies the prepared iocb into the slot the kernel will
    /// hold, with aio_data naming the slot (the block's own <see cref="UserData"/> is reported from the block).
    /// </summary>
    internal void AcquireForSubmit(Interop.iocb* slot, int index)
    {
        try
        {
            if (_buffer is { } buffer)
            {
                buffer.AddKernelReference();
                _bufferReferenced = true;
            }

            for (int i = 0; i < _segmentBufferCount; i++)
            {
                _segmentBuffers[i]!.AddKernelReference();
                _segmentsReferenced = i + 1;
            }
        }
        catch
        {
            ReleaseReferences();
            throw;
        }

        if (!_optionsWritten)
        {
            WriteOptions();
        }

        *slot = *_iocb;
        slot->aio_data = (ulong)index;
        CancelRequested = false;
    }

    private void WriteOptions()
    {
        // The kernel never writes these fields (aio_key it sets to KIOCB_KEY, which is 0), so they stay as written.
        // aio_data is not among them: it names the slot, written at submit.
        Interop.iocb* cb = _iocb;
        cb->aio_key = 0;
        cb->aio_rw_flags = _rwFlags;
        cb->aio_reqprio = (short)_priority;
        uint flags = _priority != 0 ? Interop.IOCB_FLAG_IOPRIO : 0;
        if (_resultEventFd is { } efd)
        {
            flags |= Interop.IOCB_FLAG_RESFD;
            cb->aio_resfd = (uint)efd.Fd;
        }
        else
        {
            cb->aio_resfd = 0;
        }

        cb->aio_flags = flags;
        _optionsWritten = true;
    }

    /// <summary>The file the block was last prepared for (null for none).</summary>
    internal SafeHandle? File => _file;

    /// <summary>The kernel is done with the block (completed, refused, or its context destroyed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ReleaseReferences()
    {
        if (_bufferReferenced)
        {
            _bufferReferenced = false;
            _buffer!.ReleaseKernelReference();
        }

        if (_segmentsReferenced != 0)
        {
            ReleaseSegmentReferences();
        }
    }

    private void ReleaseSegmentReferences()
    {
        for (int i = 0; i < _segmentsReferenced; i++)
        {
            _segmentBuffers[i]!.ReleaseKernelReference();
        }

        _segmentsReferenced = 0;
    }

    /// <summary>Called after the context unlinked the block: frees it if Dispose came while it was in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void OnReturnedByKernel()
    {
        if (_disposePending)
        {
            _disposePending = false;
            Free();
        }
    }

    private void Free()
    {
        _file = null;
        _buffer = null;
        Array.Clear(_segmentBuffers);
        _lastContext = null;
        NativeMemory.AlignedFree(_iocb);
        if (_iovecs is not null)
        {
            NativeMemory.Free(_iovecs);
            _iovecs = null;
        }
    }

    private void PrepareVector(AioOperation operation, ushort opcode, SafeHandle file, ReadOnlySpan<AioBufferSegment> segments, long offset)
    {
        if (segments.IsEmpty || segments.Length > 1024)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(segments), segments.Length, "A vectored operation takes 1 to 1024 (UIO_MAXIOV) segments.");
        }

        for (int i = 0; i < segments.Length; i++)
        {
            if (segments[i].Buffer is { IsDisposed: true })
            {
                throw new ObjectDisposedException($"segments[{i}].Buffer", "The segment's buffer was disposed.");
            }

            if (segments[i].Address == 0 && segments[i].Length != 0)
            {
                ThrowHelper.ThrowArgument($"segments[{i}] has a null address.", nameof(segments));
            }
        }

        PrepareCore(operation, opcode, file, null, 0, segments.Length, offset);
        if (_iovecCapacity < segments.Length)
        {
            _iovecs = (Interop.iovec*)NativeMemory.Realloc(_iovecs, (nuint)(segments.Length * sizeof(Interop.iovec)));
            _iovecCapacity = segments.Length;
        }

        if (_segmentBuffers.Length < segments.Length)
        {
            _segmentBuffers = new AioBuffer?[segments.Length];
        }

        for (int i = 0; i < segments.Length; i++)
        {
            _iovecs[i].iov_base = segments[i].Address;
            _iovecs[i].iov_len = (nuint)segments[i].Length;
            if (segments[i].Buffer is { } buffer)
            {
                _segmentBuffers[_segmentBufferCount++] = buffer;
            }
        }

        // For PREADV/PWRITEV aio_buf points at the iovec array and aio_nbytes is the iovec count.
        _iocb->aio_buf = (ulong)(nuint)_iovecs;
    }

    private void PrepareCore(AioOperation operation, ushort opcode, SafeHandle file, AioBuffer? buffer, nint address, int length, long offset)
    {
        ArgumentNullException.ThrowIfNull(file);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfInFlight();

        // IsInvalid is asked of a new file only (a virtual call); closing is checked every time.
        if (file.IsClosed || (!ReferenceEquals(file, _file) && file.IsInvalid))
        {
            ThrowHelper.ThrowArgument("The file handle is closed or invalid.", nameof(file));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);

        // References are written only when they change: a block prepared again and again for the same file and
        // buffer (an endpoint's transfer loop) writes none.
        if (!ReferenceEquals(file, _file))
        {
            _file = file;
        }

        if (!ReferenceEquals(buffer, _buffer))
        {
            _buffer = buffer;
        }

        if (_segmentBufferCount != 0)
        {
            Array.Clear(_segmentBuffers, 0, _segmentBufferCount);
            _segmentBufferCount = 0;
        }

        Interop.iocb* cb = _iocb;
        cb->aio_lio_opcode = opcode;
        cb->aio_fildes = (uint)(int)file.DangerousGetHandle();
        cb->aio_buf = (ulong)(nuint)address;
        cb->aio_nbytes = (ulong)length;
        cb->aio_offset = offset;
        cb->aio_reserved2 = 0;
        Operation = operation;
        _prepared = true;
    }

    private static void CheckBuffer(AioBuffer buffer, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, buffer.Length);
    }

    private static void CheckAddress(nint address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (address == 0 && length != 0)
        {
            ThrowHelper.ThrowArgument("A null address cannot hold data.", nameof(address));
        }
    }

    private void ThrowIfInFlight()
    {
        if (IsInFlight)
        {
            ThrowHelper.ThrowInvalidOperation("The block is in flight: wait until its completion event was reaped before changing it.");
        }
    }
}
