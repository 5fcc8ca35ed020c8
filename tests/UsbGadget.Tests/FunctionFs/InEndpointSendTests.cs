using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

/// <summary><see cref="InEndpoint.SendAsync"/>: an OUT transfer echoed on IN from the buffer it arrived in, queued behind the writes in flight.</summary>
public sealed class InEndpointSendTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _outIo = new();
    private readonly FakeEndpointIo _inIo = new();
    private readonly AioBufferPool _outPool = new(4096, 8);
    private readonly AioBufferPool _inPool = new(4096, 8);
    private readonly OutEndpoint _output;
    private readonly InEndpoint _input;

    public InEndpointSendTests()
    {
        IReadOnlyList<FunctionFsEndpoint> pair = TestEndpoints.BulkPair();
        _output = new OutEndpoint("/ffs/ep1", TestEndpoints.NoFile(), pair[0], _outIo, _outPool, depth: 2, transferSize: 1024, NullLogger.Instance);
        _input = new InEndpoint("/ffs/ep2", TestEndpoints.NoFile(), pair[1], _inIo, _inPool, depth: 2, transferSize: 1024, NullLogger.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Every test ends with both endpoints stopped and every buffer back in its pool.
        Assert.True(await _input.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await _output.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _outPool.Outstanding);
        Assert.Equal(0, _inPool.Outstanding);
        Assert.Equal(_outIo.Reserved, _outIo.Unreserved); // each slot's request back to the engine, too
        Assert.Equal(_inIo.Reserved, _inIo.Unreserved);
        _outPool.Dispose();
        _inPool.Dispose();
    }

    private async Task<OutTransfer> ReceiveAsync(params byte[] data)
    {
        _outIo.Pending[0].CompleteRead(data);
        OutTransfer transfer = await _output.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(EndpointStatus.Ok, transfer.Status);
        return transfer;
    }

    private void EnableBoth()
    {
        _output.Enable(1, 512);
        _input.Enable(1);
    }

    [Fact]
    public async Task The_write_sends_the_received_buffer_itself()
    {
        EnableBoth();
        using OutTransfer received = await ReceiveAsync(1, 2, 3);

        Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(received));

        FakeEndpointIo.Submission write = Assert.Single(_inIo.Submissions);
        Assert.False(write.IsRead);
        Assert.Same(_outIo.Submissions[0].Buffer, write.Buffer);
        Assert.Equal(new byte[] { 1, 2, 3 }, write.DataAtSubmit);
    }

    [Fact]
    public async Task OUT_takes_the_idle_IN_buffer_in_exchange_and_queues_its_next_read_into_it_at_once()
    {
        EnableBoth();
        OutTransfer received = await ReceiveAsync(1, 2, 3);
        AioBuffer sent = _outIo.Submissions[0].Buffer;

        await _input.SendAsync(received);

        // The read queue is full again while the echo is in flight, as with a C gadget's shared buffer pool.
        Assert.Equal(3, _outIo.Submissions.Count);
        Assert.True(_outIo.Submissions[2].IsRead);
        Assert.NotSame(sent, _outIo.Submissions[2].Buffer);
        Assert.Same(_inPool, _outIo.Submissions[2].Buffer.Pool);
        Assert.Equal(2, _output.InFlight);

        // Disposing the transfer after sending it does nothing, and the write's completion gives nothing back to OUT.
        received.Dispose();
        _inIo.Submissions[0].Complete(3);
        await Eventually.True(() => _input.InFlight == 0);
        Assert.Equal(3, _outIo.Submissions.Count);
    }

    [Fact]
    public async Task Exchanged_buffers_go_back_to_the_pools_they_came_from_at_stop()
    {
        EnableBoth();
        await _input.SendAsync(await ReceiveAsync(1));
        _inIo.Submissions[0].Complete(1);
        await Eventually.True(() => _input.InFlight == 0);

        Assert.Same(_outPool, _inIo.Submissions[0].Buffer.Pool); // an OUT buffer now serves IN
        Assert.Same(_inPool, _outIo.Submissions[2].Buffer.Pool); // and an IN buffer serves OUT

        Assert.True(await _input.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await _output.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _outPool.Outstanding);
        Assert.Equal(0, _inPool.Outstanding);
    }

    [Fact]
    public async Task When_an_IN_buffer_is_too_small_for_OUT_the_received_buffer_is_lent_and_comes_back_when_the_write_completes()
    {
        using var bigPool = new AioBufferPool(8192, 2);
        var output = new OutEndpoint("/ffs/ep3", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], _outIo, bigPool, depth: 2, transferSize: 8192, NullLogger.Instance);
        output.Enable(1, 512);
        _input.Enable(1);
        _outIo.Submissions[0].CompleteRead([1, 2, 3]);
        OutTransfer received = await output.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(received));
        Assert.Same(_outIo.Submissions[0].Buffer, _inIo.Submissions[0].Buffer);
        Assert.Equal(2, _outIo.Submissions.Count);

        _inIo.Submissions[0].Complete(3);
        await Eventually.True(() => _outIo.Submissions.Count == 3);
        Assert.Same(_outIo.Submissions[0].Buffer, _outIo.Submissions[2].Buffer);
        Assert.True(await output.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, bigPool.Outstanding);
    }

    [Fact]
    public async Task An_echo_on_ReceiveAsync_never_waits_and_OUT_reads_on_until_all_its_buffers_wait_on_IN()
    {
        EnableBoth();
        var echo = new EchoHandler(_input);
        Task<EndpointStatus> receiving = _output.ReceiveAsync(echo);

        for (byte i = 1; i <= 4; i++)
        {
            _outIo.Pending[0].CompleteRead([i]);
        }

        // Two writes fill IN and the next two echoes wait their turn on IN, each holding an OUT buffer: reading stops.
        Assert.Equal(4, echo.Calls);
        Assert.Equal(4, echo.Completed);
        Assert.Equal([1, 2], _inIo.Submissions.Select(write => write.DataAtSubmit[0]));
        Assert.Equal(0, _output.InFlight);

        // Each write the host takes sends the next echo, and OUT reads on into the buffer it gets in exchange.
        _inIo.Submissions[0].Complete(1);
        Assert.Equal(1, _output.InFlight);
        _inIo.Submissions[1].Complete(1);
        Assert.Equal(2, _output.InFlight);

        Assert.Equal([1, 2, 3, 4], _inIo.Submissions.Select(write => write.DataAtSubmit[0]));
        Assert.False(receiving.IsCompleted);
        _inIo.Submissions[2].Complete(1);
        _inIo.Submissions[3].Complete(1);
    }

    private sealed class EchoHandler(InEndpoint input) : IOutTransferHandler
    {
        private int _calls;
        private int _completed;

        public int Calls => Volatile.Read(ref _calls);

        public int Completed => Volatile.Read(ref _completed);

        public async ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            using (transfer)
            {
                await input.SendAsync(transfer, cancellationToken);
            }

            Interlocked.Increment(ref _completed);
        }
    }

    [Fact]
    public async Task A_refused_send_leaves_the_buffer_with_the_caller()
    {
        _output.Enable(1, 512);
        OutTransfer received = await ReceiveAsync(4);

        Assert.Equal(EndpointStatus.Disabled, await _input.SendAsync(received));

        Assert.Empty(_inIo.Submissions);
        Assert.Equal(4, received.Span[0]);
        received.Dispose();
        Assert.Equal(3, _outIo.Submissions.Count);
    }

    [Fact]
    public async Task A_transfer_cannot_be_sent_twice_or_after_it_was_disposed()
    {
        EnableBoth();
        OutTransfer sent = await ReceiveAsync(1);
        OutTransfer disposed = await ReceiveAsync(2);
        await _input.SendAsync(sent);
        disposed.Dispose();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _input.SendAsync(sent));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _input.SendAsync(disposed));
        Assert.Single(_inIo.Submissions);
        _inIo.Submissions[0].Complete(1);
        await Eventually.True(() => _input.InFlight == 0);
    }

    [Fact]
    public async Task A_failed_read_cannot_be_sent()
    {
        EnableBoth();
        _outIo.Submissions[0].Complete(-(long)Errno.EPIPE);
        using OutTransfer failed = await _output.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(EndpointStatus.Failed, failed.Status);

        await Assert.ThrowsAsync<ArgumentException>(async () => await _input.SendAsync(failed));
        Assert.Empty(_inIo.Submissions);
    }

    /// <summary>Fills the IN queue with two one-byte writes, so the next send has to wait its turn.</summary>
    private async Task FillInQueueAsync()
    {
        await _input.WriteAsync(new byte[] { 1 });
        await _input.WriteAsync(new byte[] { 2 });
    }

    [Fact]
    public async Task A_send_finding_every_IN_buffer_in_flight_returns_at_once_and_the_completion_that_frees_one_sends_it()
    {
        EnableBoth();
        await FillInQueueAsync();
        OutTransfer received = await ReceiveAsync(9, 8);

        ValueTask<EndpointStatus> send = _input.SendAsync(received);

        Assert.True(send.IsCompletedSuccessfully);
        Assert.Equal(EndpointStatus.Ok, await send);
        Assert.Equal(2, _inIo.Submissions.Count);

        // The queue holds the buffer now: the caller's dispose does nothing, and OUT reads on with one buffer fewer.
        received.Dispose();
        Assert.Equal(2, _outIo.Submissions.Count);
        Assert.Equal(1, _output.InFlight);

        _inIo.Submissions[0].Complete(1);

        // Submitted inside the completion, with the exchange: OUT reads into the IN buffer it got back at once.
        Assert.Equal(3, _inIo.Submissions.Count);
        Assert.Equal(new byte[] { 9, 8 }, _inIo.Submissions[2].DataAtSubmit);
        Assert.Same(_outIo.Submissions[0].Buffer, _inIo.Submissions[2].Buffer);
        Assert.Equal(3, _outIo.Submissions.Count);
        Assert.Equal(2, _output.InFlight);
        _inIo.Submissions[1].Complete(1);
        _inIo.Submissions[2].Complete(2);
    }

    [Fact]
    public async Task A_queued_transfer_cannot_be_sent_again()
    {
        EnableBoth();
        await FillInQueueAsync();
        OutTransfer received = await ReceiveAsync(3);
        Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(received));

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _input.SendAsync(received));

        _inIo.Submissions[0].Complete(1);
        _inIo.Submissions[1].Complete(1);
        Assert.Equal([1, 2, 3], _inIo.Submissions.Select(write => write.DataAtSubmit[0]));
        _inIo.Submissions[2].Complete(1);
    }

    [Fact]
    public async Task Queued_sends_go_out_in_order_and_writes_after_them_wait_behind_them()
    {
        EnableBoth();
        await FillInQueueAsync();
        OutTransfer first = await ReceiveAsync(10);
        OutTransfer second = await ReceiveAsync(20);
        Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(first));
        Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(second));

        ValueTask write = _input.WriteAsync(new byte[] { 30 });
        Assert.False(write.IsCompleted);

        _inIo.Submissions[0].Complete(1);
        _inIo.Submissions[1].Complete(1);
        Assert.False(write.IsCompleted);
        _inIo.Submissions[2].Complete(1);

        await write.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([1, 2, 10, 20, 30], _inIo.Submissions.Select(w => w.DataAtSubmit[0]));
        _inIo.Submissions[3].Complete(1);
        _inIo.Submissions[4].Complete(1);
    }

    [Fact]
    public async Task A_send_behind_a_writer_waiting_for_a_buffer_is_refused_rather_than_overtaking_it()
    {
        EnableBoth();
        await FillInQueueAsync();
        OutTransfer received = await ReceiveAsync(40);
        ValueTask write = _input.WriteAsync(new byte[] { 30 });

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _input.SendAsync(received));

        Assert.Contains("one writer at a time", thrown.Message);
        _inIo.Submissions[0].Complete(1);
        await write.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(30, _inIo.Submissions[2].DataAtSubmit[0]);
        received.Dispose();
        _inIo.Submissions[1].Complete(1);
        _inIo.Submissions[2].Complete(1);
    }

    [Fact]
    public async Task FlushAsync_waits_for_queued_sends_too()
    {
        EnableBoth();
        await FillInQueueAsync();
        await _input.SendAsync(await ReceiveAsync(5));

        Task flush = _input.FlushAsync().AsTask();
        _inIo.Submissions[0].Complete(1);
        _inIo.Submissions[1].Complete(1);
        Assert.False(flush.IsCompleted);

        _inIo.Submissions[2].Complete(1);
        await flush.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Queued_sends_are_dropped_at_DISABLE_and_their_buffers_go_back_to_OUT_unsent()
    {
        EnableBoth();
        await FillInQueueAsync();
        await _input.SendAsync(await ReceiveAsync(5));

        _input.Disable("DISABLE");

        // OUT is still enabled here, so it reads into the buffer at once.
        Assert.Equal(3, _outIo.Submissions.Count);
        Assert.Equal(2, _output.InFlight);
        _inIo.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);
        _inIo.Submissions[1].Complete(-(long)Errno.ESHUTDOWN);
        Assert.Equal(2, _inIo.Submissions.Count);
        await _input.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Queued_sends_are_dropped_when_the_kernel_drops_a_write_before_DISABLE_is_read()
    {
        EnableBoth();
        await FillInQueueAsync();
        await _input.SendAsync(await ReceiveAsync(5));

        _inIo.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);

        Assert.Equal(3, _outIo.Submissions.Count);
        _inIo.Submissions[1].Complete(-(long)Errno.ESHUTDOWN);
        Assert.Equal(2, _inIo.Submissions.Count);

        // The next cycle starts with nothing queued from this one.
        _input.Disable("DISABLE");
        _input.Enable(2);
        await _input.WriteAsync(new byte[] { 6 });
        Assert.Equal(6, _inIo.Submissions[2].DataAtSubmit[0]);
        _inIo.Submissions[2].Complete(1);
    }

    [Fact]
    public async Task Queued_sends_are_dropped_at_stop_and_every_buffer_goes_back_to_its_pool()
    {
        EnableBoth();
        await FillInQueueAsync();
        await _input.SendAsync(await ReceiveAsync(6));
        await _input.SendAsync(await ReceiveAsync(7));
        Assert.Equal(0, _output.InFlight);

        Assert.True(await _input.StopAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(2, _inIo.Submissions.Count);
        Assert.Equal(2, _output.InFlight);
    }

    [Fact]
    public async Task A_send_whose_token_is_already_cancelled_throws_and_leaves_the_buffer_with_the_caller()
    {
        EnableBoth();
        await FillInQueueAsync();
        OutTransfer received = await ReceiveAsync(7);

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await _input.SendAsync(received, new CancellationToken(canceled: true)));

        Assert.Equal(7, received.Span[0]);
        received.Dispose();
        Assert.Equal(3, _outIo.Submissions.Count);
        _inIo.Submissions[0].Complete(1);
        _inIo.Submissions[1].Complete(1);
        Assert.Equal(2, _inIo.Submissions.Count);
    }

    [Fact]
    public async Task A_source_cannot_start_while_sends_wait_their_turn()
    {
        EnableBoth();
        await FillInQueueAsync();
        await _input.SendAsync(await ReceiveAsync(8));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => _input.SendFromAsync(new OneByteSource()));

        Assert.Contains("FlushAsync", thrown.Message);
        _inIo.Submissions[0].Complete(1);
        _inIo.Submissions[1].Complete(1);
        _inIo.Submissions[2].Complete(1);
    }

    private sealed class OneByteSource : IInTransferSource
    {
        public ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken) => new(1);
    }

    [Fact]
    public async Task A_write_dropped_by_a_disable_frees_its_slot_and_OUT_queues_every_buffer_at_the_next_ENABLE()
    {
        EnableBoth();
        using OutTransfer received = await ReceiveAsync(7);
        await _input.SendAsync(received);

        _input.Disable("DISABLE");
        _output.Disable("DISABLE");
        foreach (FakeEndpointIo.Submission pending in _outIo.Pending)
        {
            pending.Complete(-(long)Errno.ESHUTDOWN);
        }

        _inIo.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);

        await Eventually.True(() => _input.InFlight == 0 && _output.InFlight == 0);
        _output.Enable(2, 512);
        _input.Enable(2);
        Assert.Equal(2, _output.InFlight);
        await _input.WriteAsync(new byte[] { 8 });
        _inIo.Submissions[1].Complete(1);
    }

    [Fact]
    public async Task Data_longer_than_the_IN_transfer_size_is_copied_and_split()
    {
        var output = new OutEndpoint("/ffs/ep3", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], _outIo, _outPool, depth: 1, transferSize: 2048, NullLogger.Instance);
        output.Enable(1, 512);
        _input.Enable(1);
        _outIo.Submissions[0].CompleteRead(Enumerable.Range(0, 1536).Select(i => (byte)i).ToArray());
        using (OutTransfer received = await output.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.Equal(EndpointStatus.Ok, await _input.SendAsync(received));
        }

        Assert.Equal([1024, 512], _inIo.Submissions.Select(s => s.Length));
        Assert.All(_inIo.Submissions, s => Assert.NotSame(_outIo.Submissions[0].Buffer, s.Buffer));
        _inIo.Submissions[0].Complete(1024);
        _inIo.Submissions[1].Complete(512);
        Assert.True(await output.StopAsync(TimeSpan.FromSeconds(5)));
    }
}
