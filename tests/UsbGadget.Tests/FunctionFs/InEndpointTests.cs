using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

public sealed partial class InEndpointTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _io = new();
    private readonly AioBufferPool _pool = new(4096, 8);
    private readonly InEndpoint _endpoint;

    public InEndpointTests()
    {
        _endpoint = new InEndpoint("/ffs/ep2", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[1], _io, _pool, depth: 2, transferSize: 4, NullLogger.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Every test ends with the endpoint stopped and every buffer back in the pool.
        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));
        _pool.Dispose();
    }

    [Fact]
    public async Task A_write_before_ENABLE_is_refused_with_Disabled()
    {
        await Assert.ThrowsAsync<EndpointDisabledException>(async () => await _endpoint.WriteAsync(new byte[] { 1 }));
        Assert.Empty(_io.Submissions);
    }

    [Fact]
    public async Task A_write_is_copied_into_an_aio_buffer_and_submitted()
    {
        _endpoint.Enable(1);

        await _endpoint.WriteAsync(new byte[] { 1, 2, 3 });

        FakeEndpointIo.Submission submission = Assert.Single(_io.Submissions);
        Assert.False(submission.IsRead);
        Assert.Equal(new byte[] { 1, 2, 3 }, submission.DataAtSubmit);
    }

    [Fact]
    public async Task An_empty_write_sends_a_zero_length_packet()
    {
        _endpoint.Enable(1);

        await _endpoint.WriteAsync(ReadOnlyMemory<byte>.Empty);

        Assert.Equal(0, Assert.Single(_io.Submissions).Length);
    }

    [Fact]
    public async Task A_write_longer_than_the_transfer_size_is_split_and_waits_for_room()
    {
        _endpoint.Enable(1);

        ValueTask write = _endpoint.WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 });

        // Two buffers: the first 8 bytes go out, the last 2 wait for a completion (back-pressure).
        Assert.False(write.IsCompleted);
        Assert.Equal([4, 4], _io.Submissions.Select(s => s.Length));
        _io.Submissions[0].Complete(4);

        await write.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new byte[] { 9, 10 }, _io.Submissions[2].DataAtSubmit);
    }

    [Fact]
    public async Task The_queue_is_bounded_by_its_depth()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 1 });
        await _endpoint.WriteAsync(new byte[] { 2 });

        ValueTask third = _endpoint.WriteAsync(new byte[] { 3 });

        Assert.False(third.IsCompleted);
        Assert.Equal(2, _endpoint.InFlight);
        _io.Submissions[1].Complete(1);
        await third.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, _io.Submissions.Count);
    }

    [Fact]
    public async Task A_write_split_across_buffers_does_not_continue_into_the_next_enable_cycle()
    {
        _endpoint.Enable(1);
        ValueTask write = _endpoint.WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 });

        // The host resets its side while the last 2 bytes wait for room; they must not open the next session.
        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2);
        _io.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);

        await Assert.ThrowsAsync<EndpointDisabledException>(() => write.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, _io.Submissions.Count);
    }

    [Fact]
    public async Task A_writer_whose_run_was_cancelled_sends_nothing()
    {
        _endpoint.Enable(1);
        using var cancelledRun = new CancellationTokenSource();
        await cancelledRun.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _endpoint.WriteAsync(new byte[] { 1 }, cancelledRun.Token));

        Assert.Empty(_io.Submissions);
    }

    [Fact]
    public async Task A_writer_waiting_for_room_sees_Disabled_when_the_endpoint_is_disabled()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 1 });
        await _endpoint.WriteAsync(new byte[] { 2 });
        ValueTask waiting = _endpoint.WriteAsync(new byte[] { 3 });

        _endpoint.Disable("DISABLE");
        _io.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);

        await Assert.ThrowsAsync<EndpointDisabledException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, _io.Submissions.Count);
        Assert.Equal(0, _endpoint.Failures);
    }

    [Fact]
    public async Task EAGAIN_because_the_kernel_already_disabled_the_endpoint_is_not_retried_so_the_stream_keeps_its_order()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 5, 6 });

        _io.Submissions[0].Complete(-(long)Errno.EAGAIN);

        await Eventually.True(() => _endpoint.InFlight == 0);
        await Task.Delay(20);
        Assert.Single(_io.Submissions);
        Assert.Equal(0, _endpoint.Failures);
    }

    [Fact]
    public async Task A_write_the_kernel_ended_with_ESHUTDOWN_refuses_further_writes_before_the_DISABLE_event_is_read()
    {
        var reported = new List<int>();
        _endpoint.KernelDisabled = reported.Add;
        _endpoint.Enable(3);
        await _endpoint.WriteAsync(new byte[] { 1 });

        _io.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);
        await Eventually.True(() => _endpoint.InFlight == 0);

        // The kernel may already have enabled the endpoint for the host's next session: nothing of this cycle goes there.
        await Assert.ThrowsAsync<EndpointDisabledException>(async () => await _endpoint.WriteAsync(ReadOnlyMemory<byte>.Empty));
        Assert.Single(_io.Submissions);
        Assert.Equal([3], reported);

        _endpoint.Enable(4);
        await _endpoint.WriteAsync(new byte[] { 2 });
    }

    [Fact]
    public async Task Other_errors_are_counted()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 1 });

        _io.Submissions[0].Complete(-(long)Errno.EPIPE);

        await Eventually.True(() => _endpoint.Failures == 1);
    }

    [Fact]
    public async Task FlushAsync_waits_until_nothing_is_in_flight()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 1 });
        await _endpoint.WriteAsync(new byte[] { 2 });

        ValueTask flush = _endpoint.FlushAsync();
        Assert.False(flush.IsCompleted);
        _io.Submissions[0].Complete(1);
        Assert.False(flush.IsCompleted);
        _io.Submissions[1].Complete(1);

        await flush.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await _endpoint.WriteAsync(new byte[] { 3 });
    }

    [Fact]
    public async Task Stop_cancels_waits_for_every_buffer_and_returns_them_to_the_pool()
    {
        _endpoint.Enable(1);
        await _endpoint.WriteAsync(new byte[] { 1 });

        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(0, _pool.Outstanding);
        await Assert.ThrowsAsync<EndpointDisabledException>(async () => await _endpoint.WriteAsync(new byte[] { 2 }));
    }

    [Fact]
    public async Task A_lent_buffer_is_sent_in_place_with_the_length_given()
    {
        _endpoint.Enable(1);

        using InTransfer transfer = await _endpoint.GetBufferAsync();
        Assert.Equal(EndpointStatus.Ok, transfer.Status);
        Assert.Equal(4, transfer.Memory.Length);
        transfer.Span[0] = 7;
        transfer.Span[1] = 8;

        Assert.Equal(EndpointStatus.Ok, transfer.Send(2));
        FakeEndpointIo.Submission submission = Assert.Single(_io.Submissions);
        Assert.False(submission.IsRead);
        Assert.Equal(new byte[] { 7, 8 }, submission.DataAtSubmit);
    }

    [Fact]
    public async Task A_lent_buffer_keeps_what_the_last_transfer_left_in_it()
    {
        _endpoint.Enable(1);
        using (InTransfer first = await _endpoint.GetBufferAsync())
        {
            first.Span.Fill(9);
            first.Send(4);
        }
        _io.Submissions[0].Complete(4);
        await Eventually.True(() => _endpoint.InFlight == 0);

        // The buffer that went out last comes back first, still holding its data: a fixed payload is written once.
        using InTransfer second = await _endpoint.GetBufferAsync();
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, second.Span.ToArray());
    }

    [Fact]
    public async Task Sending_zero_bytes_sends_a_zero_length_packet()
    {
        _endpoint.Enable(1);

        using InTransfer transfer = await _endpoint.GetBufferAsync();

        Assert.Equal(EndpointStatus.Ok, transfer.Send(0));
        Assert.Equal(0, Assert.Single(_io.Submissions).Length);
    }

    [Fact]
    public async Task A_lent_buffer_counts_against_the_queue_depth_until_it_is_sent_or_disposed()
    {
        _endpoint.Enable(1);
        InTransfer first = await _endpoint.GetBufferAsync();
        InTransfer second = await _endpoint.GetBufferAsync();

        ValueTask<InTransfer> third = _endpoint.GetBufferAsync();
        Assert.False(third.IsCompleted);

        // Disposing an unsent buffer gives it back without sending anything.
        first.Dispose();
        using InTransfer got = await third.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(EndpointStatus.Ok, got.Status);
        Assert.Empty(_io.Submissions);
        second.Dispose();
    }

    [Fact]
    public async Task A_writer_waiting_for_a_buffer_is_lent_the_one_a_completion_frees()
    {
        _endpoint.Enable(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        ValueTask<InTransfer> waiting = _endpoint.GetBufferAsync();
        Assert.False(waiting.IsCompleted);

        _io.Submissions[1].Complete(1);
        InTransfer lent = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Ok, lent.Status);
        lent.Span[0] = 42;
        Assert.Equal(EndpointStatus.Ok, lent.Send(1));
        Assert.Same(_io.Submissions[1].Buffer, _io.Submissions[2].Buffer);
        Assert.Equal(42, _io.Submissions[2].DataAtSubmit[0]);
        _io.Submissions[0].Complete(1);
        _io.Submissions[2].Complete(1);
    }

    [Fact]
    public async Task A_waiting_writer_whose_token_is_cancelled_is_lent_nothing_and_the_buffer_stays_free()
    {
        _endpoint.Enable(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        using var run = new CancellationTokenSource();
        ValueTask<InTransfer> waiting = _endpoint.GetBufferAsync(run.Token);

        await run.CancelAsync();
        _io.Submissions[0].Complete(1);

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await waiting);
        ValueTask<InTransfer> next = _endpoint.GetBufferAsync();
        Assert.True(next.IsCompletedSuccessfully);
        (await next).Dispose();
        _io.Submissions[1].Complete(1);
    }

    [Fact]
    public async Task A_writer_waiting_for_a_buffer_hears_Stopped_at_stop()
    {
        _endpoint.Enable(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        ValueTask<InTransfer> waiting = _endpoint.GetBufferAsync();

        Task<bool> stopping = _endpoint.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Stopped, (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Status);
        Assert.True(await stopping);
    }

    [Fact]
    public async Task A_buffer_is_sent_once_and_disposing_it_afterwards_does_nothing()
    {
        _endpoint.Enable(1);
        InTransfer transfer = await _endpoint.GetBufferAsync();
        transfer.Send(1);

        Assert.Throws<InvalidOperationException>(() => transfer.Send(1));
        transfer.Dispose();

        Assert.Single(_io.Submissions);
        Assert.Equal(1, _endpoint.InFlight);
    }

    [Fact]
    public async Task A_length_beyond_the_buffer_is_refused_and_the_buffer_stays_lent()
    {
        _endpoint.Enable(1);
        using InTransfer transfer = await _endpoint.GetBufferAsync();

        Assert.Throws<ArgumentOutOfRangeException>(() => transfer.Send(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => transfer.Send(-1));

        Assert.Equal(EndpointStatus.Ok, transfer.Send(4));
    }

    [Fact]
    public async Task Without_a_buffer_the_status_says_why_and_Send_explains_itself()
    {
        InTransfer none = await _endpoint.GetBufferAsync();

        Assert.Equal(EndpointStatus.Disabled, none.Status);
        Assert.True(none.Memory.IsEmpty);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => none.Send(0));
        Assert.Contains("Disabled", e.Message, StringComparison.Ordinal);
        none.Dispose();
    }

    [Fact]
    public async Task A_buffer_taken_before_a_disable_is_not_sent_into_the_next_enable_cycle()
    {
        _endpoint.Enable(1);
        using InTransfer transfer = await _endpoint.GetBufferAsync();

        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2);

        Assert.Equal(EndpointStatus.Disabled, transfer.Send(1));
        Assert.Empty(_io.Submissions);
        using InTransfer next = await _endpoint.GetBufferAsync();
        Assert.Equal(EndpointStatus.Ok, next.Status);
    }

    [Fact]
    public async Task A_writer_waiting_for_a_buffer_sees_Disabled_when_the_endpoint_is_disabled()
    {
        _endpoint.Enable(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        ValueTask<InTransfer> waiting = _endpoint.GetBufferAsync();

        _endpoint.Disable("DISABLE");

        Assert.Equal(EndpointStatus.Disabled, (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Status);
        _io.Submissions[0].Complete(-(long)Errno.ESHUTDOWN);
        _io.Submissions[1].Complete(-(long)Errno.ESHUTDOWN);
    }

    [Fact]
    public async Task A_buffer_still_lent_at_stop_goes_back_to_the_pool_when_it_is_sent_or_disposed()
    {
        _endpoint.Enable(1);
        InTransfer sent = await _endpoint.GetBufferAsync();
        InTransfer disposed = await _endpoint.GetBufferAsync();

        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, _pool.Outstanding);

        Assert.Equal(EndpointStatus.Stopped, sent.Send(1));
        disposed.Dispose();
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(EndpointStatus.Stopped, (await _endpoint.GetBufferAsync()).Status);
        Assert.Empty(_io.Submissions);
    }
}
