using System.Buffers;
using System.Runtime.InteropServices;
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
    public async Task A_waiting_read_is_filled_by_the_completions_and_resumes_once_when_its_buffer_is_full()
    {
        _endpoint.Enable(1, 512);
        byte[] buffer = new byte[1536];
        ValueTask<int> read = _endpoint.ReadAsync(buffer);

        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].CompleteRead(Bytes(512, 512));
        // Each buffer copied is queued for the next read at once, before the reader has run.
        Assert.Equal(6, _io.Submissions.Count);
        Assert.False(read.IsCompleted);
        _io.Submissions[2].CompleteRead(Bytes(512, 1024));

        Assert.Equal(1536, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Bytes(1536), buffer);
        Assert.Equal(7, _io.Submissions.Count);
    }

    [Fact]
    public async Task A_waiting_read_resumes_when_a_short_packet_ends_the_transfer_with_every_byte_before_it()
    {
        _endpoint.Enable(1, 512);
        byte[] buffer = new byte[2048];
        ValueTask<int> read = _endpoint.ReadAsync(buffer);

        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].CompleteRead(Bytes(3, 512));

        Assert.Equal(515, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Bytes(515), buffer[..515]);
    }

    [Fact]
    public async Task A_waiting_read_smaller_than_the_transfer_keeps_the_rest_for_the_next_read()
    {
        _endpoint.Enable(1, 512);
        byte[] small = new byte[100];
        ValueTask<int> read = _endpoint.ReadAsync(small);

        _io.Submissions[0].CompleteRead(Bytes(300));

        Assert.Equal(100, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Bytes(100), small);
        Assert.Equal(4, _io.Submissions.Count); // the transfer's buffer is still being read from
        byte[] rest = new byte[512];
        Assert.Equal(200, await _endpoint.ReadAsync(rest));
        Assert.Equal(Bytes(200, 100), rest[..200]);
        Assert.Equal(5, _io.Submissions.Count);
    }

    [Fact]
    public async Task A_waiting_read_that_a_failed_read_ends_returns_the_bytes_before_it_and_the_next_read_throws()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> read = _endpoint.ReadAsync(new byte[2048]);

        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].Complete(-(long)Errno.EPIPE);

        Assert.Equal(512, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<IOException>(async () => await _endpoint.ReadAsync(new byte[8]));
    }

    [Fact]
    public async Task A_waiting_read_with_nothing_copied_throws_for_a_failed_read()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> read = _endpoint.ReadAsync(new byte[2048]);

        _io.Submissions[0].Complete(-(long)Errno.EPIPE);

        IOException failure = await Assert.ThrowsAsync<IOException>(async () => await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("EPIPE", failure.Message, StringComparison.Ordinal);
        Assert.Equal(5, _io.Submissions.Count); // the failed read's buffer is queued again
    }

    [Fact]
    public async Task A_waiting_read_returns_what_it_has_when_the_endpoint_stops()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> read = _endpoint.ReadAsync(new byte[2048]);
        _io.Submissions[0].CompleteRead(Bytes(512));
        Assert.False(read.IsCompleted);

        Assert.True(await _endpoint.StopAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(512, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, await _endpoint.ReadAsync(new byte[8]));
    }

    [Fact]
    public async Task A_waiting_read_into_memory_that_is_not_an_arrays_is_filled_through_a_pin_released_after_it()
    {
        _endpoint.Enable(1, 512);
        using var memory = new CountingMemoryManager(1024);
        ValueTask<int> read = _endpoint.ReadAsync(memory.Memory);

        _io.Submissions[0].CompleteRead(Bytes(512));
        _io.Submissions[1].CompleteRead(Bytes(512, 512));

        Assert.Equal(1024, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Bytes(1024), memory.GetSpan().ToArray());
        Assert.Equal(0, memory.Pins);
    }

    [Fact]
    public async Task A_read_served_from_data_already_received_completes_on_the_callers_thread()
    {
        _io.ActsAsCompletionThread = true;
        _endpoint.Enable(1, 512);
        var completer = new Thread(() => _io.Submissions[0].CompleteRead(Bytes(512))) { IsBackground = true };
        completer.Start();
        Assert.True(completer.Join(TimeSpan.FromSeconds(5)));

        ValueTask<int> read = _endpoint.ReadAsync(new byte[512]);

        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(512, await read);
    }

    [Fact]
    public async Task A_waiting_read_filled_over_several_completions_resumes_off_the_completion_thread()
    {
        _io.ActsAsCompletionThread = true;
        _endpoint.Enable(1, 512);

        ValueTask<int> copy = _endpoint.ReadAsync(new byte[1024]);
        Assert.False(await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await copy.ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () =>
            {
                _io.Submissions[0].CompleteRead(Bytes(512));
                _io.Submissions[1].CompleteRead(Bytes(512));
            }));
    }

    [Fact]
    public async Task A_reader_that_blocks_on_its_next_read_after_a_wait_is_still_resumed()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> first = _endpoint.ReadAsync(new byte[512]);
        Stream stream = _endpoint.AsStream();

        // Resumed on the endpoint's reader thread, the caller blocks it in a synchronous read that must wait.
        Task<int> second = ThenReadSynchronouslyAsync(first, stream);
        _io.Submissions[0].CompleteRead(Bytes(512));
        await Task.Delay(200);
        _io.Submissions[1].CompleteRead(Bytes(7));

        Assert.Equal(7, await second.WaitAsync(TimeSpan.FromSeconds(5)));

        static async Task<int> ThenReadSynchronouslyAsync(ValueTask<int> read, Stream stream)
        {
            Assert.Equal(512, await read.ConfigureAwait(false));
            return stream.Read(new byte[512], 0, 512);
        }
    }

    [Fact]
    public async Task A_lease_read_while_a_copying_read_waits_is_refused()
    {
        _endpoint.Enable(1, 512);
        ValueTask<int> copy = _endpoint.ReadAsync(new byte[8]);

        Assert.Throws<InvalidOperationException>(() => _endpoint.ReadAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => _endpoint.ReceiveAsync(new RecordingHandler()));

        _io.Submissions[0].CompleteRead([1]);
        Assert.Equal(1, await copy.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>Memory that is not an array's, which counts the pins still held on it.</summary>
    private sealed unsafe class CountingMemoryManager(int length) : MemoryManager<byte>
    {
        private readonly byte* _memory = (byte*)NativeMemory.AllocZeroed((nuint)length);

        public int Pins { get; private set; }

        public override Span<byte> GetSpan() => new(_memory, length);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            Pins++;
            return new MemoryHandle(_memory + elementIndex, pinnable: this);
        }

        public override void Unpin() => Pins--;

        protected override void Dispose(bool disposing) => NativeMemory.Free(_memory);
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
