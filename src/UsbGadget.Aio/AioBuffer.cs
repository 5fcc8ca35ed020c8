using System.Buffers;
using System.Runtime.InteropServices;
using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// Anonymous, page-aligned memory from mmap(2), with a stable address the kernel can read and write
/// while a block is in flight. The length is rounded up to whole pages, which also satisfies O_DIRECT's
/// alignment rules.
/// </summary>
/// <remarks>
/// While a submitted block uses the buffer, the mapping is reference counted: <see cref="Dispose"/>
/// then only marks the buffer disposed, and munmap runs when the kernel returned the last block.
/// </remarks>
public sealed class AioBuffer : IDisposable
{
    private const int Disposed = 1;
    private const int Reference = 2;

    private readonly MappingHandle _mapping;
    private readonly Memory<byte> _memory;

    // Bit 0: disposed; the rest: kernel references, 2 per block. One word, so a block takes and drops its reference
    // with one atomic operation each, and Dispose cannot slip between a reference's check and its increment.
    private int _state;

    private AioBuffer(MappingHandle mapping, int length)
    {
        _mapping = mapping;
        Length = length;
        Address = mapping.DangerousGetHandle();
        // Made once: a Memory<byte> over a manager is a struct naming it, so handing it out per transfer costs nothing.
        _memory = new Manager(this).Memory;
    }

    /// <summary>The length in bytes: the requested length rounded up to the page size.</summary>
    public int Length { get; }

    /// <summary>The page-aligned start address.</summary>
    public nint Address { get; }

    /// <summary>The memory as a span.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public unsafe Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return new Span<byte>((void*)Address, Length);
        }
    }

    /// <summary>The memory as <see cref="Memory{T}"/>, without a copy.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public Memory<byte> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _memory;
        }
    }

    /// <summary>Whether <see cref="Dispose"/> was called (the mapping may live on while the kernel holds it).</summary>
    public bool IsDisposed => (Volatile.Read(ref _state) & Disposed) != 0;

    /// <summary>How many submitted blocks still use this buffer.</summary>
    public int KernelReferences => Volatile.Read(ref _state) >> 1;

    /// <summary>The pool that created this buffer (where <see cref="AioBufferPool.Return"/> takes it back), or null for <see cref="Allocate"/>.</summary>
    public AioBufferPool? Pool { get; internal set; }

    internal bool IsRented { get; set; }

    /// <summary>Maps at least <paramref name="length"/> bytes of zeroed, page-aligned memory.</summary>
    /// <param name="length">The minimum length, at least 1.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not positive, or too large to round up to pages.</exception>
    /// <exception cref="LinuxIOException">mmap failed (ENOMEM).</exception>
    public static AioBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        int page = Environment.SystemPageSize;
        long rounded = ((long)length + page - 1) / page * page;
        if (rounded > int.MaxValue)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, $"Rounded up to the {page}-byte page size it exceeds int.MaxValue.");
        }

        nint address = Interop.mmap(0, (nuint)rounded, Interop.PROT_READ | Interop.PROT_WRITE, Interop.MAP_PRIVATE | Interop.MAP_ANONYMOUS, -1, 0);
        if (address == Interop.MAP_FAILED)
        {
            ThrowHelper.ThrowLinuxIO($"mmap(length={rounded}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)", Interop.LastErrno);
        }

        return new AioBuffer(new MappingHandle(address, (nuint)rounded), (int)rounded);
    }

    /// <summary>Unmaps the memory now, or when the kernel returns the last block that uses it.</summary>
    public void Dispose()
    {
        int before = Interlocked.Or(ref _state, Disposed);

        // With blocks in flight the last one to come back unmaps; pins (Memory.Pin) still defer munmap in the SafeHandle.
        if (before == 0)
        {
            _mapping.Dispose();
        }
    }

    /// <summary>Keeps the mapping while a block holds it. Throws ObjectDisposedException once disposed.</summary>
    internal void AddKernelReference()
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            ObjectDisposedException.ThrowIf((state & Disposed) != 0, this);
            int seen = Interlocked.CompareExchange(ref _state, state + Reference, state);
            if (seen == state)
            {
                return;
            }

            state = seen;
        }
    }

    internal void ReleaseKernelReference()
    {
        if (Interlocked.Add(ref _state, -Reference) == Disposed)
        {
            _mapping.Dispose();
        }
    }

    private sealed class MappingHandle : SafeHandle
    {
        private readonly nuint _length;

        public MappingHandle(nint address, nuint length)
            : base(invalidHandleValue: 0, ownsHandle: true)
        {
            SetHandle(address);
            _length = length;
        }

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => Interop.munmap(handle, _length) == 0;
    }

    private sealed class Manager(AioBuffer owner) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => owner.Span;

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, owner.Length);
            bool success = false;
            owner._mapping.DangerousAddRef(ref success);
            return new MemoryHandle((byte*)owner.Address + elementIndex, pinnable: this);
        }

        public override void Unpin() => owner._mapping.DangerousRelease();

        protected override void Dispose(bool disposing)
        {
            // The owner controls the mapping's lifetime.
        }
    }
}
