using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

public sealed partial class OutEndpointTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _io = new();
    private readonly AioBufferPool _pool = new(4096, 8);
    private readonly OutEndpoint _endpoint;

    public OutEndpointTests()
    {
        _endpoint = new OutEndpoint("/ffs/ep1", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], _io, _pool, depth: 4, transferSize: 1000, NullLogger.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Every test ends with the endpoint stopped and every buffer back in the pool.
        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));
        _pool.Dispose();
    }

    [Fact]
    public void Nothing_is_submitted_before_ENABLE()
    {
        Assert.Empty(_io.Submissions);
        Assert.False(_endpoint.IsEnabled);
    }

    [Fact]
    public void ENABLE_queues_every_buffer_with_a_size_rounded_down_to_the_packet_size()
    {
        _endpoint.Enable(generation: 1, packetSize: 512);

        Assert.Equal(4, _io.Submissions.Count);
        Assert.All(_io.Submissions, s => Assert.True(s.IsRead));
        Assert.All(_io.Submissions, s => Assert.Equal(512, s.Length));
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Theory]
    [InlineData(16384, 512, 16384)]
    [InlineData(16384, 1024, 16384)]
    [InlineData(1000, 64, 960)]
    [InlineData(100, 512, 512)]
    public void RoundToPackets_keeps_reads_a_multiple_of_wMaxPacketSize(int size, int packet, int expected)
    {
        Assert.Equal(expected, OutEndpoint.RoundToPackets(size, packet));
    }

    [Fact]
    public async Task A_completed_read_is_delivered_without_copy_and_requeued_when_disposed()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1, 2, 3]);

        OutTransfer transfer = await _endpoint.ReadAsync();

        Assert.Equal(EndpointStatus.Ok, transfer.Status);
        Assert.Equal(new byte[] { 1, 2, 3 }, transfer.Span.ToArray());
        Assert.Equal(4, _io.Submissions.Count);

        transfer.Dispose();
        transfer.Dispose(); // idempotent

        await Eventually.True(() => _io.Submissions.Count == 5);
        await Task.Delay(20);
        Assert.Equal(5, _io.Submissions.Count);
        Assert.Same(_io.Submissions[0].Buffer, _io.Submissions[4].Buffer);
    }

    [Fact]
    public async Task Reads_are_delivered_in_submission_order_even_when_completions_arrive_swapped()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[1].CompleteRead([2]);
        await Task.Delay(20);
        _io.Submissions[0].CompleteRead([1]);

        using OutTransfer first = await _endpoint.ReadAsync();
        using OutTransfer second = await _endpoint.ReadAsync();

        Assert.Equal(1, first.Span[0]);
        Assert.Equal(2, second.Span[0]);
    }

    [Fact]
    public async Task ReadAsync_waits_for_a_completion()
    {
        _endpoint.Enable(1, 512);

        ValueTask<OutTransfer> read = _endpoint.ReadAsync();
        Assert.False(read.IsCompleted);
        _io.Submissions[0].CompleteRead([9, 9]);

        using OutTransfer transfer = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, transfer.Length);
    }

    [Fact]
    public async Task A_waiting_reader_is_handed_the_read_that_completes_and_the_endpoint_keeps_nothing_back()
    {
        _endpoint.Enable(1, 512);
        ValueTask<OutTransfer> read = _endpoint.ReadAsync();

        _io.Submissions[0].CompleteRead([5]);
        OutTransfer transfer = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(5, transfer.Span[0]);
        Assert.False(_endpoint.ReadAsync().IsCompleted); // it was handed over, not also left queued
        transfer.Dispose();
        await Eventually.True(() => _io.Submissions.Count == 5);
        Assert.Same(_io.Submissions[0].Buffer, _io.Submissions[4].Buffer);
    }

    [Fact]
    public async Task A_failed_read_handed_to_a_waiting_reader_reports_its_errno_and_requeues_the_buffer()
    {
        _endpoint.Enable(1, 512);
        ValueTask<OutTransfer> read = _endpoint.ReadAsync();

        _io.Submissions[0].Complete(-(long)Errno.EPIPE);
        OutTransfer transfer = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Failed, transfer.Status);
        Assert.Equal(Errno.EPIPE, transfer.Error);
        await Eventually.True(() => _io.Submissions.Count == 5);
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Fact]
    public async Task A_waiting_reader_whose_token_is_cancelled_gets_nothing_and_the_data_waits_for_the_next_reader()
    {
        _endpoint.Enable(1, 512);
        using var run = new CancellationTokenSource();
        ValueTask<OutTransfer> read = _endpoint.ReadAsync(run.Token);

        await run.CancelAsync();
        _io.Submissions[0].CompleteRead([3]);

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await read);
        using OutTransfer next = await _endpoint.ReadAsync();
        Assert.Equal(3, next.Span[0]);
    }

    [Fact]
    public async Task A_waiting_reader_hears_Stopped_at_stop()
    {
        _endpoint.Enable(1, 512);
        ValueTask<OutTransfer> read = _endpoint.ReadAsync();

        Task<bool> stopping = _endpoint.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Stopped, (await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Status);
        Assert.True(await stopping);
    }

    [Fact]
    public async Task A_later_read_waits_for_the_earlier_one_to_complete()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[1].CompleteRead([2]);

        ValueTask<OutTransfer> read = _endpoint.ReadAsync();
        await Task.Delay(50);
        Assert.False(read.IsCompleted);

        _io.Submissions[0].CompleteRead([1]);
        using OutTransfer first = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        using OutTransfer second = await _endpoint.ReadAsync();
        Assert.Equal(1, first.Span[0]);
        Assert.Equal(2, second.Span[0]);
    }

    [Fact]
    public async Task DISABLE_is_a_status_not_an_exception_and_the_buffers_come_back_on_the_next_ENABLE()
    {
        _endpoint.Enable(1, 512);
        ValueTask<OutTransfer> waiting = _endpoint.ReadAsync();

        _endpoint.Disable("DISABLE");
        foreach (FakeEndpointIo.Submission s in _io.Pending)
        {
            s.Complete(-(long)Errno.ESHUTDOWN);
        }

        await Eventually.True(() => _endpoint.InFlight == 0);
        OutTransfer woken = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(EndpointStatus.Disabled, woken.Status);
        Assert.Equal(EndpointStatus.Disabled, (await _endpoint.ReadAsync()).Status);
        Assert.Equal(0, _endpoint.InFlight);
        Assert.Equal(4, _io.Submissions.Count);

        _endpoint.Enable(2, 512);

        Assert.Equal(8, _io.Submissions.Count);
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Fact]
    public async Task Data_that_arrived_before_DISABLE_is_still_delivered()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([42]);
        await Eventually.True(() => _endpoint.InFlight == 3);
        _endpoint.Disable("DISABLE");

        using OutTransfer transfer = await _endpoint.ReadAsync();

        Assert.Equal(EndpointStatus.Ok, transfer.Status);
        Assert.Equal(42, transfer.Span[0]);
    }

    [Fact]
    public async Task Data_of_an_earlier_enable_cycle_not_read_by_the_next_ENABLE_is_dropped_and_its_buffer_queued_again()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        await Eventually.True(() => _endpoint.InFlight == 3);

        // The host reset its side (a bus reset, then SET_CONFIGURATION): what it sent before belongs to the old session.
        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2, 512);
        foreach (FakeEndpointIo.Submission s in _io.Pending.Take(3))
        {
            s.Complete(-(long)Errno.ESHUTDOWN);
        }

        // The dropped read's buffer was queued first in the new cycle, so the host's next data lands in it.
        Assert.Equal(4, _endpoint.InFlight);
        _io.Pending[0].CompleteRead([2]);
        using OutTransfer transfer = await _endpoint.ReadAsync();
        Assert.Equal(EndpointStatus.Ok, transfer.Status);
        Assert.Equal(2, transfer.Span[0]);
    }

    [Fact]
    public async Task A_reader_whose_run_was_cancelled_takes_nothing_of_the_next_cycle()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([7]);
        await Eventually.True(() => _endpoint.InFlight == 3);
        using var cancelledRun = new CancellationTokenSource();
        await cancelledRun.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _endpoint.ReadAsync(cancelledRun.Token));

        using OutTransfer transfer = await _endpoint.ReadAsync();
        Assert.Equal(7, transfer.Span[0]);
    }

    [Fact]
    public async Task A_read_of_an_earlier_enable_cycle_ending_with_ESHUTDOWN_after_a_new_ENABLE_is_queued_again()
    {
        _endpoint.Enable(1, 512);

        // A repeated ENABLE: the kernel disabled and re-enabled the endpoint; the old reads end afterwards.
        _endpoint.Disable("ENABLE");
        _endpoint.Enable(2, 1024);
        Assert.Equal(4, _io.Submissions.Count);
        foreach (FakeEndpointIo.Submission s in _io.Pending)
        {
            s.Complete(-(long)Errno.ESHUTDOWN);
        }

        await Eventually.True(() => _io.Submissions.Count == 8);
        Assert.All(_io.Submissions.Skip(4), s => Assert.Equal(1024, s.Length));
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Fact]
    public async Task A_failed_read_reports_its_errno_and_requeues_the_buffer()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].Complete(-(long)Errno.EPIPE);

        OutTransfer transfer = await _endpoint.ReadAsync();

        Assert.Equal(EndpointStatus.Failed, transfer.Status);
        Assert.Equal(Errno.EPIPE, transfer.Error);
        Assert.True(transfer.Data.IsEmpty);
        await Eventually.True(() => _io.Submissions.Count == 5);
    }

    [Fact]
    public async Task EAGAIN_means_the_kernel_disabled_the_endpoint_so_no_read_is_queued_until_the_next_ENABLE()
    {
        var reported = new List<int>();
        _endpoint.KernelDisabled = reported.Add;
        _endpoint.Enable(1, 512);

        _io.Submissions[0].Complete(-(long)Errno.EAGAIN);

        await Eventually.True(() => _endpoint.InFlight == 3);
        Assert.False(_endpoint.IsEnabled);
        Assert.Equal([1], reported);
        Assert.Equal(EndpointStatus.Disabled, (await _endpoint.ReadAsync()).Status);
        await Task.Delay(20);
        Assert.Equal(4, _io.Submissions.Count);
    }

    [Fact]
    public async Task The_kernel_ending_a_read_with_ESHUTDOWN_stops_the_cycle_before_the_DISABLE_event_is_read()
    {
        var reported = new List<int>();
        _endpoint.KernelDisabled = reported.Add;
        _endpoint.Enable(7, 512);
        _io.Submissions[0].CompleteRead([1]);
        OutTransfer held = await _endpoint.ReadAsync();

        _io.Submissions[1].Complete(-(long)Errno.ESHUTDOWN);
        await Eventually.True(() => !_endpoint.IsEnabled);
        held.Dispose();

        // The buffer is not queued again into whatever session the kernel enables next; the next ENABLE queues it.
        Assert.Equal([7], reported);
        Assert.Equal(4, _io.Submissions.Count);
        Assert.Equal(EndpointStatus.Disabled, (await _endpoint.ReadAsync()).Status);
    }

    [Fact]
    public async Task A_read_queued_after_the_kernel_reset_holds_the_hosts_next_session_and_goes_to_the_next_cycles_reader()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        OutTransfer old = await _endpoint.ReadAsync();

        // The kernel resets and enables the endpoint again before anything of it is seen here, and the old reader
        // returns its buffer in between: that read is queued in the host's next session, behind the reads the reset ended.
        old.Dispose();
        await Eventually.True(() => _io.Submissions.Count == 5);
        foreach (FakeEndpointIo.Submission s in _io.Submissions.Skip(1).Take(3))
        {
            s.Complete(-(long)Errno.ESHUTDOWN);
        }

        _io.Submissions[4].CompleteRead([2]);
        await Eventually.True(() => _endpoint.InFlight == 0);

        // Not for the old cycle's reader...
        Assert.Equal(EndpointStatus.Disabled, (await _endpoint.ReadAsync()).Status);

        // ...but for the next one's, once DISABLE and ENABLE are read.
        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2, 512);
        using OutTransfer next = await _endpoint.ReadAsync();
        Assert.Equal(EndpointStatus.Ok, next.Status);
        Assert.Equal(2, next.Span[0]);
    }

    [Fact]
    public async Task Across_a_kernel_reset_data_sent_before_it_is_dropped_and_data_sent_after_it_is_kept()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        OutTransfer old = await _endpoint.ReadAsync();
        _io.Submissions[1].CompleteRead([9]); // sent before the reset, never read

        old.Dispose();
        await Eventually.True(() => _io.Submissions.Count == 5);
        _io.Submissions[2].Complete(-(long)Errno.ESHUTDOWN);
        _io.Submissions[3].Complete(-(long)Errno.ESHUTDOWN);
        _io.Submissions[4].CompleteRead([2]); // sent after it
        await Eventually.True(() => _endpoint.InFlight == 0);

        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2, 512);

        using OutTransfer next = await _endpoint.ReadAsync();
        Assert.Equal(2, next.Span[0]);
    }

    [Fact]
    public async Task Stop_cancels_waits_for_every_buffer_and_returns_them_to_the_pool()
    {
        _endpoint.Enable(1, 512);
        Assert.Equal(4, _pool.Outstanding);

        bool drained = await _endpoint.StopAsync(TimeSpan.FromSeconds(5));

        Assert.True(drained);
        Assert.Equal(0, _endpoint.InFlight);
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(EndpointStatus.Stopped, (await _endpoint.ReadAsync()).Status);
    }

    [Fact]
    public async Task Data_still_queued_for_the_reader_at_stop_is_not_handed_out_after_its_buffer_went_back()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        await Eventually.True(() => _endpoint.InFlight == 3);

        await _endpoint.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(EndpointStatus.Stopped, (await _endpoint.ReadAsync()).Status);
    }

    [Fact]
    public async Task A_buffer_leased_at_stop_goes_back_to_the_pool_when_disposed()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        OutTransfer leased = await _endpoint.ReadAsync();

        await _endpoint.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, _pool.Outstanding);

        leased.Dispose();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Stop_reports_a_buffer_the_kernel_never_returned_and_keeps_it_out_of_the_pool()
    {
        var stubborn = new FakeEndpointIo();
        using var pool = new AioBufferPool(4096, 2);
        var endpoint = new OutEndpoint("/ffs/ep1", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], new IgnoresCancel(stubborn), pool, 1, 512, NullLogger.Instance);
        endpoint.Enable(1, 512);

        bool drained = await endpoint.StopAsync(TimeSpan.FromMilliseconds(100));

        Assert.False(drained);
        Assert.Equal(1, pool.Outstanding);
        stubborn.Submissions[0].Complete(-(long)Errno.ECONNRESET);
        await Eventually.True(() => endpoint.InFlight == 0);
        pool.Return(stubborn.Submissions[0].Buffer);
    }

    private sealed class IgnoresCancel(FakeEndpointIo inner) : IEndpointIo
    {
        public IEndpointRequest Reserve(IAioCompletionHandler handler) => inner.Reserve(handler);

        public void CancelAll(System.Runtime.InteropServices.SafeHandle file)
        {
        }

        public bool IsCompletionThread => inner.IsCompletionThread;

        public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state) => inner.RunExclusive(action, state);
    }
}
