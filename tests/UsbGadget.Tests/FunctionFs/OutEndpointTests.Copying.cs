using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Tests.FunctionFs;

// The primary level, ReadAsync(Memory<byte>): copies, with the host's transfer boundaries kept; and the leases' misuse checks.
public sealed partial class OutEndpointTests
{
    private static byte[] Bytes(int count, int start = 0) => Enumerable.Range(start, count).Select(i => (byte)i).ToArray();

    [Fact]
    public async Task A_copying_read_returns_one_host_transfer_which_a_short_packet_ends()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].CompleteRead(Bytes(100, 512));
        _io.Submissions[2].CompleteRead(Bytes(7, 50));

        byte[] buffer = new byte[2048];
        Assert.Equal(612, await _endpoint.ReadAsync(buffer));
        Assert.Equal(Bytes(612), buffer[..612]);
        Assert.Equal(7, await _endpoint.ReadAsync(buffer));
        Assert.Equal(Bytes(7, 50), buffer[..7]);
    }

    [Fact]
    public async Task A_transfer_of_whole_packets_ends_at_its_zero_length_packet_which_carries_no_data_of_its_own()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].CompleteRead([]);
        _io.Submissions[2].CompleteRead([]); // an empty host transfer: not seen at this level
        _io.Submissions[3].CompleteRead([9]);

        byte[] buffer = new byte[2048];
        Assert.Equal(512, await _endpoint.ReadAsync(buffer));
        Assert.Equal(1, await _endpoint.ReadAsync(buffer));
        Assert.Equal(9, buffer[0]);
    }

    [Fact]
    public async Task Bytes_that_do_not_fit_the_buffer_stay_for_the_next_read_and_its_buffer_is_not_requeued_before()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(100));

        byte[] small = new byte[30];
        Assert.Equal(30, await _endpoint.ReadAsync(small));
        Assert.Equal(4, _io.Submissions.Count); // the transfer's buffer is still being read from
        byte[] rest = new byte[512];
        Assert.Equal(70, await _endpoint.ReadAsync(rest));

        Assert.Equal(Bytes(70, 30), rest[..70]);
        await Eventually.True(() => _io.Submissions.Count == 5);
    }

    [Fact]
    public async Task A_buffer_filled_before_the_transfer_ends_is_returned_full()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(512));

        Assert.Equal(512, await _endpoint.ReadAsync(new byte[512]));
    }

    [Fact]
    public async Task A_copying_read_returns_0_once_the_endpoint_is_disabled_and_everything_received_was_read()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead([1, 2]);
        _endpoint.Disable("DISABLE");

        byte[] buffer = new byte[512];
        Assert.Equal(2, await _endpoint.ReadAsync(buffer));
        Assert.Equal(0, await _endpoint.ReadAsync(buffer));
    }

    [Fact]
    public async Task A_waiting_copying_read_returns_0_when_the_host_disables_the_endpoint()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> read = _endpoint.ReadAsync(new byte[512]);
        Assert.False(read.IsCompleted);

        _endpoint.Disable("DISABLE");

        Assert.Equal(0, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Cancelling_a_read_that_already_copied_bytes_returns_them_instead_of_losing_them()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(512)); // a full read: the host's transfer may go on
        using var cancellation = new CancellationTokenSource();

        ValueTask<int> read = _endpoint.ReadAsync(new byte[2048], cancellation.Token);
        Assert.False(read.IsCompleted);
        await cancellation.CancelAsync();

        Assert.Equal(512, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _endpoint.ReadAsync(new byte[8], cancellation.Token));
    }

    [Fact]
    public async Task A_read_the_kernel_failed_throws_IOException_after_the_bytes_before_it_and_reading_goes_on()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].Complete(-(long)Errno.EPIPE);
        _io.Submissions[2].CompleteRead([5]);

        byte[] buffer = new byte[2048];
        Assert.Equal(512, await _endpoint.ReadAsync(buffer));
        IOException failure = await Assert.ThrowsAsync<IOException>(async () => await _endpoint.ReadAsync(buffer));
        Assert.Contains("EPIPE", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, await _endpoint.ReadAsync(buffer));
    }

    [Fact]
    public async Task A_second_reader_while_one_waits_is_refused()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> first = _endpoint.ReadAsync(new byte[8]);

        Assert.Throws<InvalidOperationException>(() => _endpoint.ReadAsync(new byte[8]));
        Assert.Throws<InvalidOperationException>(() => _endpoint.ReadAsync());

        _io.Submissions[0].CompleteRead([1]);
        Assert.Equal(1, await first.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_copying_read_resumes_off_the_completion_thread_while_a_lease_resumes_on_it()
    {
        _io.ActsAsCompletionThread = true;
        _endpoint.Enable(1, 512);

        ValueTask<int> copy = _endpoint.ReadAsync(new byte[8]);
        Assert.False(await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await copy.ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () => _io.Submissions[0].CompleteRead([1])));

        ValueTask<OutTransfer> lease = _endpoint.ReadAsync();
        Assert.True(await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                (await lease.ConfigureAwait(false)).Dispose();
                return Thread.CurrentThread;
            },
            () => _io.Submissions[1].CompleteRead([1])));
    }

    [Fact]
    public async Task A_lease_after_a_copying_read_starts_where_the_copy_stopped()
    {
        _endpoint.Enable(1, 512);
        _io.Submissions[0].CompleteRead(Bytes(100));
        Assert.Equal(30, await _endpoint.ReadAsync(new byte[30]));

        using OutTransfer rest = await _endpoint.ReadAsync();

        Assert.Equal(70, rest.Length);
        Assert.Equal(Bytes(70, 30), rest.Span.ToArray());
        Assert.True(rest.EndsTransfer);
    }

    [Fact]
    public async Task A_lease_used_after_Dispose_throws_instead_of_showing_the_next_transfers_bytes()
    {
        await using var endpoint = new SingleBufferEndpoint(_io, _pool);
        endpoint.Out.Enable(1, 512);
        endpoint.LastRead.CompleteRead([1, 2, 3]);
        OutTransfer first = await endpoint.Out.ReadAsync();
        ReadOnlyMemory<byte> kept = first.Data;
        Assert.Equal(1, kept.Span[0]);

        first.Dispose();
        // The one buffer now receives the next transfer: the old lease and its Memory must not see these bytes.
        await Eventually.True(() => endpoint.LastRead != _io.Submissions[0]);
        endpoint.LastRead.CompleteRead([7, 8, 9]);
        using OutTransfer second = await endpoint.Out.ReadAsync();

        Assert.Throws<ObjectDisposedException>(() => first.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => first.Data);
        Assert.Throws<ObjectDisposedException>(() => kept.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => kept.Pin());
        Assert.Equal(new byte[] { 7, 8, 9 }, second.Data.ToArray());
    }

    /// <summary>An OUT endpoint with a single buffer, so that every lease is of the same memory.</summary>
    private sealed class SingleBufferEndpoint(FakeEndpointIo io, AioBufferPool pool) : IAsyncDisposable
    {
        public OutEndpoint Out { get; } = new("/ffs/ep1", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], io, pool, depth: 1, transferSize: 512, NullLogger.Instance);

        public FakeEndpointIo.Submission LastRead => io.Submissions[^1];

        public async ValueTask DisposeAsync() => Assert.True(await Out.StopAsync(TimeSpan.FromSeconds(5)));
    }
}
