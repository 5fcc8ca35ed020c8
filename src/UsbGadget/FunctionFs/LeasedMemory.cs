using System.Buffers;

namespace UsbGadget.FunctionFs;

/// <summary>
/// The <see cref="Memory{T}"/> of one lease of an endpoint buffer (<see cref="OutTransfer.Data"/>,
/// <see cref="InTransfer.Memory"/>): every access checks that the lease is still held, so a <see cref="Memory{T}"/>
/// kept after the lease ended throws instead of showing the next transfer's bytes.
/// </summary>
/// <remarks>
/// One is made per lease, and only when its <see cref="Memory{T}"/> is asked for: <see cref="Memory{T}"/> names its
/// manager and nothing else, so a manager shared between leases could not tell an old one from the current one.
/// The lease's <c>Span</c> costs nothing and is checked the same way.
/// </remarks>
internal sealed class LeasedMemory : MemoryManager<byte>
{
    private readonly TransferSlot _slot;
    private readonly int _version;
    private readonly SlotState _state;
    private readonly int _offset;
    private readonly int _length;

    public LeasedMemory(TransferSlot slot, int version, SlotState state, int offset, int length)
    {
        _slot = slot;
        _version = version;
        _state = state;
        _offset = offset;
        _length = length;
    }

    /// <summary>Whether this manager serves the lease <paramref name="version"/> of its slot, window included.</summary>
    public bool Serves(int version, int offset, int length) => _version == version && _offset == offset && _length == length;

    public override Span<byte> GetSpan()
    {
        _slot.ThrowIfLeaseEnded(_version, _state);
        return _slot.Buffer.Span.Slice(_offset, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        _slot.ThrowIfLeaseEnded(_version, _state);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return _slot.Buffer.Memory.Slice(_offset + elementIndex).Pin();
    }

    public override void Unpin()
    {
        // The buffer is mapped memory that never moves: nothing to release.
    }

    protected override void Dispose(bool disposing)
    {
        // Owned by the lease, which ends with the slot's version: nothing to release.
    }
}
