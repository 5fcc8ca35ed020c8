using UsbGadget.Aio;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

public sealed class SlotQueueTests : IDisposable
{
    private readonly List<AioBuffer> _buffers = [];

    public void Dispose() => _buffers.ForEach(buffer => buffer.Dispose());

    [Fact]
    public void Slots_come_out_in_the_order_they_went_in_across_the_end_of_the_ring()
    {
        var queue = new SlotQueue(3);
        TransferSlot[] slots = NewSlots(5);
        queue.Enqueue(slots[0]);
        queue.Enqueue(slots[1]);
        Assert.Same(slots[0], queue.Dequeue());
        queue.Enqueue(slots[2]);
        queue.Enqueue(slots[3]); // wraps to the array's start

        Assert.Equal(3, queue.Count);
        Assert.Equal([slots[1], slots[2], slots[3]], [queue[0], queue[1], queue[2]]);
        Assert.True(queue.TryPeek(out TransferSlot? head));
        Assert.Same(slots[1], head);
        Assert.Same(slots[1], queue.Dequeue());
        Assert.Same(slots[2], queue.Dequeue());
        Assert.Same(slots[3], queue.Dequeue());
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_full_ring_grows_and_keeps_the_order_rather_than_overwrite_a_slot()
    {
        var queue = new SlotQueue(2);
        TransferSlot[] slots = NewSlots(5);
        queue.Enqueue(slots[0]);
        queue.Enqueue(slots[1]);
        queue.Dequeue();
        queue.Enqueue(slots[2]); // head in the middle of the array when it fills
        queue.Enqueue(slots[3]);
        queue.Enqueue(slots[4]);

        Assert.Equal([slots[1], slots[2], slots[3], slots[4]], Enumerable.Range(0, 4).Select(_ => queue.Dequeue()));
    }

    [Fact]
    public void An_empty_queue_has_no_head_and_refuses_a_dequeue_or_an_index()
    {
        var queue = new SlotQueue(2);

        Assert.False(queue.TryPeek(out TransferSlot? head));
        Assert.Null(head);
        Assert.Throws<InvalidOperationException>(() => queue.Dequeue());
        Assert.Throws<ArgumentOutOfRangeException>(() => queue[0]);
    }

    private TransferSlot[] NewSlots(int count)
    {
        var io = new FakeEndpointIo();
        return Enumerable.Range(0, count).Select(_ =>
        {
            AioBuffer buffer = AioBuffer.Allocate(4096);
            _buffers.Add(buffer);
            return new TransferSlot(buffer, io, static _ => { });
        }).ToArray();
    }
}
