using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

// OutEndpoint.ReceiveAsync: reads handed to a handler as they complete, instead of a ReadAsync loop.
public sealed partial class OutEndpointTests
{
    [Fact]
    public async Task Reads_reach_the_handler_in_the_order_the_host_sent_them_and_each_disposed_buffer_is_queued_again()
    {
        _endpoint.Enable(1, 512);
        var handler = new RecordingHandler();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(handler);

        _io.Submissions[1].CompleteRead([2]); // completes early: held back until the read before it
        Assert.Empty(handler.Received);
        _io.Submissions[0].CompleteRead([1]);
        _io.Submissions[2].CompleteRead([3]);

        Assert.Equal([1, 2, 3], handler.Received);
        Assert.Equal(7, _io.Submissions.Count);
        Assert.Equal(4, _endpoint.InFlight);
        Assert.False(receiving.IsCompleted);
    }

    [Fact]
    public async Task Reads_that_completed_before_the_call_are_handed_over_first()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1]);
        _io.Submissions[1].CompleteRead([2]);

        var handler = new RecordingHandler();
        _ = _endpoint.ReceiveAsync(handler);
        _io.Submissions[2].CompleteRead([3]);

        Assert.Equal([1, 2, 3], handler.Received);
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Fact]
    public async Task The_handler_is_called_one_read_at_a_time_and_a_completion_meanwhile_does_not_wait_for_it()
    {
        _endpoint.Enable(1, 512);
        using var release = new ManualResetEventSlim();
        var handler = new RecordingHandler(onFirst: () => release.Wait(TimeSpan.FromSeconds(10)));
        _ = _endpoint.ReceiveAsync(handler);

        Task first = Task.Run(() => _io.Submissions[0].CompleteRead([1]));
        await Eventually.True(() => handler.Calls == 1);
        _io.Submissions[1].CompleteRead([2]); // returns at once: the thread in the handler takes this read next

        Assert.Equal(1, handler.Calls);
        release.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([1, 2], handler.Received);
        Assert.Equal(1, handler.MostAtOnce);
    }

    [Fact]
    public async Task Receiving_ends_with_Disabled_after_what_was_read_before_the_DISABLE()
    {
        _endpoint.Enable(1, 512);
        var handler = new RecordingHandler(keep: true);
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(handler);
        _io.Submissions[0].CompleteRead([1]);

        _endpoint.Disable("test");

        Assert.Equal(EndpointStatus.Disabled, await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal([1], handler.Received);
        handler.DisposeKept();
    }

    [Fact]
    public async Task Receiving_ends_with_Stopped_at_stop()
    {
        _endpoint.Enable(1, 512);
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new RecordingHandler());

        await _endpoint.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Stopped, await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_cancelled_token_ends_receiving_and_later_data_waits_for_the_next_reader()
    {
        _endpoint.Enable(1, 512);
        using var run = new CancellationTokenSource();
        var handler = new RecordingHandler();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(handler, run.Token);

        run.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        _io.Submissions[0].CompleteRead([7]);

        Assert.Empty(handler.Received);
        using OutTransfer next = await _endpoint.ReadAsync();
        Assert.Equal(7, next.Span[0]);
    }

    [Fact]
    public async Task A_handler_that_throws_faults_the_receive_and_the_buffer_it_was_given_is_queued_again()
    {
        _endpoint.Enable(1, 512);
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new ThrowingHandler());

        _io.Submissions[0].CompleteRead([1]);

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("bad frame", thrown.Message);
        Assert.Equal(5, _io.Submissions.Count);
        Assert.Same(_io.Submissions[0].Buffer, _io.Submissions[4].Buffer);
    }

    [Fact]
    public async Task A_failed_read_reaches_the_handler_with_its_errno_and_its_buffer_is_queued_again()
    {
        _endpoint.Enable(1, 512);
        var handler = new RecordingHandler();
        _ = _endpoint.ReceiveAsync(handler);

        _io.Submissions[0].Complete(-(long)Errno.EPIPE);

        Assert.Equal([EndpointStatus.Failed], handler.Statuses);
        Assert.Equal(5, _io.Submissions.Count);
        Assert.Equal(4, _endpoint.InFlight);
    }

    [Fact]
    public async Task A_transfer_kept_past_the_call_keeps_its_buffer_out_of_the_queue_until_it_is_disposed()
    {
        _endpoint.Enable(1, 512);
        var handler = new RecordingHandler(keep: true);
        _ = _endpoint.ReceiveAsync(handler);

        _io.Submissions[0].CompleteRead([1]);
        Assert.Equal(3, _endpoint.InFlight);

        await Task.Run(handler.DisposeKept); // from any thread
        Assert.Equal(4, _endpoint.InFlight);
        Assert.Same(_io.Submissions[0].Buffer, _io.Submissions[4].Buffer);
    }

    [Fact]
    public async Task An_endpoint_serves_one_reader_ReadAsync_or_ReceiveAsync()
    {
        _endpoint.Enable(1, 512);
        using var run = new CancellationTokenSource();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new RecordingHandler(), run.Token);

        var busy = Assert.Throws<InvalidOperationException>(() => _endpoint.ReadAsync());
        Assert.Contains("one reader at a time", busy.Message);
        Assert.Throws<InvalidOperationException>(() => { _ = _endpoint.ReceiveAsync(new RecordingHandler()); });

        run.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving);
        ValueTask<OutTransfer> read = _endpoint.ReadAsync();
        Assert.Throws<InvalidOperationException>(() => { _ = _endpoint.ReceiveAsync(new RecordingHandler()); });
        _io.Submissions[0].CompleteRead([1]);
        (await read).Dispose();
    }

    [Fact]
    public async Task Receiving_before_ENABLE_ends_at_once_with_Disabled()
    {
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new RecordingHandler());

        Assert.True(receiving.IsCompleted);
        Assert.Equal(EndpointStatus.Disabled, await receiving);
    }

    [Fact]
    public async Task A_pending_handler_task_holds_the_next_read_back_until_it_completes()
    {
        _endpoint.Enable(1, 512);
        var firstCall = new TaskCompletionSource();
        var handler = new RecordingHandler(firstCallTask: firstCall.Task);
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(handler);

        _io.Submissions[0].CompleteRead([1]);
        _io.Submissions[1].CompleteRead([2]);
        Assert.Equal([1], handler.Received);

        firstCall.SetResult();
        await Eventually.True(() => handler.Received.Count == 2);
        Assert.Equal([1, 2], handler.Received);
        Assert.Equal(6, _io.Submissions.Count);
        Assert.False(receiving.IsCompleted);
    }

    [Fact]
    public async Task A_handler_task_that_faults_ends_the_receive_with_its_exception_and_the_buffer_is_queued_again()
    {
        _endpoint.Enable(1, 512);
        var call = new TaskCompletionSource();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new PendingHandler(_ => call.Task));

        _io.Submissions[0].CompleteRead([1]);
        Assert.Equal(4, _io.Submissions.Count); // the handler still holds the buffer
        call.SetException(new InvalidDataException("bad frame"));

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("bad frame", thrown.Message);
        Assert.Equal(5, _io.Submissions.Count);
        Assert.Same(_io.Submissions[0].Buffer, _io.Submissions[4].Buffer);
    }

    [Fact]
    public async Task A_handler_task_cancelled_by_the_receive_token_ends_the_receive_cancelled_and_the_buffer_is_queued_again()
    {
        _endpoint.Enable(1, 512);
        using var run = new CancellationTokenSource();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new PendingHandler(token => Task.Delay(Timeout.Infinite, token)), run.Token);
        _io.Submissions[0].CompleteRead([1]);

        run.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(receiving.IsCanceled);
        Assert.Equal(5, _io.Submissions.Count);
    }

    [Fact]
    public async Task Receiving_ends_with_Disabled_once_a_pending_handler_task_completes()
    {
        _endpoint.Enable(1, 512);
        var call = new TaskCompletionSource();
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(new PendingHandler(_ => call.Task));
        _io.Submissions[0].CompleteRead([1]);

        _endpoint.Disable("test");
        Assert.False(receiving.IsCompleted);
        call.SetResult();

        Assert.Equal(EndpointStatus.Disabled, await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_handler_task_pending_across_DISABLE_and_ENABLE_ends_the_receive_and_the_next_cycle_is_left_to_the_next_reader()
    {
        _endpoint.Enable(1, 512);
        var firstCall = new TaskCompletionSource();
        var handler = new RecordingHandler(firstCallTask: firstCall.Task);
        Task<EndpointStatus> receiving = _endpoint.ReceiveAsync(handler);
        _io.Submissions[0].CompleteRead([1]);

        _endpoint.Disable("test");
        foreach (FakeEndpointIo.Submission read in _io.Pending)
        {
            read.Complete(-(long)Errno.ESHUTDOWN);
        }

        _endpoint.Enable(2, 512);
        _io.Pending[0].CompleteRead([2]);
        firstCall.SetResult();

        Assert.Equal(EndpointStatus.Disabled, await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal([1], handler.Received);
        using OutTransfer next = await _endpoint.ReadAsync();
        Assert.Equal(2, next.Span[0]);
    }

    private sealed class RecordingHandler(Action? onFirst = null, bool keep = false, Task? firstCallTask = null) : IOutTransferHandler
    {
        private readonly List<OutTransfer> _kept = [];
        private int _active;

        public List<byte> Received { get; } = [];

        public List<EndpointStatus> Statuses { get; } = [];

        public int Calls { get; private set; }

        public int MostAtOnce { get; private set; }

        public ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            MostAtOnce = Math.Max(MostAtOnce, Interlocked.Increment(ref _active));
            Calls++;
            if (Calls == 1)
            {
                onFirst?.Invoke();
            }

            Statuses.Add(transfer.Status);
            if (transfer.Status == EndpointStatus.Ok)
            {
                Received.Add(transfer.Span[0]);
            }

            if (keep)
            {
                _kept.Add(transfer);
            }
            else
            {
                transfer.Dispose();
            }

            Interlocked.Decrement(ref _active);
            return Calls == 1 && firstCallTask is not null ? new ValueTask(firstCallTask) : default;
        }

        public void DisposeKept()
        {
            foreach (OutTransfer transfer in _kept)
            {
                transfer.Dispose();
            }
        }
    }

    /// <summary>Disposes each transfer once the task <paramref name="call"/> returns for it completes.</summary>
    private sealed class PendingHandler(Func<CancellationToken, Task> call) : IOutTransferHandler
    {
        public async ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            using (transfer)
            {
                await call(cancellationToken);
            }
        }
    }

    private sealed class ThrowingHandler : IOutTransferHandler
    {
        public ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken) => throw new InvalidDataException("bad frame");
    }
}
