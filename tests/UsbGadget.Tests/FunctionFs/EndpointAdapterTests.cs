using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>The primary level's adapters: Stream for StreamReader/Writer and System.Text.Json, and PipeReader/PipeWriter.</summary>
public sealed class EndpointAdapterTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _io = new();
    private readonly AioBufferPool _pool = new(4096, 8);
    private readonly OutEndpoint _out;
    private readonly InEndpoint _in;

    public EndpointAdapterTests()
    {
        _out = new OutEndpoint("/ffs/ep1", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[0], _io, _pool, depth: 2, transferSize: 1024, NullLogger.Instance);
        _in = new InEndpoint("/ffs/ep2", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[1], _io, _pool, depth: 2, transferSize: 1024, NullLogger.Instance);
        _out.Enable(1, 512);
        _in.Enable(1, 512);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Assert.True(await _out.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await _in.StopAsync(TimeSpan.FromSeconds(5)));
        _pool.Dispose();
    }

    private IEnumerable<FakeEndpointIo.Submission> Reads => _io.Submissions.Where(s => s.IsRead);

    private IEnumerable<FakeEndpointIo.Submission> Writes => _io.Submissions.Where(s => !s.IsRead);

    private void Receive(string text) => Reads.First(s => !s.Completion.Task.IsCompleted).CompleteRead(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task A_StreamReader_reads_lines_that_span_transfers_and_sees_the_end_when_the_host_disables_the_endpoint()
    {
        using var reader = new StreamReader(_out.AsStream());
        Receive("PING\nECHO a");
        Receive("b\n");

        Assert.Equal("PING", await reader.ReadLineAsync());
        Assert.Equal("ECHO ab", await reader.ReadLineAsync());
        _out.Disable("DISABLE");
        Assert.Null(await reader.ReadLineAsync());
    }

    [Fact]
    public async Task A_StreamWriter_line_flushed_is_one_USB_transfer()
    {
        await using var writer = new StreamWriter(_in.AsStream()) { NewLine = "\n" };

        await writer.WriteLineAsync("OK PONG");
        await writer.FlushAsync();

        Assert.Equal("OK PONG\n", Encoding.UTF8.GetString(Assert.Single(Writes).DataAtSubmit));
    }

    [Fact]
    public async Task System_Text_Json_writes_and_reads_through_the_streams()
    {
        await JsonSerializer.SerializeAsync(_in.AsStream(), new Dictionary<string, int> { ["answer"] = 42 });
        Receive("{\"question\":6}");
        _out.Disable("DISABLE"); // the end of the stream ends the document

        Assert.Equal("{\"answer\":42}", Encoding.UTF8.GetString(Writes.SelectMany(w => w.DataAtSubmit).ToArray()));
        Dictionary<string, int>? read = await JsonSerializer.DeserializeAsync<Dictionary<string, int>>(_out.AsStream());
        Assert.Equal(6, read!["question"]);
    }

    [Fact]
    public void The_streams_say_what_they_can_do_and_refuse_the_rest_with_a_reason()
    {
        Stream reading = _out.AsStream();
        Stream writing = _in.AsStream();

        Assert.True(reading.CanRead && !reading.CanWrite && !reading.CanSeek);
        Assert.True(writing.CanWrite && !writing.CanRead);
        Assert.Same(reading, _out.AsStream());
        Assert.Contains("AsStream", Assert.Throws<NotSupportedException>(() => reading.Write([1])).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => writing.ReadByte());
    }

    [Fact]
    public async Task A_stream_write_of_nothing_sends_nothing()
    {
        await _in.AsStream().WriteAsync(ReadOnlyMemory<byte>.Empty);

        Assert.Empty(Writes);
    }

    [Fact]
    public async Task What_is_written_to_the_PipeWriter_between_flushes_goes_out_as_one_transfer_ended_for_the_host()
    {
        PipeWriter writer = _in.AsPipeWriter();
        writer.Write(new byte[300]);
        writer.Write(new byte[212]);
        Assert.Empty(Writes);

        FlushResult flushed = await writer.FlushAsync();

        Assert.False(flushed.IsCanceled);
        Assert.Equal([512, 0], Writes.Select(w => w.Length));
    }

    [Fact]
    public async Task A_PipeWriter_flush_on_a_disabled_endpoint_throws_EndpointDisabledException()
    {
        PipeWriter writer = _in.AsPipeWriter();
        _in.Disable("DISABLE");
        writer.Write(new byte[] { 1 });

        await Assert.ThrowsAsync<EndpointDisabledException>(async () => await writer.FlushAsync());
    }

    [Fact]
    public async Task The_PipeReader_reads_what_the_host_sent_and_completes_when_the_endpoint_is_disabled()
    {
        PipeReader reader = _out.AsPipeReader();
        Receive("hello");

        ReadResult result = await reader.ReadAsync();
        Assert.Equal("hello", Encoding.UTF8.GetString(result.Buffer.ToArray()));
        reader.AdvanceTo(result.Buffer.End);

        _out.Disable("DISABLE");
        result = await reader.ReadAsync();
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
    }

    [Fact]
    public async Task Stream_writes_do_not_end_the_host_transfer_and_Flush_ends_it_with_a_zero_length_packet_only_when_it_is_open()
    {
        Stream writing = _in.AsStream();

        await writing.WriteAsync(new byte[512]);
        await writing.WriteAsync(new byte[1024]);
        Assert.Equal([512, 1024], Writes.Select(w => w.Length));
        CompleteWrites();
        await writing.FlushAsync();
        Assert.Equal([512, 1024, 0], Writes.Select(w => w.Length));

        // A short packet ended this one already: Flush has nothing to add, however often it is called.
        CompleteWrites();
        await writing.WriteAsync(new byte[100]);
        writing.Flush();
        await writing.FlushAsync();
        Assert.Equal([512, 1024, 0, 100], Writes.Select(w => w.Length));
    }

    [Fact]
    public async Task Stream_Flush_with_every_buffer_in_flight_does_not_wait_and_the_next_buffer_freed_sends_the_zero_length_packet_first()
    {
        Stream writing = _in.AsStream();
        await writing.WriteAsync(new byte[512]);
        await writing.WriteAsync(new byte[512]);

        Assert.True(writing.FlushAsync().IsCompletedSuccessfully);
        Assert.Equal([512, 512], Writes.Select(w => w.Length));
        ValueTask next = writing.WriteAsync(new byte[100]);
        Writes.First().Complete(512);
        Writes.ElementAt(1).Complete(512);
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([512, 512, 0, 100], Writes.Select(w => w.Length));
    }

    [Fact]
    public async Task CancelPendingFlush_ends_a_PipeWriter_flush_parked_for_room_and_keeps_its_data_for_the_next_flush()
    {
        PipeWriter writer = _in.AsPipeWriter();
        await FillInQueueAsync();
        writer.Write("tail"u8);
        ValueTask<FlushResult> parked = writer.FlushAsync();
        Assert.False(parked.IsCompleted);

        writer.CancelPendingFlush();

        FlushResult result = await parked.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(result.IsCanceled);
        Assert.Equal(4, writer.UnflushedBytes);
        CompleteWrites();
        Assert.False((await writer.FlushAsync()).IsCanceled);
        Assert.Equal("tail", Encoding.UTF8.GetString(Writes.Last().DataAtSubmit));
    }

    [Fact]
    public async Task CancelPendingFlush_works_for_every_flush_not_just_the_first()
    {
        PipeWriter writer = _in.AsPipeWriter();
        for (int round = 0; round < 3; round++)
        {
            await FillInQueueAsync();
            writer.Write("x"u8);
            ValueTask<FlushResult> parked = writer.FlushAsync();
            writer.CancelPendingFlush();
            Assert.True((await parked.AsTask().WaitAsync(TimeSpan.FromSeconds(5))).IsCanceled);
            CompleteWrites();
            Assert.False((await writer.FlushAsync()).IsCanceled);
            CompleteWrites();
        }
    }

    [Fact]
    public async Task CancelPendingFlush_with_no_flush_running_cancels_the_next_one_only()
    {
        PipeWriter writer = _in.AsPipeWriter();
        writer.Write("abc"u8);

        writer.CancelPendingFlush();

        Assert.True((await writer.FlushAsync()).IsCanceled);
        Assert.Empty(Writes);
        Assert.False((await writer.FlushAsync()).IsCanceled);
        Assert.Equal("abc", Encoding.UTF8.GetString(Assert.Single(Writes).DataAtSubmit));
    }

    [Fact]
    public async Task A_PipeWriter_flush_cancelled_by_its_token_throws_and_keeps_its_data()
    {
        PipeWriter writer = _in.AsPipeWriter();
        await FillInQueueAsync();
        writer.Write("tail"u8);
        using var cancel = new CancellationTokenSource();
        ValueTask<FlushResult> parked = writer.FlushAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(4, writer.UnflushedBytes);
    }

    // Two writes of 100 bytes fill the IN endpoint's two buffers: the next write waits for room.
    private async Task FillInQueueAsync()
    {
        await _in.WriteAsync(new byte[100]);
        await _in.WriteAsync(new byte[100]);
    }

    private void CompleteWrites()
    {
        foreach (FakeEndpointIo.Submission write in Writes.Where(w => !w.Completion.Task.IsCompleted).ToList())
        {
            write.Complete(write.Length);
        }
    }
}
