using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// The primary level's writes: each WriteAsync is one host transfer, ended for the host on a bulk endpoint, and the
/// writer never resumes on the completion thread; and the lent buffer's misuse checks.
/// </summary>
public sealed class InEndpointFramingTests : IAsyncLifetime
{
    private readonly FakeEndpointIo _io = new();
    private readonly AioBufferPool _pool = new(4096, 8);
    private readonly InEndpoint _bulk;

    public InEndpointFramingTests()
    {
        _bulk = new InEndpoint("/ffs/ep2", TestEndpoints.NoFile(), TestEndpoints.BulkPair()[1], _io, _pool, depth: 4, transferSize: 1024, NullLogger.Instance);
        _bulk.Enable(1, packetSize: 512);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Assert.True(await _bulk.StopAsync(TimeSpan.FromSeconds(5)));
        _pool.Dispose();
    }

    [Theory]
    [InlineData(100, new[] { 100 })]
    [InlineData(512, new[] { 512, 0 })]
    [InlineData(1000, new[] { 1000 })]
    [InlineData(1024, new[] { 1024, 0 })]
    [InlineData(1500, new[] { 1024, 476 })]
    [InlineData(1536, new[] { 1024, 512, 0 })]
    [InlineData(0, new[] { 0 })]
    public async Task A_bulk_write_is_one_host_transfer_ended_with_a_zero_length_packet_when_it_fills_its_last_packet(int length, int[] kernelWrites)
    {
        await _bulk.WriteAsync(new byte[length]);

        Assert.Equal(kernelWrites, _io.Submissions.Select(s => s.Length));
    }

    [Theory]
    [InlineData(512, new[] { 512 })]
    [InlineData(1536, new[] { 1024, 512 })]
    [InlineData(100, new[] { 100 })]
    public async Task A_write_that_does_not_end_the_transfer_adds_no_zero_length_packet(int length, int[] kernelWrites)
    {
        await _bulk.WriteAsync(new byte[length], endTransfer: false);

        Assert.Equal(kernelWrites, _io.Submissions.Select(s => s.Length));
    }

    [Fact]
    public async Task A_copying_writer_waiting_for_room_resumes_once_half_the_buffers_are_free_and_then_writes_without_waiting()
    {
        for (int i = 0; i < 4; i++)
        {
            await _bulk.WriteAsync(new byte[1]);
        }

        ValueTask waiting = _bulk.WriteAsync(new byte[1]);
        _io.Submissions[0].Complete(1);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        _io.Submissions[1].Complete(1);
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_bulk.WriteAsync(new byte[1]).IsCompletedSuccessfully);
        Assert.Equal(6, _io.Submissions.Count);
    }

    [Fact]
    public async Task A_copying_writer_waiting_for_room_resumes_when_nothing_else_is_in_flight()
    {
        InTransfer kept1 = await _bulk.GetBufferAsync();
        InTransfer kept2 = await _bulk.GetBufferAsync();
        InTransfer kept3 = await _bulk.GetBufferAsync();
        await _bulk.WriteAsync(new byte[1]);

        ValueTask waiting = _bulk.WriteAsync(new byte[1]);
        _io.Submissions[0].Complete(1);

        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        kept1.Dispose();
        kept2.Dispose();
        kept3.Dispose();
    }

    [Fact]
    public async Task The_packet_size_is_the_one_enabled_at_the_current_speed()
    {
        _bulk.Disable("DISABLE");
        _bulk.Enable(2, packetSize: 1024);

        await _bulk.WriteAsync(new byte[512]);

        Assert.Equal([512], _io.Submissions.Select(s => s.Length));
    }

    [Fact]
    public async Task An_interrupt_write_is_sent_as_it_is_even_when_it_fills_a_packet()
    {
        var description = new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, Endpoints = [EndpointDescription.Interrupt(EndpointDirection.In, 1, 8, TimeSpan.FromMilliseconds(10))] }],
        };
        FunctionFsEndpoint declared = FunctionFsDescriptors.Create(description).Endpoints[0];
        var reports = new InEndpoint("/ffs/ep1", TestEndpoints.NoFile(), declared, _io, _pool, depth: 2, transferSize: 64, NullLogger.Instance);
        reports.Enable(1, packetSize: 8);

        await reports.WriteAsync(new byte[8]);

        Assert.Equal([8], _io.Submissions.Select(s => s.Length));
        _io.Submissions[0].Complete(8);
        Assert.True(await reports.StopAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_writer_waiting_for_room_resumes_off_the_completion_thread()
    {
        _io.ActsAsCompletionThread = true;
        for (int i = 0; i < 4; i++)
        {
            await _bulk.WriteAsync(new byte[1]);
        }

        ValueTask waiting = _bulk.WriteAsync(new byte[1]);
        Assert.False(await CompletionThreadProbe.ResumesOnTheCompletingThreadAsync(
            async () =>
            {
                await waiting.ConfigureAwait(false);
                return Thread.CurrentThread;
            },
            () =>
            {
                // A copying writer resumes once half the buffers are free.
                _io.Submissions[0].Complete(1);
                _io.Submissions[1].Complete(1);
            }));
    }

    [Fact]
    public async Task A_lent_buffer_used_after_Send_throws_instead_of_writing_into_the_next_transfer()
    {
        InTransfer lent = await _bulk.GetBufferAsync();
        Memory<byte> kept = lent.Memory;
        kept.Span[0] = 42;

        Assert.Equal(EndpointStatus.Ok, lent.Send(1));

        Assert.Throws<ObjectDisposedException>(() => lent.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => lent.Memory);
        Assert.Throws<ObjectDisposedException>(() => kept.Span[0] = 1);
        Assert.Throws<InvalidOperationException>(() => lent.Send(1));
        Assert.Equal(42, _io.Submissions[0].DataAtSubmit[0]);
    }

    [Fact]
    public async Task A_lent_buffer_used_after_Dispose_throws()
    {
        InTransfer lent = await _bulk.GetBufferAsync();
        Memory<byte> kept = lent.Memory;

        lent.Dispose();

        Assert.Throws<ObjectDisposedException>(() => kept.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => lent.Span.Length);
    }
}
