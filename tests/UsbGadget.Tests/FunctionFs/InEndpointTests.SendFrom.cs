using UsbGadget.Aio;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

// InEndpoint.SendFromAsync: free buffers handed to a source to fill as writes complete, instead of a GetBufferAsync loop.
public sealed partial class InEndpointTests
{
    [Fact]
    public async Task The_source_fills_every_free_buffer_and_each_is_sent_with_the_length_it_returns()
    {
        _endpoint.Enable(1);
        var source = new NumberingSource(length: 3);

        Task<EndpointStatus> sending = _endpoint.SendFromAsync(source);

        Assert.Equal(2, _io.Submissions.Count); // the queue depth, filled on the caller's thread
        Assert.Equal(new byte[] { 1, 0, 0 }, _io.Submissions[0].DataAtSubmit);
        Assert.Equal(new byte[] { 2, 0, 0 }, _io.Submissions[1].DataAtSubmit);
        Assert.All(_io.Submissions, submission => Assert.False(submission.IsRead));
        Assert.False(sending.IsCompleted);
    }

    [Fact]
    public async Task Each_completed_write_brings_the_next_call_in_order()
    {
        _endpoint.Enable(1);
        var source = new NumberingSource(length: 1);
        _ = _endpoint.SendFromAsync(source);

        _io.Submissions[1].Complete(1);
        _io.Submissions[0].Complete(1);
        _io.Submissions[2].Complete(1);

        Assert.Equal([1, 2, 3, 4, 5], _io.Submissions.Select(s => (int)s.DataAtSubmit[0]));
        Assert.Equal(2, _endpoint.InFlight);
        Assert.Equal(1, source.MostAtOnce);
    }

    [Fact]
    public async Task Zero_sends_a_zero_length_packet()
    {
        _endpoint.Enable(1);

        _ = _endpoint.SendFromAsync(new NumberingSource(length: 0));

        Assert.Equal(0, _io.Submissions[0].Length);
    }

    [Fact]
    public async Task EndOfData_ends_the_run_with_Ok_and_leaves_its_buffer_to_the_next_writer()
    {
        _endpoint.Enable(1);
        var source = new NumberingSource(length: 1, lastCall: 2); // the second call ends it

        EndpointStatus status = await _endpoint.SendFromAsync(source).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(EndpointStatus.Ok, status);
        Assert.Single(_io.Submissions);
        using InTransfer next = await _endpoint.GetBufferAsync();
        Assert.Equal(EndpointStatus.Ok, next.Status);
    }

    [Fact]
    public async Task A_pending_fill_holds_the_next_call_back_and_its_data_goes_out_in_order()
    {
        _endpoint.Enable(1);
        var data = new TaskCompletionSource<int>();
        var source = new NumberingSource(length: 1, pendingCall: 2, pending: data.Task);
        _ = _endpoint.SendFromAsync(source);
        Assert.Single(_io.Submissions);

        _io.Submissions[0].Complete(1); // a buffer comes free while the second call waits for its data
        Assert.Equal(2, source.Calls);

        data.SetResult(1);

        await Eventually.True(() => _io.Submissions.Count == 3);
        Assert.Equal([1, 2, 3], _io.Submissions.Select(s => (int)s.DataAtSubmit[0]));
        Assert.Equal(1, source.MostAtOnce);
    }

    [Fact]
    public async Task A_length_beyond_the_buffer_faults_the_run_and_nothing_is_sent()
    {
        _endpoint.Enable(1);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => _endpoint.SendFromAsync(new NumberingSource(length: 5)).WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Contains("NumberingSource.FillAsync returned 5", thrown.Message);
        Assert.Contains("0 to 4", thrown.Message);
        Assert.Empty(_io.Submissions);
        using InTransfer next = await _endpoint.GetBufferAsync();
        Assert.Equal(EndpointStatus.Ok, next.Status);
    }

    [Fact]
    public async Task A_source_that_throws_faults_the_run_and_the_buffer_it_was_filling_is_not_sent()
    {
        _endpoint.Enable(1);
        var source = new NumberingSource(length: 1, failingCall: 2);

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(
            () => _endpoint.SendFromAsync(source).WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal("no data", thrown.Message);
        Assert.Single(_io.Submissions);
        await _endpoint.WriteAsync(new byte[] { 9 });
    }

    [Fact]
    public async Task The_run_ends_with_Disabled_and_a_fill_pending_across_the_disable_is_not_sent_into_the_next_cycle()
    {
        _endpoint.Enable(1);
        var data = new TaskCompletionSource<int>();
        var source = new NumberingSource(length: 1, pendingCall: 1, pending: data.Task);
        Task<EndpointStatus> sending = _endpoint.SendFromAsync(source);

        _endpoint.Disable("DISABLE");
        _endpoint.Enable(2);
        data.SetResult(1);

        Assert.Equal(EndpointStatus.Disabled, await sending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_io.Submissions);
    }

    [Fact]
    public async Task Before_ENABLE_the_run_ends_at_once_with_Disabled()
    {
        Assert.Equal(EndpointStatus.Disabled, await _endpoint.SendFromAsync(new NumberingSource(length: 1)).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_io.Submissions);
    }

    [Fact]
    public async Task The_run_ends_with_Stopped_at_stop_and_a_buffer_being_filled_goes_back_to_the_pool_when_the_fill_completes()
    {
        _endpoint.Enable(1);
        var data = new TaskCompletionSource<int>();
        Task<EndpointStatus> sending = _endpoint.SendFromAsync(new NumberingSource(length: 1, pendingCall: 2, pending: data.Task));

        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, _pool.Outstanding);
        data.SetResult(1);

        Assert.Equal(EndpointStatus.Stopped, await sending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _pool.Outstanding);
        Assert.Single(_io.Submissions);
    }

    [Fact]
    public async Task A_cancelled_token_ends_the_run_and_buffers_freed_later_stay_with_the_endpoint()
    {
        _endpoint.Enable(1);
        using var run = new CancellationTokenSource();
        var source = new NumberingSource(length: 1);
        Task<EndpointStatus> sending = _endpoint.SendFromAsync(source, run.Token);

        run.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromSeconds(5)));
        _io.Submissions[0].Complete(1);

        Assert.Equal(2, source.Calls);
        await _endpoint.WriteAsync(new byte[] { 9 });
    }

    [Fact]
    public async Task While_a_source_runs_the_other_writers_are_refused_with_an_explanation()
    {
        _endpoint.Enable(1);
        var data = new TaskCompletionSource<int>();
        Task<EndpointStatus> sending = _endpoint.SendFromAsync(new NumberingSource(length: 1, pendingCall: 1, pending: data.Task));

        var write = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _endpoint.WriteAsync(new byte[] { 1 }));
        Assert.Contains("SendFromAsync", write.Message);
        Assert.Throws<InvalidOperationException>(() => _endpoint.GetBufferAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => _endpoint.SendFromAsync(new NumberingSource(length: 1)));
        data.SetResult(IInTransferSource.EndOfData);
        Assert.Equal(EndpointStatus.Ok, await sending.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_source_cannot_start_while_a_writer_waits_for_a_buffer()
    {
        _endpoint.Enable(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        (await _endpoint.GetBufferAsync()).Send(1);
        ValueTask<InTransfer> waiting = _endpoint.GetBufferAsync();

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => _endpoint.SendFromAsync(new NumberingSource(length: 1)));

        Assert.Contains("one writer at a time", thrown.Message);
        _io.Submissions[0].Complete(1);
        (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    /// <summary>
    /// Writes its call number into the first byte and returns <c>length</c>; one call may wait for <c>pending</c>'s
    /// result instead, one may throw, and one may end the run.
    /// </summary>
    private sealed class NumberingSource(int length, int pendingCall = 0, Task<int>? pending = null, int failingCall = 0, int lastCall = 0)
        : IInTransferSource
    {
        private int _active;

        public int Calls { get; private set; }

        public int MostAtOnce { get; private set; }

        public ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            MostAtOnce = Math.Max(MostAtOnce, Interlocked.Increment(ref _active));
            try
            {
                int call = ++Calls;
                buffer.Span[0] = (byte)call;
                if (call == failingCall)
                {
                    throw new InvalidDataException("no data");
                }

                if (call == lastCall)
                {
                    return new ValueTask<int>(IInTransferSource.EndOfData);
                }

                return call == pendingCall ? new ValueTask<int>(pending!) : new ValueTask<int>(length);
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
