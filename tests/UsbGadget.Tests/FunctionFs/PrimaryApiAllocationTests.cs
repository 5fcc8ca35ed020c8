using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.Linux;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Tests.FunctionFs;

/// <summary>
/// The primary level and its Stream and Pipe adapters allocate nothing per transfer once warm: measured on real Linux
/// AIO, with the endpoints over /dev/zero (OUT: every read comes back full) and /dev/null (IN), as a function uses them.
/// </summary>
/// <remarks>
/// Continuations hop threads, so the process-wide counter is read (the collection runs alone). The smallest object is
/// 24 bytes: under one byte per transfer over 10,000 of them rules out an allocation per transfer. The best of five such
/// windows is judged, so the runtime's own rare allocations (a thread-pool thread started, a pooled state machine that
/// missed its cache on a loaded machine) do not fail the test, while an allocation per transfer fails every window.
/// </remarks>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class PrimaryApiAllocationTests : IAsyncLifetime
{
    private const int Size = 16384;
    private const int Depth = 8;
    private const int Warmup = 3_000;
    private const int Windows = 5;
    private const int PerWindow = 10_000;

    private readonly UnixFileHandle _zero = UnixFileHandle.Open("/dev/zero", OpenFlags.ReadOnly);
    private readonly UnixFileHandle _null = UnixFileHandle.Open("/dev/null", OpenFlags.WriteOnly);
    private readonly AioBufferPool _pool = new(Size, Depth * 2);
    private readonly AioEngine _engine = new(maxEvents: Depth * 4);
    private readonly OutEndpoint _out;
    private readonly InEndpoint _in;
    private readonly CancellationTokenSource _stop = new();
    private long _transfers;

    public PrimaryApiAllocationTests()
    {
        IReadOnlyList<FunctionFsEndpoint> declared = TestEndpoints.BulkPair();
        var io = new AioEndpointIo(_engine);
        _out = new OutEndpoint("/dev/zero", _zero, declared[0], io, _pool, Depth, Size, NullLogger.Instance);
        _in = new InEndpoint("/dev/null", _null, declared[1], io, _pool, Depth, Size, NullLogger.Instance);
        _out.Enable(1, 512);
        _in.Enable(1, 512);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        Assert.True(await _in.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await _out.StopAsync(TimeSpan.FromSeconds(5)));
        _engine.Dispose();
        _pool.Dispose();
        _zero.Dispose();
        _null.Dispose();
        _stop.Dispose();
    }

    [Fact]
    public Task WriteAsync_ending_each_transfer_allocates_nothing_per_transfer() =>
        AssertNoAllocationPerTransfer(() => WriteLoopAsync((data, stop) => _in.WriteAsync(data, stop)));

    [Fact]
    public Task WriteAsync_leaving_transfers_open_allocates_nothing_per_transfer() =>
        AssertNoAllocationPerTransfer(() => WriteLoopAsync((data, stop) => _in.WriteAsync(data, endTransfer: false, stop)));

    [Fact]
    public Task Stream_writes_and_flushes_allocate_nothing_per_transfer()
    {
        Stream stream = _in.AsStream();
        return AssertNoAllocationPerTransfer(() => WriteLoopAsync((data, stop) => WriteAndFlushAsync(stream, data, stop)));
    }

    // Pooled like the framework's own methods, so that the measurement counts the stream's allocations, not the test's.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WriteAndFlushAsync(Stream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    [Fact]
    public Task PipeWriter_flushes_allocate_nothing_per_transfer() => AssertNoAllocationPerTransfer(async () =>
    {
        PipeWriter writer = _in.AsPipeWriter();
        while (!_stop.IsCancellationRequested)
        {
            writer.GetSpan(Size)[..Size].Clear();
            writer.Advance(Size);
            await writer.FlushAsync(_stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _transfers);
        }
    });

    [Fact]
    public Task ReadAsync_into_memory_allocates_nothing_per_transfer() =>
        AssertNoAllocationPerTransfer(() => ReadLoopAsync(_out.ReadAsync));

    [Fact]
    public Task Stream_reads_allocate_nothing_per_transfer() =>
        AssertNoAllocationPerTransfer(() => ReadLoopAsync(_out.AsStream().ReadAsync));

    [Fact]
    public Task PipeReader_reads_allocate_nothing_per_transfer() => AssertNoAllocationPerTransfer(async () =>
    {
        PipeReader reader = _out.AsPipeReader();
        long bytes = 0;
        while (!_stop.IsCancellationRequested)
        {
            ReadResult result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
            bytes += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            Interlocked.Exchange(ref _transfers, bytes / Size);
        }
    });

    [Fact]
    public Task A_copying_echo_allocates_nothing_per_transfer() => AssertNoAllocationPerTransfer(async () =>
    {
        byte[] buffer = new byte[Size];
        int length;
        while ((length = await _out.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
        {
            await _in.WriteAsync(buffer.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref _transfers, 2);
        }
    });

    private async Task WriteLoopAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write)
    {
        byte[] data = new byte[Size];
        while (!_stop.IsCancellationRequested)
        {
            await write(data, _stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _transfers);
        }
    }

    private async Task ReadLoopAsync(Func<Memory<byte>, CancellationToken, ValueTask<int>> read)
    {
        byte[] buffer = new byte[Size];
        while (await read(buffer, _stop.Token).ConfigureAwait(false) > 0)
        {
            Interlocked.Increment(ref _transfers);
        }
    }

    private async Task AssertNoAllocationPerTransfer(Func<Task> loop)
    {
        Task running = Task.Run(loop);
        WaitForTransfers(Warmup, running);
        var windows = new List<(long Bytes, long Transfers)>(Windows);
        for (int i = 0; i < Windows; i++)
        {
            long transfers0 = Volatile.Read(ref _transfers);
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            WaitForTransfers(transfers0 + PerWindow, running);
            windows.Add((GC.GetTotalAllocatedBytes(precise: true) - allocated0, Volatile.Read(ref _transfers) - transfers0));
        }

        await _stop.CancelAsync();
        await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5)));

        // An allocation per transfer shows in every window; the runtime's own, rare ones (a pool thread started, a pooled
        // state machine missed in its per-core cache on a loaded machine) do not.
        double best = windows.Min(w => (double)w.Bytes / w.Transfers);
        Assert.True(best < 1, $"Allocated per window: {string.Join(", ", windows.Select(w => $"{w.Bytes} B over {w.Transfers} transfers"))}.");
    }

    // Polls with Thread.Sleep, which allocates nothing: the measurement must not count its own instrument.
    private void WaitForTransfers(long target, Task running)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (Volatile.Read(ref _transfers) < target)
        {
            if (running.IsCompleted)
            {
                running.GetAwaiter().GetResult();
                Assert.Fail($"The loop ended after {Volatile.Read(ref _transfers)} transfers.");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Only {Volatile.Read(ref _transfers)} of {target} transfers in 60 s.");
            }

            Thread.Sleep(10);
        }
    }
}
