using System.Diagnostics.CodeAnalysis;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An endpoint's free buffers, last in first out, in an array sized for all of them. Not
/// <see cref="Stack{T}"/>: this runs once per transfer, and the generic collection's shared code and version
/// bookkeeping cost several times these few instructions. Guarded by the endpoint's lock.
/// </summary>
internal sealed class SlotStack(int capacity)
{
    private readonly TransferSlot?[] _slots = new TransferSlot?[capacity];
    private int _count;

    /// <summary>How many slots are free.</summary>
    public int Count => _count;

    /// <summary>Adds a slot; the stack holds each of the endpoint's slots at most once, so it never overflows.</summary>
    public void Push(TransferSlot slot) => _slots[_count++] = slot;

    public bool TryPop([NotNullWhen(true)] out TransferSlot? slot)
    {
        if (_count == 0)
        {
            slot = null;
            return false;
        }

        // The slot stays in the array: the endpoint owns all of them for its lifetime anyway.
        slot = _slots[--_count]!;
        return true;
    }

    public bool TryPeek([NotNullWhen(true)] out TransferSlot? slot)
    {
        slot = _count == 0 ? null : _slots[_count - 1];
        return slot is not null;
    }

    public TransferSlot Pop() => TryPop(out TransferSlot? slot) ? slot : throw new InvalidOperationException("The stack is empty.");
}
