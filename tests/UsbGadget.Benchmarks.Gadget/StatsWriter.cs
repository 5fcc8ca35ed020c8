using System.Text.Unicode;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace UsbGadget.Benchmarks.Gadget;

/// <summary>
/// Once a second, appends <c>allocated_bytes=N transfers=N</c> to <c>Benchmark:StatsFile</c>. The benchmark reads the
/// last line before and after a measured run: the difference of the two is the steady-state allocation per transfer.
/// Allocation-free itself (one pwrite from a reused buffer), so it does not count against the gadget.
/// </summary>
internal sealed class StatsWriter(IOptions<BenchmarkSettings> settings) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? path = settings.Value.StatsFile;
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
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
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
