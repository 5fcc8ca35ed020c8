using System.Globalization;
using UsbGadget.Benchmarks;

// UsbGadget.Benchmarks: AIO throughput against fio's libaio engine.
//   aio-read    --file PATH [--block-size 4096] [--queue-depth 32] [--seconds 10] [--api low-level|async]
//   aio-compare --file PATH [same options] [--rounds 1]   runs fio, then ours, and prints the ratio
//   footprint   [--rounds 3] [--idle-seconds 10] [--traffic-seconds 10]   samples (JIT, NativeAOT) vs the C reference, in the VM
//   usb         [--profile quick|full|small|primary|check] [--seconds 4] [--rounds 8] [--update-chart] [--report FILE.json]   kernel vs C vs ours at SuperSpeed, in the VM, with interval verdicts
//   pipeline    [--size 512] [--depth 8] [--seconds 3] [--rounds 3] [--mode loopback|loopback-read|source|in|receive|out|copy-*|stream-*|pipe-*|primary,...]   the endpoint layer's CPU per transfer against the AIO layer's own and a C loop's, on this machine
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    return Usage();
}

if (args[0] == "pipeline")
{
    try
    {
        return await PipelineBenchmark.RunAsync(args[1..]);
    }
    catch (Exception e) when (e is ArgumentException or InvalidOperationException or UsbGadget.Testing.GadgetVmException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
}

if (args[0] is "footprint" or "usb")
{
    try
    {
        return args[0] == "usb"
            ? await UsbGadget.Benchmarks.Vm.UsbBenchmark.RunAsync(args[1..])
            : await UsbGadget.Benchmarks.Vm.FootprintBenchmark.RunAsync(args[1..]);
    }
    catch (Exception e) when (e is ArgumentException or InvalidOperationException or UsbGadget.Testing.GadgetVmException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args[1..]);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return Usage();
}

switch (args[0])
{
    case "aio-read":
    {
        BenchmarkResult result = options.Api is BenchmarkApi.Async or BenchmarkApi.AsyncInline
            ? AioReadBenchmark.RunAsync(options).GetAwaiter().GetResult()
            : AioReadBenchmark.RunLowLevel(options);
        result.Print(Console.Out);
        return 0;
    }

    case "aio-compare":
        return Compare.Run(options);

    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return Usage();
}

static int Usage()
{
    Console.Error.WriteLine(
        """
        usage: UsbGadget.Benchmarks aio-read --file PATH [--block-size N] [--queue-depth N] [--seconds N] [--api low-level|async|async-inline] [--warmup N] [--direct]
               UsbGadget.Benchmarks aio-compare --file PATH [--block-size N] [--queue-depth N] [--seconds N] [--rounds N] [--api low-level|async|async-inline|both] [--direct]
               UsbGadget.Benchmarks footprint [--rounds N] [--idle-seconds N] [--traffic-seconds N]
               UsbGadget.Benchmarks usb [--profile quick|full|small|primary|check] [--seconds N] [--warmup N] [--rounds N] [--no-chart] [--update-chart]
               UsbGadget.Benchmarks usb --report FILE.json

          aio-read     reads PATH with Linux AIO: submit queue-depth blocks, then reap at least 1 and
                       resubmit what completed (fio libaio with iodepth_batch_submit=queue-depth,
                       iodepth_batch_complete_min=1). Prints 'iops: N' and 'allocated-bytes-per-op: N'.
          aio-compare  runs fio --ioengine=libaio with the same parameters, then aio-read, alternating
                       for --rounds, and prints both medians and 'ratio: ours/fio'.
          footprint    boots the test VM (root; QEMU etc. are installed on first use) and measures each sample
                       as JIT and as NativeAOT beside the C reference gadget: start to enumeration, idle RSS,
                       RSS under loopback traffic, SIGTERM to exit. Prints a markdown table.
          usb          boots the VM at SuperSpeed and measures, with usb-bench-host as the host for all: the kernel's
                       SourceSink/Loopback, the C reference ffs-reference, UsbGadget.Benchmarks.Gadget and the BulkLoopback
                       sample (both NativeAOT). IN/OUT/loopback throughput over request size x queue depth (quick: sizes at
                       depth 8 and depths at 16 KiB, about 20 min; full: every pair), ep0 round trips, ping-pong latency,
                       gadget CPU per MB, allocations per transfer. Every target ratio is pooled over the rounds
                       (default 8, the fewest that get a verdict): geometric mean, 95% interval, min/median/max, and
                       "met", "NOT met" or "within noise" from the interval. A second C instance (C') gives a C'/C
                       self-test row, the rig's own noise in the same run. check: IN 16 KiB and loopback 512 B only,
                       to see the intervals in minutes. Writes artifacts/benchmarks/usb-benchmark.{json,md,png};
                       --update-chart also copies the PNG to tests/UsbGadget.Benchmarks/usb-benchmark.png.
                       --report FILE.json prints a saved run's tables and verdicts again, without the VM.
        """);
    return 2;
}

namespace UsbGadget.Benchmarks
{
    internal enum BenchmarkApi
    {
        LowLevel,
        Async,
        AsyncInline,
        Both,
    }

    internal sealed record BenchmarkOptions(string File, int BlockSize, int QueueDepth, double Seconds, double WarmupSeconds, int Rounds, BenchmarkApi Api, bool Direct)
    {
        public static BenchmarkOptions Parse(string[] args)
        {
            string? file = null;
            int blockSize = 4096, queueDepth = 32, rounds = 1;
            double seconds = 10, warmup = 1;
            BenchmarkApi api = BenchmarkApi.LowLevel;
            bool direct = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--file": file = Next(); break;
                    case "--block-size": blockSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--queue-depth": queueDepth = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--direct": direct = true; break;
                    case "--api":
                        api = Next() switch
                        {
                            "low-level" => BenchmarkApi.LowLevel,
                            "async" => BenchmarkApi.Async,
                            "async-inline" => BenchmarkApi.AsyncInline,
                            "both" => BenchmarkApi.Both,
                            string other => throw new ArgumentException($"--api: unknown value '{other}'"),
                        };
                        break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }

            if (file is null)
            {
                throw new ArgumentException("--file is required");
            }

            if (blockSize <= 0 || queueDepth <= 0 || seconds <= 0 || rounds <= 0 || warmup < 0)
            {
                throw new ArgumentException("--block-size, --queue-depth, --seconds and --rounds must be positive");
            }

            return new BenchmarkOptions(file, blockSize, queueDepth, seconds, warmup, rounds, api, direct);
        }
    }

    internal sealed record BenchmarkResult(string Name, long Operations, double Seconds, long AllocatedBytes, TimeSpan CpuTime)
    {
        public double Iops => Operations / Seconds;

        public double AllocatedBytesPerOp => Operations == 0 ? 0 : (double)AllocatedBytes / Operations;

        /// <summary>Operations per second of CPU used by this process: robust when other work shares the cores.</summary>
        public double OpsPerCpuSecond => CpuTime.TotalSeconds <= 0 ? 0 : Operations / CpuTime.TotalSeconds;

        public void Print(TextWriter output)
        {
            output.WriteLine(FormattableString.Invariant($"api: {Name}"));
            output.WriteLine(FormattableString.Invariant($"operations: {Operations}"));
            output.WriteLine(FormattableString.Invariant($"seconds: {Seconds:F2}"));
            output.WriteLine(FormattableString.Invariant($"ops-per-cpu-second: {OpsPerCpuSecond:F0}"));
            output.WriteLine(FormattableString.Invariant($"iops: {Iops:F0}"));
            output.WriteLine(FormattableString.Invariant($"allocated-bytes-per-op: {AllocatedBytesPerOp:0.###}"));
        }
    }
}
