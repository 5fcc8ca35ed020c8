using System.Diagnostics;
using UsbGadget.Aio;
using UsbGadget.Linux;

namespace UsbGadget.Benchmarks;

/// <summary>Sequential AIO reads at a fixed queue depth, the way fio's libaio engine drives them.</summary>
internal static class AioReadBenchmark
{
    public static BenchmarkResult RunLowLevel(BenchmarkOptions options)
    {
        int depth = options.QueueDepth;
        int blockSize = options.BlockSize;
        using UnixFileHandle file = UnixFileHandle.Open(options.File, OpenFlags.ReadOnly | (options.Direct ? OpenFlags.Direct : 0));
        long span = ReadableSpan(options.File, blockSize);
        using var context = new AioContext(depth);
        var blocks = new AioBlock[depth];
        var buffers = new AioBuffer[depth];
        var ready = new AioBlock[depth];
        var events = new AioEvent[depth];
        long offset = 0;
        for (int i = 0; i < depth; i++)
        {
            buffers[i] = AioBuffer.Allocate(blockSize);
            blocks[i] = new AioBlock { UserData = (ulong)i };
            blocks[i].PrepareRead(file, buffers[i], blockSize, offset);
            offset = Advance(offset, blockSize, span);
        }

        // fio: iodepth_batch_submit=depth queues the whole depth in one io_submit; afterwards
        // iodepth_batch_complete_min=1 reaps at least one event and resubmits what completed.
        if (context.Submit(blocks) != depth)
        {
            throw new InvalidOperationException("io_submit accepted fewer blocks than the queue depth");
        }

        long operations = 0;
        long failures = 0;
        long startAllocated = 0;
        TimeSpan startCpu = TimeSpan.Zero;
        long measuredFrom = 0;
        bool measuring = false;
        long warmupEnd = Stopwatch.GetTimestamp() + (long)(options.WarmupSeconds * Stopwatch.Frequency);
        long end = warmupEnd + (long)(options.Seconds * Stopwatch.Frequency);
        Process self = Process.GetCurrentProcess();
        while (true)
        {
            int n = context.GetEvents(1, events, null);
            for (int i = 0; i < n; i++)
            {
                ref readonly AioEvent e = ref events[i];
                if (e.Result != blockSize)
                {
                    failures++;
                }

                AioBlock block = e.Block;
                block.PrepareRead(file, buffers[(int)block.UserData], blockSize, offset);
                offset = Advance(offset, blockSize, span);
                ready[i] = block;
            }

            operations += n;
            long now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                operations = 0;
                self.Refresh();
                startCpu = self.TotalProcessorTime;
                startAllocated = GC.GetAllocatedBytesForCurrentThread();
                measuredFrom = now;
            }
            else if (measuring && now >= end)
            {
                long allocated = GC.GetAllocatedBytesForCurrentThread() - startAllocated;
                self.Refresh();
                TimeSpan cpu = self.TotalProcessorTime - startCpu;
                double seconds = Stopwatch.GetElapsedTime(measuredFrom, now).TotalSeconds;
                Drain(context, events);
                Cleanup(blocks, buffers);
                ThrowOnFailures(failures);
                return new BenchmarkResult("low-level", operations, seconds, allocated, cpu);
            }

            context.Submit(ready.AsSpan(0, n));
        }
    }

    public static async Task<BenchmarkResult> RunAsync(BenchmarkOptions options)
    {
        int depth = options.QueueDepth;
        int blockSize = options.BlockSize;
        using UnixFileHandle file = UnixFileHandle.Open(options.File, OpenFlags.ReadOnly | (options.Direct ? OpenFlags.Direct : 0));
        long span = ReadableSpan(options.File, blockSize);
        bool inline = options.Api == BenchmarkApi.AsyncInline;
        await using var engine = new AioEngine(depth, runContinuationsInline: inline);
        using var pool = new AioBufferPool(blockSize, depth);
        long nextOffset = -blockSize;
        long operations = 0;
        long failures = 0;
        bool stop = false;

        async Task Lane()
        {
            AioBuffer buffer = pool.Rent();
            try
            {
                while (!Volatile.Read(ref stop))
                {
                    long offset = Interlocked.Add(ref nextOffset, blockSize) % span;
                    AioResult r = await engine.ReadAsync(file, buffer, blockSize, offset).ConfigureAwait(false);
                    if (r.Result != blockSize)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    Interlocked.Increment(ref operations);
                }
            }
            finally
            {
                pool.Return(buffer);
            }
        }

        var lanes = new Task[depth];
        for (int i = 0; i < depth; i++)
        {
            lanes[i] = Task.Run(Lane);
        }

        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);
        Process self = Process.GetCurrentProcess();
        self.Refresh();
        TimeSpan startCpu = self.TotalProcessorTime;
        long startOps = Interlocked.Read(ref operations);
        long startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();

        // Sleep on a plain thread so the measuring itself allocates nothing on the pool.
        Thread.Sleep(TimeSpan.FromSeconds(options.Seconds));

        long ops = Interlocked.Read(ref operations) - startOps;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - startAllocated;
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        self.Refresh();
        TimeSpan cpu = self.TotalProcessorTime - startCpu;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(lanes).ConfigureAwait(false);
        ThrowOnFailures(Interlocked.Read(ref failures));
        return new BenchmarkResult(inline ? "async-inline" : "async", ops, seconds, allocated, cpu);
    }

    private static long Advance(long offset, int blockSize, long span)
    {
        offset += blockSize;
        return offset + blockSize > span ? 0 : offset;
    }

    /// <summary>Regular files: their size; devices such as /dev/zero: 1 GiB, wrapping like fio's size=1g.</summary>
    internal static long ReadableSpan(string path, int blockSize)
    {
        var info = new FileInfo(path);
        long length = (info.Attributes & FileAttributes.Device) == 0 && info.Exists ? info.Length : 0;
        if (length == 0)
        {
            length = 1L << 30;
        }

        if (length < blockSize)
        {
            throw new ArgumentException($"{path} is smaller than one block ({blockSize} bytes)");
        }

        return length / blockSize * blockSize;
    }

    private static void Drain(AioContext context, AioEvent[] events)
    {
        while (context.InFlight > 0)
        {
            context.GetEvents(1, events, TimeSpan.FromSeconds(10));
        }
    }

    private static void Cleanup(AioBlock[] blocks, AioBuffer[] buffers)
    {
        foreach (AioBlock b in blocks)
        {
            b.Dispose();
        }

        foreach (AioBuffer b in buffers)
        {
            b.Dispose();
        }
    }

    private static void ThrowOnFailures(long failures)
    {
        if (failures != 0)
        {
            throw new InvalidOperationException($"{failures} reads returned less than a full block");
        }
    }
}
