using System.Text.Unicode;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace UsbGadget.Benchmarks.Gadget;

/// <summary>
/// Once a second, appends <c>allocated_bytes=N transfers=N</c> to <c>Benchmark:StatsFile</c>. The benchmark reads the
/// last line before and after a measured run: the difference of the two is the steady-state allocation per transfer.
/// </summary>
/// <remarks>
/// The instrument must not allocate, nor make the runtime allocate. It samples on a thread of its own, sleeping on the
/// stopping token's wait handle, and writes with one pwrite from a reused buffer. A pool timer would queue one work
/// item a second, and that trickle alone lets the thread pool's hill climbing add a worker a few seconds into a run
/// (measured at 16 KiB, depth 1: a third pool worker 4–5 s in, and 900–1,500 bytes for its Thread with it), which the
/// benchmark would then charge to the gadget's transfers.
/// </remarks>
internal sealed class StatsWriter(IOptions<BenchmarkSettings> settings) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        string? path = settings.Value.StatsFile;
        if (!string.IsNullOrEmpty(path))
        {
            _thread = new Thread(() => Run(path, _stopping.Token)) { IsBackground = true, Name = "bench stats" };
            _thread.Start();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _thread?.Join();
        return Task.CompletedTask;
    }

    public void Dispose() => _stopping.Dispose();

    private static void Run(string path, CancellationToken stopping)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        WaitHandle stop = stopping.WaitHandle;
        byte[] line = new byte[128];
        long offset = 0;
        do
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            if (Utf8.TryWrite(line, $"allocated_bytes={allocated} transfers={BenchmarkFunction.Transfers}\n", out int length))
            {
                RandomAccess.Write(file, line.AsSpan(0, length), offset);
                offset += length;
            }
        }
        while (!stop.WaitOne(TimeSpan.FromSeconds(1)));
    }
}
