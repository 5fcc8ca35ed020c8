using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace UsbGadget.Benchmarks;

/// <summary>Runs fio's libaio engine and ours back to back with the same parameters and prints the ratio.</summary>
internal static class Compare
{
    public static int Run(BenchmarkOptions options)
    {
        string? fio = FindOnPath("fio");
        if (fio is null)
        {
            Console.Error.WriteLine("fio is not installed (apt-get install fio); aio-compare needs it as the reference.");
            return 3;
        }

        var fioIops = new List<double>();
        var fioPerCpu = new List<double>();
        BenchmarkApi[] apis = options.Api == BenchmarkApi.Both
            ? [BenchmarkApi.LowLevel, BenchmarkApi.Async, BenchmarkApi.AsyncInline]
            : [options.Api];
        var results = apis.ToDictionary(a => a, _ => new List<BenchmarkResult>());
        for (int round = 1; round <= options.Rounds; round++)
        {
            (double iops, double cpuFraction) = RunFio(fio, options);
            fioIops.Add(iops);
            fioPerCpu.Add(cpuFraction > 0 ? iops / cpuFraction : 0);
            Console.WriteLine(FormattableString.Invariant($"round {round}: fio iops {iops:F0} (cpu {cpuFraction * 100:F0}%)"));

            foreach (BenchmarkApi api in apis)
            {
                BenchmarkOptions run = options with { Api = api };
                BenchmarkResult r = api == BenchmarkApi.LowLevel
                    ? AioReadBenchmark.RunLowLevel(run)
                    : AioReadBenchmark.RunAsync(run).GetAwaiter().GetResult();
                results[api].Add(r);
                Console.WriteLine(FormattableString.Invariant($"round {round}: {r.Name} iops {r.Iops:F0}, {r.AllocatedBytesPerOp:0.###} B/op, cpu {r.CpuTime.TotalSeconds / r.Seconds * 100:F0}%"));
            }
        }

        double fioMedian = Median(fioIops);
        double fioPerCpuMedian = Median(fioPerCpu);
        Console.WriteLine(FormattableString.Invariant($"fio-iops: {fioMedian:F0}"));
        Console.WriteLine(FormattableString.Invariant($"fio-ops-per-cpu-second: {fioPerCpuMedian:F0}"));
        foreach (BenchmarkApi api in apis.Where(a => a != BenchmarkApi.LowLevel))
        {
            BenchmarkResult a = MedianResult(results[api]);
            Console.WriteLine(FormattableString.Invariant($"{a.Name}-iops: {a.Iops:F0}"));
            Console.WriteLine(FormattableString.Invariant($"{a.Name}-ratio: {a.Iops / fioMedian:F3}"));
            Console.WriteLine(FormattableString.Invariant($"{a.Name}-cpu-efficiency-ratio: {a.OpsPerCpuSecond / fioPerCpuMedian:F3}"));
            Console.WriteLine(FormattableString.Invariant($"{a.Name}-allocated-bytes-per-op: {results[api].Max(r => r.AllocatedBytesPerOp):0.###}"));
        }

        if (results.TryGetValue(BenchmarkApi.LowLevel, out List<BenchmarkResult>? lowLevel))
        {
            BenchmarkResult m = MedianResult(lowLevel);
            Console.WriteLine(FormattableString.Invariant($"ops-per-cpu-second: {m.OpsPerCpuSecond:F0}"));
            Console.WriteLine(FormattableString.Invariant($"cpu-efficiency-ratio: {m.OpsPerCpuSecond / fioPerCpuMedian:F3}"));
            Console.WriteLine(FormattableString.Invariant($"iops: {m.Iops:F0}"));
            Console.WriteLine(FormattableString.Invariant($"ratio: {m.Iops / fioMedian:F3}"));
            Console.WriteLine(FormattableString.Invariant($"allocated-bytes-per-op: {lowLevel.Max(r => r.AllocatedBytesPerOp):0.###}"));
        }

        return 0;
    }

    private static (double Iops, double CpuFraction) RunFio(string fio, BenchmarkOptions options)
    {
        var psi = new ProcessStartInfo(fio)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string depth = options.QueueDepth.ToString(CultureInfo.InvariantCulture);
        foreach (string arg in new[]
        {
            "--name=ref", "--ioengine=libaio", "--rw=read",
            $"--bs={options.BlockSize}", $"--iodepth={depth}", $"--iodepth_batch_submit={depth}", "--iodepth_batch_complete_min=1",
            $"--filename={options.File}", $"--size={AioReadBenchmark.ReadableSpan(options.File, options.BlockSize)}", "--time_based",
            FormattableString.Invariant($"--runtime={options.Seconds}"), FormattableString.Invariant($"--ramp_time={options.WarmupSeconds}"),
            $"--direct={(options.Direct ? 1 : 0)}", "--output-format=json",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("could not start fio");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"fio exited with {process.ExitCode}: {error}");
        }

        // fio may print notes before the JSON document.
        using JsonDocument json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        JsonElement job = json.RootElement.GetProperty("jobs")[0];
        double iops = job.GetProperty("read").GetProperty("iops").GetDouble();
        double cpu = (job.GetProperty("usr_cpu").GetDouble() + job.GetProperty("sys_cpu").GetDouble()) / 100;
        return (iops, cpu);
    }

    private static string? FindOnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static BenchmarkResult MedianResult(List<BenchmarkResult> results)
        => results.OrderBy(r => r.Iops).ElementAt(results.Count / 2);
}
