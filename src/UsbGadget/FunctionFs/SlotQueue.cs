using System.Diagnostics.CodeAnalysis;

namespace UsbGadget.FunctionFs;

/// <summary>
/// An OUT endpoint's completed reads, first in first out, in a ring sized for all of its buffers. Not
/// <see cref="Queue{T}"/>, for the reason <see cref="SlotStack"/> gives: this runs once per transfer. Guarded by the
/// endpoint's lock.
/// </summary>
internal sealed class SlotQueue(int capacity)
{
    private TransferSlot?[] _slots = new TransferSlot?[Math.Max(capacity, 1)];
    private int _head;
    private int _count;

    public int Count => _count;

    /// <summary>The slot <paramref name="index"/> places behind the head.</summary>
    public TransferSlot this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _slots[Wrap(_head + index)]!;
        }
    }

    public void Enqueue(TransferSlot slot)
    {
        if (_count == _slots.Length)
        {
            // A slot is queued at most once, so the ring never fills; grown anyway rather than overwrite one.
            Grow();
        }

        _slots[Wrap(_head + _count)] = slot;
        _count++;
    }

    public bool TryPeek([NotNullWhen(true)] out TransferSlot? slot)
    {
        slot = _count == 0 ? null : _slots[_head];
        return slot is not null;
    }

    public TransferSlot Dequeue()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("The queue is empty.");
        }

        // The slot stays in the array: the endpoint owns all of them for its lifetime anyway.
        TransferSlot slot = _slots[_head]!;
        _head = Wrap(_head + 1);
        _count--;
        return slot;
    }

    private int Wrap(int index) => index >= _slots.Length ? index - _slots.Length : index;

    private void Grow()
    {
        var grown = new TransferSlot?[_slots.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            grown[i] = _slots[Wrap(_head + i)];
        }

        (_slots, _head) = (grown, 0);
    }
}
