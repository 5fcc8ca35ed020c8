using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// A Linux AIO context (io_setup) with raw kernel semantics: blocks go in with <see cref="Submit"/>,
/// completions come out of <see cref="GetEvents"/> with res/res2 exactly as the kernel wrote them.
/// Nothing here throws because an operation failed; only calls that themselves fail throw.
/// </summary>
/// <remarks>
/// Submit, GetEvents and Cancel may be called from different threads. The iocbs the kernel holds live in one
/// contiguous array per context, a slot per in-flight block, and each iocb's aio_data is its slot's index: a
/// completion finds its block by that index, and the slots are the context's record of what is in flight, so
/// <see cref="Dispose"/> can cancel every block and wait for the kernel to return it before anything it references
/// is released.
/// </remarks>
[SkipLocalsInit] // the stackalloc'd io_event/iocb* scratch is fully written before it is read
public sealed unsafe class AioContext : IDisposable
{
    private const int StackEventCount = 64;
    private static readonly TimeSpan s_recancelInterval = TimeSpan.FromMilliseconds(1);

    private readonly AioContextHandle _handle = new();
    private readonly Lock _ringLock = new();
    private readonly ILogger _logger;
    private readonly bool _ringReadable;

    // The iocbs the kernel holds (native, so their addresses are stable); whether each slot is in flight (1) or free
    // (0); and the block last submitted in it, which a completion reports only while the slot is in flight. A slot is
    // claimed with a compare-exchange on its state and freed by whoever takes the block back from the kernel: no lock
    // on the data path, and no reference written while a block keeps resubmitting in its own slot. The native array
    // belongs to the handle, freed after io_destroy.
    private readonly Interop.iocb* _iocbs;
    private readonly int[] _busy;
    private readonly AioBlock?[] _slots;
    private int _nextSlot;
    private int _inFlight;
    private int _disposed;

    /// <summary>Creates the context with io_setup.</summary>
    /// <param name="maxEvents">How many blocks may be in flight at once (the kernel may round its ring up; this context enforces the number given).</param>
    /// <param name="logger">Logs closing with blocks in flight.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEvents"/> is not positive.</exception>
    /// <exception cref="LinuxIOException">io_setup failed, e.g. EAGAIN when fs.aio-max-nr is reached.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux on x64, arm64 or arm.</exception>
    public AioContext(int maxEvents, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        if (!OperatingSystem.IsLinux() || !Interop.SyscallNumbers.IsSupported)
        {
            ThrowHelper.ThrowPlatformNotSupported();
        }

        MaxEvents = maxEvents;
        _slots = new AioBlock?[maxEvents];
        _busy = new int[maxEvents];
        _logger = logger ?? NullLogger.Instance;
        nuint id = 0;
        if (Interop.io_setup((uint)maxEvents, &id) != 0)
        {
            Errno errno = Interop.LastErrno;
            _handle.SetHandleAsInvalid();
            throw ThrowHelper.CreateLinuxIO($"io_setup(nr_events={maxEvents})", errno, SetupHint(errno, maxEvents));
        }

        _handle.SetId(id);
        nuint bytes = (nuint)maxEvents * (nuint)sizeof(Interop.iocb);
        _iocbs = (Interop.iocb*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_iocbs, bytes);
        _handle.OwnIocbs(_iocbs);
        Interop.aio_ring* ring = (Interop.aio_ring*)id;
        _ringReadable = ring->magic == Interop.AIO_RING_MAGIC
            && ring->incompat_features == Interop.AIO_RING_INCOMPAT_FEATURES
            && ring->header_length == (uint)sizeof(Interop.aio_ring)
            && ring->nr >= (uint)maxEvents;
    }

    /// <summary>The most blocks that may be in flight at once.</summary>
    public int MaxEvents { get; }

    /// <summary>How many submitted blocks have not been reaped yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>How long <see cref="Dispose"/> waits for the kernel to return cancelled blocks.</summary>
    /// <remarks>Defaults to 5 seconds. Past it the context and every buffer still in flight are leaked (and logged), never freed under the kernel.</remarks>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The kernel's aio_context_t (for diagnostics).</summary>
    public nuint ContextId => _handle.Id;

    /// <summary>
    /// Submits blocks with one io_submit. EINTR (nothing accepted) is retried.
    /// </summary>
    /// <param name="blocks">Prepared blocks, none in flight.</param>
    /// <returns>How many blocks the kernel accepted, in order; the rest are not in flight and may be submitted again (their error shows when one of them comes first).</returns>
    /// <exception cref="ArgumentException">A block is null, disposed, unprepared, or inconsistent (e.g. RwFlags on a poll).</exception>
    /// <exception cref="InvalidOperationException">More blocks than free slots (<see cref="MaxEvents"/> - <see cref="InFlight"/>), or a block is already in flight.</exception>
    /// <exception cref="LinuxIOException">The kernel refused the first block (io_submit failed).</exception>
    public int Submit(ReadOnlySpan<AioBlock> blocks)
    {
        Errno errno = TrySubmit(blocks, out int submitted);
        if (errno != Errno.None)
        {
            ThrowSubmitFailed(blocks.Length, errno);
        }

        return submitted;
    }

    /// <summary>
    /// Like <see cref="Submit"/>, but the kernel's refusal of the first block is returned as an errno
    /// instead of thrown. Argument errors still throw.
    /// </summary>
    /// <param name="blocks">Prepared blocks, none in flight.</param>
    /// <param name="submitted">How many blocks the kernel accepted.</param>
    /// <returns><see cref="Errno.None"/>, or why io_submit refused the first block.</returns>
    public Errno TrySubmit(ReadOnlySpan<AioBlock> blocks, out int submitted)
    {
        submitted = 0;
        int count = blocks.Length;
        if (count == 0)
        {
            return Errno.None;
        }

        for (int i = 0; i < count; i++)
        {
            AioBlock block = blocks[i];
            if (block is null)
            {
                ThrowHelper.ThrowArgument($"blocks[{i}] is null.", nameof(blocks));
            }

            if (block.ValidateForSubmit() is { } problem)
            {
                ThrowHelper.ThrowArgument($"blocks[{i}] cannot be submitted: {problem}.", nameof(blocks));
            }
        }

        Link(blocks);

        // Each distinct file is referenced once, for the call only: inside io_submit the kernel takes its own reference
        // to a block's open file and keeps it until the block completes, so closing the handle meanwhile is safe.
        FileReferences files = default;
        int acquired = 0;
        try
        {
            for (; acquired < count; acquired++)
            {
                AioBlock block = blocks[acquired];
                files.Add(block.File!);
                int slot = block.Slot;
                block.AcquireForSubmit(_iocbs + slot, slot);
            }
        }
        catch
        {
            files.ReleaseAll();
            ReturnUnsubmitted(blocks, acquired);
            throw;
        }

        nint* stackPointers = stackalloc nint[StackEventCount];
        Interop.iocb** pointers = count <= StackEventCount
            ? (Interop.iocb**)stackPointers
            : (Interop.iocb**)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)count, (nuint)sizeof(nint));
        int result;
        Errno errno;
        bool addedRef = false;
        try
        {
            for (int i = 0; i < count; i++)
            {
                pointers[i] = _iocbs + blocks[i].Slot;
            }

            try
            {
                _handle.DangerousAddRef(ref addedRef);
            }
            catch (ObjectDisposedException)
            {
                // Only after a drain that timed out: the blocks never reach the kernel.
                ReturnUnsubmitted(blocks, count);
                throw;
            }

            do
            {
                result = Interop.io_submit(_handle.Id, count, pointers);
                errno = result < 0 ? Interop.LastErrno : Errno.None;
            }
            while (errno == Errno.EINTR);
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }

            files.ReleaseAll();
            if (count > StackEventCount)
            {
                System.Runtime.InteropServices.NativeMemory.Free(pointers);
            }
        }

        submitted = Math.Max(result, 0);
        if (submitted < count)
        {
            ReturnUnsubmitted(blocks[submitted..], acquired: count - submitted);
        }

        return errno;
    }

    /// <summary>
    /// Waits for completions with io_getevents and hands them back raw. EINTR is retried with the
    /// remaining timeout.
    /// </summary>
    /// <param name="minimum">Wait until at least this many events are available (0 returns what is there).</param>
    /// <param name="events">Receives up to <c>events.Length</c> events.</param>
    /// <param name="timeout">How long to wait; null waits until <paramref name="minimum"/> events arrived.</param>
    /// <returns>How many events were written; fewer than <paramref name="minimum"/> only when the timeout passed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimum"/> is negative or larger than <c>events.Length</c>, or <paramref name="timeout"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The context was disposed.</exception>
    /// <exception cref="LinuxIOException">io_getevents failed.</exception>
    public int GetEvents(int minimum, Span<AioEvent> events, TimeSpan? timeout)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimum);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimum, events.Length);
        if (timeout is { } t && t < TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(timeout), t, "The timeout cannot be negative; pass null to wait without a limit.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (events.IsEmpty)
        {
            return 0;
        }

        return GetEventsCore(minimum, events, timeout);
    }

    /// <summary>Asks the kernel to cancel an in-flight block (io_cancel). See <see cref="AioCancelResult"/>.</summary>
    /// <param name="block">The block.</param>
    /// <returns>What the kernel answered.</returns>
    /// <exception cref="LinuxIOException">io_cancel failed with something other than EINPROGRESS or EINVAL.</exception>
    public AioCancelResult Cancel(AioBlock block) => Cancel(block, out _);

    /// <summary>Like <see cref="Cancel(AioBlock)"/>, also returning the result when an old kernel completed the block inside io_cancel.</summary>
    /// <param name="block">The block.</param>
    /// <param name="synchronousCompletion">The completion, when the result is <see cref="AioCancelResult.CompletedSynchronously"/>.</param>
    /// <returns>What the kernel answered.</returns>
    public AioCancelResult Cancel(AioBlock block, out AioEvent synchronousCompletion)
    {
        ArgumentNullException.ThrowIfNull(block);
        synchronousCompletion = default;
        int slot = block.Slot;
        if (slot < 0 || !ReferenceEquals(block.Context, this))
        {
            return AioCancelResult.NotInFlight;
        }

        // Marked before the call so that a reaper on another thread never sees the event without it.
        block.CancelRequested = true;
        Interop.io_event result = default;
        bool addedRef = false;
        int rc;
        Errno errno;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            // The kernel finds the block by its iocb's address. If the block completed meanwhile, its slot is free or
            // taken by the block again; only a context shared by blocks that do not keep their slots could hand it
            // to another one, and the cancel would then fall on that block (which still completes once).
            rc = Interop.io_cancel(_handle.Id, _iocbs + slot, &result);
            errno = rc < 0 ? Interop.LastErrno : Errno.None;
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }
        }

        switch (errno)
        {
            case Errno.EINPROGRESS:
                return AioCancelResult.Requested;
            case Errno.EINVAL:
                return AioCancelResult.NotInFlight;
            case Errno.None:
                synchronousCompletion = Complete(block, slot, result);
                return AioCancelResult.CompletedSynchronously;
            default:
                throw ThrowHelper.CreateLinuxIO("io_cancel()", errno);
        }
    }

    /// <summary>
    /// Cancels every in-flight block, waits up to <see cref="DrainTimeout"/> until the kernel returned
    /// each one (their events are dropped), then destroys the context. If blocks are still in flight
    /// after the timeout, the context and their buffers are leaked rather than freed under the kernel.
    /// Do not call it while another thread is inside <see cref="GetEvents"/>.
    /// </summary>
    public void Dispose()
    {
        // A full fence, as is the submitter's count of its blocks before it reads _disposed: either it sees the context
        // disposed and takes its blocks back, or this sees them in flight and drains them.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        int inFlight = InFlight;
        if (inFlight > 0 && !Drain(inFlight))
        {
            // Keep the handle from running io_destroy, which would block until the kernel returns
            // every block; the blocks keep their buffers referenced, so nothing is unmapped.
            _handle.SetHandleAsInvalid();
            return;
        }

        _handle.Dispose();
    }

    /// <summary>Requests cancellation of every block in flight. Returns how many requests the kernel accepted.</summary>
    internal int CancelAll()
    {
        AioBlock?[] snapshot = ArrayPool<AioBlock?>.Shared.Rent(_slots.Length);
        int count = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _busy[i]) != 0 && Volatile.Read(ref _slots[i]) is { } block)
            {
                snapshot[count++] = block;
            }
        }

        int requested = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                try
                {
                    if (Cancel(snapshot[i]!) == AioCancelResult.Requested)
                    {
                        requested++;
                    }
                }
                catch (LinuxIOException)
                {
                    // The block is still in flight and will be reaped or leaked with the context.
                }
            }
        }
        finally
        {
            ArrayPool<AioBlock?>.Shared.Return(snapshot, clearArray: true);
        }

        return requested;
    }

    private bool Drain(int inFlight)
    {
        TimeSpan timeout = DrainTimeout;
        AioLog.DrainStarting(_logger, inFlight, timeout.TotalMilliseconds);
        long start = Stopwatch.GetTimestamp();
        CancelAll();
        int reaped = 0;
        Span<AioEvent> events = new AioEvent[Math.Min(inFlight, StackEventCount)];
        try
        {
            while (InFlight > 0)
            {
                TimeSpan remaining = timeout - Stopwatch.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                // A block counted by a submit racing Dispose may reach the kernel after CancelAll looked: cancel again
                // whenever a wait ends empty.
                int got = GetEventsCore(1, events, remaining < s_recancelInterval ? remaining : s_recancelInterval);
                reaped += got;
                if (got == 0)
                {
                    CancelAll();
                }
            }
        }
        catch (LinuxIOException e)
        {
            AioLog.DrainFailed(_logger, e);
            return false;
        }

        if (InFlight > 0)
        {
            AioLog.DrainTimedOut(_logger, InFlight, timeout.TotalMilliseconds);
            return false;
        }

        AioLog.DrainCompleted(_logger, reaped, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return true;
    }

    /// <summary>
    /// Hands back the completions that are ready, read straight from the completion ring the kernel shares with this
    /// process, with no system call (what fio's <c>userspace_reap</c> does). The result is that of
    /// <c>GetEvents(0, events, TimeSpan.Zero)</c>, which is used instead if the ring's layout is not the one known.
    /// </summary>
    /// <remarks>
    /// The kernel serialises io_getevents callers, but not a user-space reader against them: while one thread reaps
    /// with this method, no other thread may call <see cref="GetEvents"/> on the context. Calls to this method
    /// itself may come from any thread.
    /// </remarks>
    /// <param name="events">Receives up to <c>events.Length</c> events.</param>
    /// <returns>How many events were written.</returns>
    /// <exception cref="ObjectDisposedException">The context was disposed.</exception>
    public int ReapReady(Span<AioEvent> events)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (events.IsEmpty)
        {
            return 0;
        }

        if (!_ringReadable)
        {
            return GetEventsCore(0, events, TimeSpan.Zero);
        }

        bool addedRef = false;
        try
        {
            // The reference keeps io_destroy (which unmaps the ring) away while we read it.
            _handle.DangerousAddRef(ref addedRef);
            lock (_ringLock)
            {
                return ReapRing(events);
            }
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <see cref="ReapReady"/> for a caller that is the context's only reaper and never disposes it during the call
    /// (an <see cref="AioEngine"/>'s completion thread): no reference on the handle, no lock.
    /// </summary>
    internal int ReapReadyAsSoleReaper(Span<AioEvent> events)
        => _ringReadable ? ReapRing(events) : GetEventsCore(0, events, TimeSpan.Zero);

    /// <summary>Reads what the ring holds; the caller keeps the ring mapped and other readers away.</summary>
    private int ReapRing(Span<AioEvent> events)
    {
        Interop.aio_ring* ring = (Interop.aio_ring*)_handle.Id;
        Interop.io_event* ringEvents = (Interop.io_event*)(ring + 1);
        uint nr = ring->nr;
        uint head = Volatile.Read(ref ring->head);

        // Acquire: the events before tail are completely written once tail is seen.
        uint tail = Volatile.Read(ref ring->tail);
        if (head >= nr || tail >= nr)
        {
            return GetEventsCore(0, events, TimeSpan.Zero);
        }

        int ready = (int)(tail >= head ? tail - head : nr - head + tail);
        int count = Math.Min(ready, events.Length);
        if (count == 0)
        {
            return 0;
        }

        // At most two runs: head to the end of the ring, then from its start.
        int first = Math.Min(count, (int)(nr - head));
        int written = CompleteBatch(ringEvents + head, first, events);
        if (count > first)
        {
            written += CompleteBatch(ringEvents, count - first, events[written..]);
        }

        // Release: the slots are read before the kernel may write them again.
        Volatile.Write(ref ring->head, (uint)((head + count) % nr));
        return written;
    }

    private int GetEventsCore(int minimum, Span<AioEvent> events, TimeSpan? timeout)
    {
        int count = events.Length;
        Interop.io_event* stackEvents = stackalloc Interop.io_event[StackEventCount];
        Interop.io_event* native = count <= StackEventCount
            ? stackEvents
            : (Interop.io_event*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)count, (nuint)sizeof(Interop.io_event));
        try
        {
            // A zero timeout (a poll, the completion thread's every reap) reads no clock: on boards and VMs without a
            // vDSO-capable clocksource every clock read is a system call (under QEMU TCG it was 7 % of a 512-byte transfer).
            bool poll = timeout == TimeSpan.Zero;
            long deadline = timeout is { } t && !poll ? Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency) : 0;
            int got;
            Errno errno;
            bool addedRef = false;
            try
            {
                _handle.DangerousAddRef(ref addedRef);
                while (true)
                {
                    Interop.timespec ts;
                    Interop.timespec* tsp = null;
                    if (poll)
                    {
                        ts = default;
                        tsp = &ts;
                    }
                    else if (timeout.HasValue)
                    {
                        long ticks = Math.Max(0, deadline - Stopwatch.GetTimestamp());
                        long ns = (long)((double)ticks * 1_000_000_000 / Stopwatch.Frequency);
                        ts.tv_sec = (nint)Math.Min(ns / 1_000_000_000, int.MaxValue);
                        ts.tv_nsec = (nint)(ns % 1_000_000_000);
                        tsp = &ts;
                    }

                    got = Interop.io_getevents(_handle.Id, minimum, count, native, tsp);
                    if (got >= 0)
                    {
                        break;
                    }

                    errno = Interop.LastErrno;
                    if (errno != Errno.EINTR)
                    {
                        throw ThrowHelper.CreateLinuxIO($"io_getevents(min_nr={minimum}, nr={count})", errno);
                    }
                }
            }
            finally
            {
                if (addedRef)
                {
                    _handle.DangerousRelease();
                }
            }

            return CompleteBatch(native, got, events);
        }
        finally
        {
            if (count > StackEventCount)
            {
                System.Runtime.InteropServices.NativeMemory.Free(native);
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> blocks back from the kernel and reports their events. An event whose aio_data and
    /// obj do not name an in-flight slot of this context is dropped and logged, never followed.
    /// </summary>
    /// <returns>How many events were written to <paramref name="events"/>.</returns>
    private int CompleteBatch(Interop.io_event* native, int count, Span<AioEvent> events)
    {
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            ref Interop.io_event e = ref native[i];
            AioBlock? block = BlockOf(e);
            if (block is null)
            {
                AioLog.ForeignEvent(_logger, e.data, e.obj, e.res);
                continue;
            }

            events[written++] = new AioEvent(block, e.res, e.res2, block.UserData, block.CancelRequested);

            // The references go before the slot and the count: whoever sees the block returned (Dispose, a resubmit)
            // sees its buffers released.
            block.ReleaseReferences();
            FreeSlot(block, (int)e.data);
        }

        if (written != 0)
        {
            Interlocked.Add(ref _inFlight, -written);
            for (int i = 0; i < written; i++)
            {
                events[i].Block.OnReturnedByKernel();
            }
        }

        return written;
    }

    /// <summary>The block an event reports, or null when its aio_data is not the index of an in-flight slot whose iocb is its obj.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AioBlock? BlockOf(in Interop.io_event e)
    {
        AioBlock?[] slots = _slots;
        ulong index = e.data;
        return index < (ulong)slots.Length && e.obj == (ulong)(nuint)(_iocbs + (nint)index) && _busy[(nint)index] != 0
            ? slots[(nint)index]
            : null;
    }

    /// <summary>Test seam: completes a batch of raw io_events as if the kernel had written them.</summary>
    internal int CompleteForTest(ReadOnlySpan<Interop.io_event> native, Span<AioEvent> events)
    {
        fixed (Interop.io_event* p = native)
        {
            return CompleteBatch(p, native.Length, events);
        }
    }

    /// <summary>The address of slot <paramref name="index"/>'s iocb.</summary>
    internal Interop.iocb* SlotIocb(int index) => _iocbs + index;

    /// <summary>The address of slot <paramref name="index"/>'s iocb, for tests.</summary>
    internal nint SlotIocbAddress(int index) => (nint)(_iocbs + index);

    // Old kernels (before 4.19) could finish a block inside io_cancel; no ring event follows then.
    private AioEvent Complete(AioBlock block, int slot, in Interop.io_event e)
    {
        bool cancelRequested = block.CancelRequested;
        block.ReleaseReferences();
        FreeSlot(block, slot);
        Interlocked.Decrement(ref _inFlight);
        block.OnReturnedByKernel();
        return new AioEvent(block, e.res, e.res2, block.UserData, cancelRequested);
    }

    /// <summary>
    /// Claims a free slot for each block and marks it in flight there, or throws with none claimed. A block tries the
    /// slot it had last in this context first, so a block resubmitted in a loop claims with one compare-exchange.
    /// </summary>
    private void Link(ReadOnlySpan<AioBlock> blocks)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int free = MaxEvents - InFlight;
        if (blocks.Length > free)
        {
            ThrowFull(blocks.Length, free);
        }

        // Counted first (a full fence), then _disposed read again: see Dispose.
        Interlocked.Add(ref _inFlight, blocks.Length);
        int linked = 0;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            for (; linked < blocks.Length; linked++)
            {
                AioBlock block = blocks[linked];
                int slot = ClaimSlot(block);
                if (slot < 0)
                {
                    ThrowFull(blocks.Length, free);
                }

                if (!block.TryEnterFlight(this, slot))
                {
                    Volatile.Write(ref _busy[slot], 0);
                    AioContext? other = block.Context;
                    ThrowHelper.ThrowInvalidOperation(
                        $"blocks[{linked}] is already in flight{(other is null || ReferenceEquals(other, this) ? string.Empty : " in another context")}; a block can be submitted again only after its event was reaped.");
                }

                // Written before io_submit, which the completion that reads it follows; not at all while a block keeps
                // its slot.
                if (!ReferenceEquals(_slots[slot], block))
                {
                    _slots[slot] = block;
                }
            }
        }
        catch
        {
            for (int j = 0; j < linked; j++)
            {
                FreeSlot(blocks[j], blocks[j].Slot);
            }

            Interlocked.Add(ref _inFlight, -blocks.Length);
            throw;
        }
    }

    /// <summary>Takes a free slot for <paramref name="block"/>: its last one if free, else the next free one. -1 when all are taken.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ClaimSlot(AioBlock block)
    {
        int[] busy = _busy;
        int start = block.PreferredSlot(this);
        return (uint)start < (uint)busy.Length && Interlocked.CompareExchange(ref busy[start], 1, 0) == 0 ? start : ClaimAnySlot(start);
    }

    /// <summary>A block without a free slot of its own takes the next free one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ClaimAnySlot(int start)
    {
        int[] busy = _busy;
        if ((uint)start >= (uint)busy.Length)
        {
            start = (int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)busy.Length);
        }

        for (int n = 0, i = start; n < busy.Length; n++, i = i + 1 == busy.Length ? 0 : i + 1)
        {
            if (Volatile.Read(ref busy[i]) == 0 && Interlocked.CompareExchange(ref busy[i], 1, 0) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Engine set-up: <paramref name="block"/> takes slot <paramref name="slot"/> first, so an engine's operations never share a slot.</summary>
    internal void PreferSlot(AioBlock block, int slot) => block.PreferSlot(this, slot);

    /// <summary>Takes back blocks the kernel never accepted: drops their references and frees their slots.</summary>
    private void ReturnUnsubmitted(ReadOnlySpan<AioBlock> blocks, int acquired)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            if (i < acquired)
            {
                blocks[i].ReleaseReferences();
            }

            FreeSlot(blocks[i], blocks[i].Slot);
        }

        Interlocked.Add(ref _inFlight, -blocks.Length);
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i].OnReturnedByKernel();
        }
    }

    /// <summary>The kernel does not hold <paramref name="block"/> (any more): it leaves flight and its slot is free. The count is the caller's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FreeSlot(AioBlock block, int slot)
    {
        block.LeaveFlight();
        Volatile.Write(ref _busy[slot], 0);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowFull(int count, int free) => ThrowHelper.ThrowInvalidOperation(
        $"Cannot submit {count} block(s): the context holds {MaxEvents} and {MaxEvents - free} are in flight ({free} free). Reap completions first or create the context with more events.");

    private static string? SetupHint(Errno errno, int maxEvents) => errno switch
    {
        Errno.EAGAIN => $"fs.aio-max-nr reached: {ReadProc("/proc/sys/fs/aio-nr")} of {ReadProc("/proc/sys/fs/aio-max-nr")} events are in use system-wide and {maxEvents} more were asked for; raise it with sysctl fs.aio-max-nr=... or ask for fewer events",
        Errno.EINVAL => "nr_events is 0 or larger than the kernel accepts",
        Errno.ENOSYS => "this kernel was built without CONFIG_AIO",
        Errno.EPERM => "a seccomp filter (e.g. a container runtime's default profile) blocks io_setup",
        _ => null,
    };

    private static string ReadProc(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "?";
        }
        catch (UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static void ThrowSubmitFailed(int count, Errno errno)
    {
        string? hint = errno switch
        {
            Errno.EBADF => "blocks[0]'s file descriptor is invalid or not open for that direction",
            Errno.EINVAL => "the kernel refused blocks[0]: its operation is not supported on that file (IOCB_CMD_NOOP never is), its eventfd is not an eventfd, or a field is out of range",
            Errno.EAGAIN => "the kernel could not queue more requests (context ring full or out of resources)",
            Errno.EFAULT => "blocks[0] points at memory the kernel cannot access",
            _ => null,
        };
        ThrowHelper.ThrowLinuxIO($"io_submit(nr={count})", errno, hint);
    }

    /// <summary>The distinct files of one io_submit call, each referenced once; allocation-free up to eight files.</summary>
    private ref struct FileReferences
    {
        private Files _files;
        private SafeHandle[]? _more;
        private SafeHandle? _last;
        private int _count;

        /// <summary>References <paramref name="file"/> unless it already is; throws ObjectDisposedException for a closed one.</summary>
        public void Add(SafeHandle file)
        {
            // A batch is mostly one endpoint's blocks, one after another, or two endpoints' taking turns (an echo's
            // reads and writes): both are answered before the general search.
            if (ReferenceEquals(file, _last) || ReferenceEquals(file, _files[0]))
            {
                return;
            }

            for (int i = 1; i < _count; i++)
            {
                if (ReferenceEquals(At(i), file))
                {
                    _last = file;
                    return;
                }
            }

            bool added = false;
            file.DangerousAddRef(ref added);
            _last = file;
            if (_count < Files.Length)
            {
                _files[_count++] = file;
                return;
            }

            int extra = _count - Files.Length;
            if (_more is null || extra == _more.Length)
            {
                SafeHandle[] grown = ArrayPool<SafeHandle>.Shared.Rent(Math.Max(Files.Length, extra * 2));
                _more?.AsSpan(0, extra).CopyTo(grown);
                ReturnMore();
                _more = grown;
            }

            _more[extra] = file;
            _count++;
        }

        public void ReleaseAll()
        {
            for (int i = 0; i < _count; i++)
            {
                At(i).DangerousRelease();
            }

            // Cleared too: Add answers from the first entry without looking at the count.
            _files = default;
            _count = 0;
            _last = null;
            ReturnMore();
        }

        private readonly SafeHandle At(int index) => index < Files.Length ? _files[index]! : _more![index - Files.Length];

        private void ReturnMore()
        {
            if (_more is not null)
            {
                ArrayPool<SafeHandle>.Shared.Return(_more, clearArray: true);
                _more = null;
            }
        }

        [InlineArray(Length)]
        private struct Files
        {
            public const int Length = 8;
            private SafeHandle? _element;
        }
    }
}
