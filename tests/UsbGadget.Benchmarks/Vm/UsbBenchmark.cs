using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using UsbGadget.Benchmarks.Statistics;
using UsbGadget.Testing;

namespace UsbGadget.Benchmarks.Vm;

/// <summary>
/// Issue #7's USB benchmark, in one VM boot at SuperSpeed with usb-bench-host (asynchronous libusb) as the host for every
/// implementation: the kernel's own SourceSink/Loopback (the ceiling: no user space), the C reference ffs-reference (the
/// bar), the framework's benchmark gadget (tests/UsbGadget.Benchmarks.Gadget) and the BulkLoopback sample, both NativeAOT.
/// IN, OUT and loopback throughput over request size × queue depth, ep0 round trips, bulk ping-pong latency, the gadget
/// process's CPU time per MB and the framework's allocations per transfer. Every gadget is started fresh for each run (so no
/// stream state carries over) with buffers of the host's request size and the same queue depth on both sides, and the
/// implementations take turns at each point so drift in the emulator hits them alike.
/// </summary>
internal static class UsbBenchmark
{
    private const string Kernel = "kernel";
    private const string Reference = "c";
    // A second, separate C instance at the same point: C′ ÷ C shows the rig's own noise in the same run.
    private const string ReferenceTwin = "c2";
    private const string Ours = "ours";
    private const string Sample = "bulkloopback";
    private const string Lease = "lease";
    private const string Primary = "primary";
    // The primary API with a caller buffer of four transfers: a call that waits wakes once per four transfers.
    private const string PrimaryFourPerCall = "primary-x4";
    private const string StreamAdapter = "stream";
    private const string PipeAdapter = "pipe";
    private const string StatsFile = "/tmp/usb-bench-stats";
    private const string ReferenceGadget = "ffsref";

    private static readonly string[] s_directions = ["in", "out", "loopback"];

    private static readonly Dictionary<string, string> s_labels = new()
    {
        [Kernel] = "kernel",
        [Reference] = "C ref",
        [ReferenceTwin] = "C′ ref",
        [Ours] = "ours",
        [Sample] = "BulkLoopback",
        [Lease] = "lease API",
        [Primary] = "primary API",
        [PrimaryFourPerCall] = "primary API, 4 transfers per call",
        [StreamAdapter] = "Stream",
        [PipeAdapter] = "Pipe",
    };

    private sealed record Options(string Profile, double Seconds, double Warmup, int Rounds, bool Chart, bool UpdateChart, string? ReportFile = null);

    private sealed record Point(int Size, int Depth);

    private sealed class Measurement
    {
        public required string Implementation { get; init; }
        public required string Mode { get; init; }
        public required int Size { get; init; }
        public required int Depth { get; init; }
        public required int Round { get; init; }
        public double Mbps { get; set; } = double.NaN;
        public double TransfersPerSecond { get; set; } = double.NaN;
        public double P50Microseconds { get; set; } = double.NaN;
        public double P99Microseconds { get; set; } = double.NaN;
        public double CpuMsPerMb { get; set; } = double.NaN;
        public double CpuMicrosecondsPerTransfer { get; set; } = double.NaN;
        public double HostClientCpuPercent { get; set; } = double.NaN;
        public double GuestBusyPercent { get; set; } = double.NaN;
        public long? AllocatedBytes { get; set; }
        public long? AllocationTransfers { get; set; }
        public string? Error { get; set; }
        public string Raw { get; set; } = "";

        public bool Ok => Error is null;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        Options options = Parse(args);
        if (options.ReportFile is not null)
        {
            string saved;
            try
            {
                saved = File.ReadAllText(options.ReportFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"usb --report: cannot read '{options.ReportFile}': {e.Message}", e);
            }
            Console.WriteLine(Replay(saved));
            return 0;
        }
        if (options.Profile == "primary")
        {
            return await PrimaryProfile.RunAsync(options);
        }

        List<Point> points = Points(options.Profile);
        BenchmarkArtifacts artifacts = BenchmarkArtifacts.Locate();
        bool installChartTools = options.Chart && !ChartToolsPresent();
        if (installChartTools && !HostEnvironmentIsRoot())
        {
            throw new InvalidOperationException(
                "The chart needs Debian's matplotlib for /usr/bin/python3: run 'sudo apt-get install -y python3-matplotlib' (or pass --no-chart).");
        }

        await artifacts.BuildAsync(["BulkLoopback"], nativeAot: true, Console.Out);
        await artifacts.PublishBenchmarkGadgetAsync(Console.Out);

        Console.WriteLine("== booting the VM (dummy_hcd, SuperSpeed)");
        var vmOptions = new GadgetVmOptions { Speed = GadgetVmSpeed.Super, Log = line => Console.WriteLine($"   {line}") };
        vmOptions.RequiredHostPackages.Add("libusb-1.0-0");
        if (installChartTools)
        {
            vmOptions.RequiredHostPackages.Add("python3-matplotlib");
        }
        await using GadgetVm vm = await GadgetVm.StartAsync(vmOptions);

        var runner = new Runner(vm, artifacts, options);
        var stopwatch = Stopwatch.StartNew();
        int total = options.Rounds * (points.Sum(_ => 4 + 4 + 5) + 2 + 4);
        Console.WriteLine($"== {total} runs of {options.Warmup:0.#} + {options.Seconds:0.#} s ({options.Profile} profile: {points.Count} size × depth points)");

        // The sweep: at each point, every implementation of a direction in turn, the order rotated from round to round and
        // point to point, so drift in the emulator hits every implementation alike.
        for (int round = 1; round <= options.Rounds; round++)
        {
            for (int p = 0; p < points.Count; p++)
            {
                Point point = points[p];
                foreach (string direction in Directions(options.Profile, point))
                {
                    string[] implementations = direction == "loopback" ? [Kernel, Reference, ReferenceTwin, Ours, Sample] : [Kernel, Reference, ReferenceTwin, Ours];
                    foreach (string implementation in Rotate(implementations, p + round))
                    {
                        await runner.MeasureAsync(implementation, direction, point.Size, point.Depth, round);
                    }
                }
            }

            if (options.Profile == "check")
            {
                continue;
            }
            foreach (string implementation in Rotate([Reference, Ours], round))
            {
                await runner.MeasureAsync(implementation, "control", 64, 1, round);
            }
            foreach (string implementation in Rotate([Kernel, Reference, Ours, Sample], round))
            {
                await runner.MeasureAsync(implementation, "pingpong", 512, 8, round);
            }
        }
        Console.WriteLine($"== measured in {stopwatch.Elapsed.TotalMinutes:0.0} min");

        var report = new Report(runner.Results, points, options.Profile != "check");
        string markdown = report.Render(vm.KernelRelease, options);
        Console.WriteLine();
        Console.WriteLine(markdown);

        Directory.CreateDirectory(artifacts.OutputDirectory);
        string json = Path.Combine(artifacts.OutputDirectory, "usb-benchmark.json");
        string md = Path.Combine(artifacts.OutputDirectory, "usb-benchmark.md");
        File.WriteAllText(json, report.ToJson(vm.KernelRelease, options));
        File.WriteAllText(md, markdown);
        Console.WriteLine($"raw results: {json}");
        Console.WriteLine($"tables:      {md}");
        if (options.Chart)
        {
            string png = Path.Combine(artifacts.OutputDirectory, "usb-benchmark.png");
            RenderChart(artifacts, json, png);
            Console.WriteLine($"chart:       {png}");
            if (options.UpdateChart)
            {
                string docs = Path.Combine(artifacts.RepositoryRoot, "tests", "UsbGadget.Benchmarks", "usb-benchmark.png");
                File.Copy(png, docs, overwrite: true);
                Console.WriteLine($"chart copied to {docs}");
            }
        }

        int failed = runner.Results.Count(r => !r.Ok);
        if (failed > 0)
        {
            Console.Error.WriteLine($"{failed} run(s) failed; their cells show n/a (details in the JSON and above).");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// Re-analyses a run's saved JSON (its raw per-round measurements) without the VM: the same tables, intervals and
    /// verdicts as the run printed, or new ones after the analysis changes.
    /// </summary>
    internal static string Replay(string json)
    {
        try
        {
            return ReplayCore(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"usb --report: not a saved usb benchmark run (the artifacts/benchmarks/usb-benchmark.json a run writes): {e.Message}", e);
        }
    }

    private static string ReplayCore(string json)
    {
        JsonNode root = JsonNode.Parse(json) ?? throw new InvalidOperationException("the file holds JSON null");
        static double Number(JsonNode? node) => node is null ? double.NaN : node.GetValue<double>();
        static JsonNode Required(JsonNode run, string name) =>
            run[name] ?? throw new InvalidOperationException($"a run has no '{name}'");
        List<Measurement> results = [.. (root["runs"]?.AsArray() ?? []).Select(n => n ?? throw new InvalidOperationException("a run is null")).Select(n => new Measurement
        {
            Implementation = Required(n, "implementation").GetValue<string>(),
            Mode = Required(n, "mode").GetValue<string>(),
            Size = Required(n, "size").GetValue<int>(),
            Depth = Required(n, "depth").GetValue<int>(),
            Round = Required(n, "round").GetValue<int>(),
            Mbps = Number(n["mbps"]),
            TransfersPerSecond = Number(n["tps"]),
            P50Microseconds = Number(n["p50_us"]),
            P99Microseconds = Number(n["p99_us"]),
            CpuMsPerMb = Number(n["cpu_ms_per_mb"]),
            CpuMicrosecondsPerTransfer = Number(n["cpu_us_per_transfer"]),
            HostClientCpuPercent = Number(n["host_client_cpu_pct"]),
            GuestBusyPercent = Number(n["guest_busy_pct"]),
            AllocatedBytes = n["allocated_bytes"]?.GetValue<long>(),
            AllocationTransfers = n["allocation_transfers"]?.GetValue<long>(),
            Error = n["error"]?.GetValue<string>(),
        })];
        string profile = root["profile"]?.GetValue<string>() ?? "quick";
        List<Point> points = [.. results.Where(r => s_directions.Contains(r.Mode)).Select(r => new Point(r.Size, r.Depth)).Distinct()];
        var options = new Options(profile, Number(root["seconds"]), Number(root["warmup_seconds"]),
            root["rounds"]?.GetValue<int>() ?? results.Select(r => r.Round).DefaultIfEmpty(0).Max(), Chart: false, UpdateChart: false);
        return new Report(results, points, profile != "check").Render(root["kernel"]?.GetValue<string>() ?? "?", options);
    }

    private static Options Parse(string[] args)
    {
        string profile = "quick";
        double seconds = 4, warmup = 1;
        int rounds = RatioStatistics.MinimumRounds;
        string? reportFile = null;
        bool chart = true, updateChart = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--profile": profile = Next(); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--no-chart": chart = false; break;
                case "--update-chart": updateChart = true; break;
                case "--report": reportFile = Next(); break;
                default: throw new ArgumentException($"usb: unknown option '{args[i]}'");
            }
        }
        if (profile is not ("quick" or "full" or "small" or "primary" or "check"))
        {
            throw new ArgumentException($"usb: --profile is quick, full, small, primary or check, not '{profile}'");
        }
        if (seconds < 3 || warmup < 0.5 || rounds < 1)
        {
            throw new ArgumentException("usb: --seconds must be at least 3 (CPU and allocations are sampled over it), --warmup at least 0.5, --rounds at least 1");
        }
        if (updateChart && !chart)
        {
            throw new ArgumentException("usb: --update-chart needs the chart (drop --no-chart)");
        }
        if (updateChart && profile is "small" or "primary" or "check")
        {
            throw new ArgumentException("usb: --update-chart needs the sweep (the small profile has two sizes); use --profile quick or full");
        }
        // check has no sweep to draw.
        return new Options(profile, seconds, warmup, rounds, chart && profile != "check", updateChart, reportFile);
    }

    private static readonly int[] s_sizes = [512, 4096, 16384, 65536];
    private static readonly int[] s_depths = [1, 4, 8, 16, 32];

    /// <summary>
    /// quick: every size at depth 8, then every other depth at 16 KiB; full: the cross product; small: 512 B and 4 KiB
    /// at depth 8, where the CPU and transfers-per-second targets are decided, for more rounds in the same time; check: IN at
    /// 16 KiB and loopback at 512 B, depth 8, to see the intervals and the self-test in minutes.
    /// </summary>
    private static List<Point> Points(string profile) => profile switch
    {
        "check" => [new Point(512, 8), new Point(16384, 8)],
        "full" => [.. s_sizes.SelectMany(size => s_depths.Select(depth => new Point(size, depth)))],
        "small" => [new Point(512, 8), new Point(4096, 8)],
        _ => [.. s_sizes.Select(size => new Point(size, 8)), .. s_depths.Where(d => d != 8).Select(depth => new Point(16384, depth))],
    };

    private static string[] Directions(string profile, Point point) =>
        profile != "check" ? s_directions : point.Size == 512 ? ["loopback"] : ["in"];

    private static IEnumerable<string> Rotate(string[] items, int by) =>
        Enumerable.Range(0, items.Length).Select(i => items[(i + by) % items.Length]);

    private static bool HostEnvironmentIsRoot() => Environment.UserName == "root";

    private static bool ChartToolsPresent()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return false;
        }
        using Process? python = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import matplotlib"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        });
        python?.WaitForExit();
        return python?.ExitCode == 0;
    }

    private static void RenderChart(BenchmarkArtifacts artifacts, string json, string png)
    {
        string script = Path.Combine(artifacts.RepositoryRoot, "tests", "UsbGadget.Benchmarks", "usb-chart.py");
        using Process python = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, json, png])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        string output = python.StandardOutput.ReadToEnd() + python.StandardError.ReadToEnd();
        python.WaitForExit();
        if (python.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"Drawing the chart failed (it needs Debian's python3-matplotlib: apt-get install -y python3-matplotlib).{Environment.NewLine}{output}");
        }
    }

    /// <summary>Starts each gadget fresh in the guest (vm/usb-run.sh) and parses what it measured.</summary>
    private sealed class Runner(GadgetVm vm, BenchmarkArtifacts artifacts, Options options)
    {
        public List<Measurement> Results { get; } = [];

        public async Task MeasureAsync(string implementation, string mode, int size, int depth, int round)
        {
            bool loopbackGadget = mode is "loopback" or "pingpong" or "control";
            (string vidPid, string setup, string gadget, string teardown, string stats) = Gadget(implementation, loopbackGadget, size, depth);
            string[] bench = mode switch
            {
                "control" => ["--mode", "control"],
                "pingpong" => ["--mode", "pingpong", "--size", Invariant(size)],
                _ => ["--mode", mode, "--size", Invariant(size), "--depth", Invariant(depth)],
            };
            string command = GuestShell.Join([
                "sh", artifacts.GuestScript("usb-run.sh"), vidPid, setup, gadget, teardown, stats,
                Invariant(options.Warmup), Invariant(options.Seconds), artifacts.UsbBenchHost, .. bench]);
            var measurement = new Measurement { Implementation = implementation, Mode = mode, Size = size, Depth = depth, Round = round };
            try
            {
                GuestCommandResult run = await vm.RunAsync(command, TimeSpan.FromSeconds(90 + options.Warmup + options.Seconds));
                measurement.Raw = run.StandardOutput.Trim();
                Parse(measurement, run);
            }
            catch (GadgetVmException e)
            {
                measurement.Error = e.Message;
            }
            if (!measurement.Ok)
            {
                await vm.CleanUpAsync();
            }
            Results.Add(measurement);
            Console.WriteLine(measurement.Ok
                ? FormattableString.Invariant(
                    $"   {mode,-8} {size,6} B d{depth,-2} {s_labels[implementation],-12} {measurement.Mbps,8:0.00} MB/s {measurement.TransfersPerSecond,9:0} /s  cpu {Cell(measurement.CpuMsPerMb, "0.0")} ms/MB  host {Cell(measurement.HostClientCpuPercent, "0")}%")
                : $"   {mode,-8} {size,6} B d{depth,-2} {s_labels[implementation],-12} FAILED: {measurement.Error}");
        }

        private (string VidPid, string Setup, string Gadget, string Teardown, string Stats) Gadget(string implementation, bool loopback, int size, int depth)
        {
            // The framework's transfer sizes are multiples of 1024 (its options validator). At 512 B the buffers stay 1024:
            // a 512-byte host transfer is one short packet at SuperSpeed (1024-byte packets), which ends the gadget's read at
            // 512 bytes, and the source writes 512 bytes (Benchmark:WriteSize), so every transfer is still 512 B on the bus.
            int frameworkSize = Math.Max(size, 1024);
            string FrameworkEnvironment() =>
                $"export UsbGadget__Endpoints__OutQueueDepth={depth} UsbGadget__Endpoints__InQueueDepth={depth} "
                + $"UsbGadget__Endpoints__OutTransferSize={frameworkSize} UsbGadget__Endpoints__InTransferSize={frameworkSize}";
            string kernelScript = GuestShell.Quote(artifacts.GuestScript("kernel-function.sh"));
            switch (implementation)
            {
                case Kernel:
                    string function = loopback ? "Loopback" : "SourceSink";
                    string attributes = loopback ? $"bulk_buflen={size} qlen={depth}" : $"bulk_buflen={size} bulk_qlen={depth} pattern=2";
                    return ("1d6b:0108", $"sh {kernelScript} setup {function} 0x0108 {attributes}", "", $"sh {kernelScript} teardown {function}", "");
                case Reference or ReferenceTwin:
                    string script = $"GADGET_NAME={ReferenceGadget} GADGET_PID=0x0106 GADGET_FUNCTIONS=ffs0 GADGET_FFS_ROOT=/run/{ReferenceGadget} "
                        + $"GADGET_BCD_USB=0x0300 GADGET_PRODUCT='FunctionFS reference' sh {GuestShell.Quote(artifacts.UsbGadgetScript)}";
                    string reference = $"exec {GuestShell.Quote(artifacts.FfsReference)} --ffs /run/{ReferenceGadget}/ffs0 --mode {(loopback ? "loopback" : "source-sink")} "
                        + $"--size {size} --depth {depth} --bind /sys/kernel/config/usb_gadget/{ReferenceGadget}/UDC={GadgetVm.UdcName}";
                    return ("1d6b:0106", $"{script} setup", reference, $"{script} teardown", "");
                case Ours:
                    string ours = $"{FrameworkEnvironment()} Benchmark__Mode={(loopback ? "loopback" : "source-sink")} Benchmark__WriteSize={size} "
                        + $"Benchmark__StatsFile={StatsFile}; cd {GuestShell.Quote(Path.GetDirectoryName(artifacts.BenchmarkGadget)!)} "
                        + $"&& exec {GuestShell.Quote(artifacts.BenchmarkGadget)}";
                    return ("1d6b:0107", "", ours, "", StatsFile);
                case Lease or Primary or PrimaryFourPerCall or StreamAdapter or PipeAdapter:
                    string api = $"{FrameworkEnvironment()} Benchmark__Api={(implementation == PrimaryFourPerCall ? Primary : implementation)} "
                        + $"Benchmark__TransfersPerCall={(implementation == PrimaryFourPerCall ? 4 : 1)} Benchmark__Mode={(loopback ? "loopback" : "source-sink")} "
                        + $"Benchmark__WriteSize={size} Benchmark__StatsFile={StatsFile}; cd {GuestShell.Quote(Path.GetDirectoryName(artifacts.BenchmarkGadget)!)} "
                        + $"&& exec {GuestShell.Quote(artifacts.BenchmarkGadget)}";
                    return ("1d6b:0107", "", api, "", StatsFile);
                case Sample:
                    string sample = artifacts.NativeAotExecutable("BulkLoopback");
                    return ("1d6b:0105", "", $"{FrameworkEnvironment()}; cd {GuestShell.Quote(Path.GetDirectoryName(sample)!)} && exec {GuestShell.Quote(sample)}", "", "");
                default:
                    throw new ArgumentOutOfRangeException(nameof(implementation), implementation, null);
            }
        }

        private static void Parse(Measurement m, GuestCommandResult run)
        {
            Dictionary<string, string> values = KeyValueOutput.Parse(run.StandardOutput.Split('\n'));
            if (values.TryGetValue("error", out string? error) || run.ExitCode != 0)
            {
                m.Error = error ?? $"usb-run.sh exited {run.ExitCode}: {run.StandardError.Trim()}";
                return;
            }
            Dictionary<string, string> result = KeyValueOutput.Parse((values.GetValueOrDefault("result") ?? "").Split(' '));
            double Number(Dictionary<string, string> from, string key) =>
                from.TryGetValue(key, out string? v) && double.TryParse(v, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
            m.Mbps = Number(result, "mbps");
            m.TransfersPerSecond = Number(result, "tps");
            m.P50Microseconds = Number(result, "p50_us");
            m.P99Microseconds = Number(result, "p99_us");
            if (values.GetValueOrDefault("bench_exit") != "0" || double.IsNaN(m.Mbps) || Number(result, "errors") > 0 || Number(result, "mismatches") > 0)
            {
                m.Error = $"usb-bench-host failed: {values.GetValueOrDefault("result")} {string.Join(" | ", run.StandardOutput.Split('\n').Where(l => l.StartsWith("bench_stderr:", StringComparison.Ordinal)))}";
                return;
            }

            double window = Number(values, "window_ms") / 1000, tick = 1 / Number(values, "clk_tck");
            if (window > 0)
            {
                double gadgetCpu = Number(values, "gadget_cpu_ticks") * tick;
                double megabytes = m.Mbps * window;
                if (m.Mode != "control" && megabytes > 0)
                {
                    m.CpuMsPerMb = gadgetCpu * 1000 / megabytes;
                }
                if (m.TransfersPerSecond > 0)
                {
                    m.CpuMicrosecondsPerTransfer = gadgetCpu * 1e6 / (m.TransfersPerSecond * window);
                }
                m.HostClientCpuPercent = Number(values, "bench_cpu_ticks") * tick * 100 / window;
                m.GuestBusyPercent = Number(values, "guest_busy_pct");
                if (values.TryGetValue("alloc_bytes", out string? bytes) && values.TryGetValue("alloc_transfers", out string? transfers))
                {
                    m.AllocatedBytes = long.Parse(bytes, CultureInfo.InvariantCulture);
                    m.AllocationTransfers = long.Parse(transfers, CultureInfo.InvariantCulture);
                }
            }
        }
    }

    /// <summary>
    /// Issue #28's target: the primary (copying) API and its adapters against the lease (zero-copy) API at 16 KiB, depth 8,
    /// in the same VM boot, alternating, with the spread over rounds and the steady-state allocations of each.
    /// </summary>
    private static class PrimaryProfile
    {
        private const int Size = 16384;
        private const int Depth = 8;
        private const double Target = 0.9;

        private static string[] Implementations(string direction) =>
            direction == "loopback" ? [Lease, Primary, StreamAdapter] : [Lease, Primary, PrimaryFourPerCall, StreamAdapter, PipeAdapter];

        public static async Task<int> RunAsync(Options options)
        {
            BenchmarkArtifacts artifacts = BenchmarkArtifacts.Locate();
            await artifacts.MakeNativeAsync();
            await artifacts.PublishBenchmarkGadgetAsync(Console.Out);
            Console.WriteLine("== booting the VM (dummy_hcd, SuperSpeed)");
            var vmOptions = new GadgetVmOptions { Speed = GadgetVmSpeed.Super, Log = line => Console.WriteLine($"   {line}") };
            vmOptions.RequiredHostPackages.Add("libusb-1.0-0");
            await using GadgetVm vm = await GadgetVm.StartAsync(vmOptions);
            var runner = new Runner(vm, artifacts, options);
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (string direction in s_directions)
                {
                    string[] implementations = Implementations(direction);
                    foreach (string implementation in Rotate(implementations, round))
                    {
                        await runner.MeasureAsync(implementation, direction, Size, Depth, round);
                    }
                }
            }

            string markdown = Render(runner.Results, vm.KernelRelease, options);
            Console.WriteLine();
            Console.WriteLine(markdown);
            Directory.CreateDirectory(artifacts.OutputDirectory);
            string md = Path.Combine(artifacts.OutputDirectory, "usb-primary.md");
            File.WriteAllText(md, markdown);
            // JsonNode rather than the reflection serializer: the benchmarks are also published with NativeAOT (instructions.sh).
            static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 3)) : null;
            var runs = new JsonArray();
            foreach (Measurement r in runner.Results)
            {
                runs.Add((JsonNode)new JsonObject
                {
                    ["implementation"] = r.Implementation, ["mode"] = r.Mode, ["round"] = r.Round, ["mbps"] = Number(r.Mbps),
                    ["cpu_ms_per_mb"] = Number(r.CpuMsPerMb), ["allocated_bytes"] = r.AllocatedBytes,
                    ["allocation_transfers"] = r.AllocationTransfers, ["error"] = r.Error,
                });
            }

            File.WriteAllText(Path.Combine(artifacts.OutputDirectory, "usb-primary.json"), runs.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"tables: {md}");
            return runner.Results.Any(r => !r.Ok) ? 1 : 0;
        }

        private static string Render(List<Measurement> results, string kernelRelease, Options options)
        {
            var s = new StringBuilder();
            s.AppendLine(CultureInfo.InvariantCulture,
                $"Primary API vs lease API, {SizeLabel(Size)} transfers at depth {Depth}: one VM boot (kernel {kernelRelease}, dummy_hcd SuperSpeed), usb-bench-host as the host, "
                + $"{options.Warmup:0.#} s warm-up + {options.Seconds:0.#} s per run, {options.Rounds} round(s), implementations alternating. Median MB/s (min–max over rounds).");
            s.AppendLine();
            s.AppendLine("| direction | API | MB/s | ÷ lease: geometric mean [95% interval] (min, median, max, rounds) | CPU ms/MB | B allocated/transfer | ≥ 0.9 × lease, from the interval |");
            s.AppendLine("|---|---|---|---|---|---|---|");
            foreach (string direction in s_directions)
            {
                foreach (string implementation in Implementations(direction))
                {
                    List<Measurement> runs = [.. results.Where(r => r.Ok && r.Mode == direction && r.Implementation == implementation)];
                    double[] mbps = [.. runs.Select(r => r.Mbps).Order()];
                    RatioStatistics ratio = RatioStatistics.Of(runs.Select(r => r.Mbps / LeaseMbps(results, direction, r.Round)));
                    long bytes = runs.Sum(r => r.AllocatedBytes ?? 0), transfers = runs.Sum(r => r.AllocationTransfers ?? 0);
                    string verdict = implementation == Lease ? "" : RatioStatistics.Describe(ratio.Judge(Target, TargetRule.AtLeast));
                    s.AppendLine(CultureInfo.InvariantCulture,
                        $"| {direction} | {s_labels[implementation]} | {Cell(MedianOf(mbps), "0.0")} ({Spread(mbps, "0")}) "
                        + $"| {(implementation == Lease ? "1" : ratio.ToString())} "
                        + $"| {Cell(MedianOf(runs.Select(r => r.CpuMsPerMb)), "0.0")} | {(transfers == 0 ? "n/a" : ((double)bytes / transfers).ToString("0.00", CultureInfo.InvariantCulture))} | {verdict} |");
                }
            }

            int failed = results.Count(r => !r.Ok);
            if (failed > 0)
            {
                s.AppendLine();
                s.AppendLine(CultureInfo.InvariantCulture, $"{failed} run(s) failed:");
                foreach (Measurement r in results.Where(r => !r.Ok))
                {
                    s.AppendLine(CultureInfo.InvariantCulture, $"- {s_labels[r.Implementation]} {r.Mode} round {r.Round}: {r.Error?.Split('\n')[0]}");
                }
            }

            return s.ToString();
        }

        private static double LeaseMbps(List<Measurement> results, string direction, int round) =>
            results.FirstOrDefault(r => r.Ok && r.Mode == direction && r.Implementation == Lease && r.Round == round)?.Mbps ?? double.NaN;

        private static double MedianOf(IEnumerable<double> values)
        {
            double[] v = [.. values.Where(double.IsFinite).Order()];
            return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }

        private static string Spread(double[] sorted, string format) =>
            sorted.Length == 0 ? "n/a" : $"{Cell(sorted[0], format)}–{Cell(sorted[^1], format)}";
    }

    /// <summary>Medians per (implementation, mode, size, depth) over rounds for the tables; per-round ratios pooled into intervals for the targets.</summary>
    private sealed class Report(List<Measurement> results, List<Point> points, bool includeKernelTarget = true)
    {
        private IEnumerable<int> Rounds => results.Select(r => r.Round).Distinct().Order();

        // The points a direction was measured at (the check profile measures each point in one direction only).
        private IEnumerable<Point> SweepPoints(string mode) => points.OrderBy(p => p.Size).ThenBy(p => p.Depth)
            .Where(p => results.Any(r => r.Mode == mode && r.Size == p.Size && r.Depth == p.Depth));

        private double Value(string implementation, string mode, int size, int depth, int round, Func<Measurement, double> value) =>
            results.FirstOrDefault(r => r.Ok && r.Implementation == implementation && r.Mode == mode && r.Size == size && r.Depth == depth && r.Round == round)
                is { } m ? value(m) : double.NaN;

        /// <summary>a ÷ b in each round (both measured back to back in that round), pooled over rounds.</summary>
        private RatioStatistics Ratio(string a, string b, string mode, Point p, Func<Measurement, double> value) =>
            RatioStatistics.Of(Rounds.Select(round => Value(a, mode, p.Size, p.Depth, round, value) / Value(b, mode, p.Size, p.Depth, round, value)));

        /// <summary>
        /// C′ ÷ C throughput: per round, the geometric mean over every measured point and direction, so the interval is
        /// over rounds like every target's.
        /// </summary>
        private RatioStatistics SelfTest() => RatioStatistics.Of(Rounds.Select(round =>
        {
            double[] logs = [.. s_directions.SelectMany(mode => SweepPoints(mode).Select(p =>
                    Value(ReferenceTwin, mode, p.Size, p.Depth, round, r => r.Mbps) / Value(Reference, mode, p.Size, p.Depth, round, r => r.Mbps)))
                .Where(v => double.IsFinite(v) && v > 0).Select(v => Math.Log(v))];
            return logs.Length == 0 ? double.NaN : Math.Exp(logs.Average());
        }));

        private double Median(string implementation, string mode, int size, int depth, Func<Measurement, double> value)
        {
            double[] values = [.. results.Where(r => r.Ok && r.Implementation == implementation && r.Mode == mode && r.Size == size && r.Depth == depth)
                .Select(value).Where(v => !double.IsNaN(v)).Order()];
            return values.Length == 0 ? double.NaN : values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
        }

        private double Mbps(string implementation, string mode, Point p) => Median(implementation, mode, p.Size, p.Depth, r => r.Mbps);

        private double Tps(string implementation, string mode, Point p) => Median(implementation, mode, p.Size, p.Depth, r => r.TransfersPerSecond);

        private double Cpu(string implementation, string mode, Point p) => Median(implementation, mode, p.Size, p.Depth, r => r.CpuMsPerMb);

        private static double MedianOf(IEnumerable<double> values)
        {
            double[] v = [.. values.Where(x => !double.IsNaN(x) && !double.IsInfinity(x)).Order()];
            return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }

        public string Render(string kernelRelease, Options options)
        {
            var s = new StringBuilder();
            s.AppendLine(CultureInfo.InvariantCulture, $"USB benchmark, {options.Profile} profile: one VM boot (kernel {kernelRelease}, dummy_hcd SuperSpeed, software emulation), "
                + $"usb-bench-host (async libusb) as the host for all; {options.Warmup:0.#} s warm-up + {options.Seconds:0.#} s per run, {options.Rounds} round(s), implementations in rotating order; cells are medians over rounds.");
            s.AppendLine("MB/s (1 MB = 10^6 B); at 512 B and 4 KiB the cell adds transfers/s. CPU: the gadget process's utime+stime per MB moved (kernel functions: n/a).");
            s.AppendLine("Every gadget is started fresh per run, with buffers of the host's request size and the host's queue depth (the framework's at 512 B: "
                + "1024-byte buffers, its minimum, with 512-byte writes; a 512-byte host transfer is one short packet either way).");
            if (options.Rounds < RatioStatistics.MinimumRounds)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"Fewer than {RatioStatistics.MinimumRounds} rounds: the cells are indicative and no target gets a verdict.");
            }
            // A profile that measures a direction at some points only (check) prints just those rows and sections.
            foreach (string mode in s_directions.Where(m => SweepPoints(m).Any()))
            {
                bool loopback = mode == "loopback";
                s.AppendLine();
                s.AppendLine(mode switch
                {
                    "in" => "### IN (device → host): kernel SourceSink, ffs-reference source-sink, UsbGadget.Benchmarks.Gadget source-sink",
                    "out" => "### OUT (host → device): kernel SourceSink, ffs-reference source-sink, UsbGadget.Benchmarks.Gadget source-sink",
                    _ => "### Loopback (OUT echoed on IN; bytes back on IN): kernel Loopback, ffs-reference loopback, UsbGadget.Benchmarks.Gadget loopback, BulkLoopback sample",
                });
                s.AppendLine();
                s.Append("| size | depth | kernel | C ref | ours |");
                s.Append(loopback ? " BulkLoopback |" : "");
                s.AppendLine(" ours÷kernel | ours÷C | CPU ms/MB C | CPU ms/MB ours | CPU ours÷C |");
                s.AppendLine(loopback ? "|---|---|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|---|---|");
                foreach (Point p in SweepPoints(mode))
                {
                    string Throughput(string implementation)
                    {
                        double mbps = Mbps(implementation, mode, p);
                        return p.Size <= 4096 && !double.IsNaN(mbps)
                            ? FormattableString.Invariant($"{mbps:0.00} ({Tps(implementation, mode, p) / 1000:0.0}k/s)")
                            : Cell(mbps, "0.0");
                    }
                    double ours = Mbps(Ours, mode, p);
                    s.Append(CultureInfo.InvariantCulture, $"| {SizeLabel(p.Size)} | {p.Depth} | {Throughput(Kernel)} | {Throughput(Reference)} | {Throughput(Ours)} |");
                    s.Append(loopback ? $" {Throughput(Sample)} |" : "");
                    s.AppendLine(CultureInfo.InvariantCulture,
                        $" {Cell(ours / Mbps(Kernel, mode, p), "0.00")} | {Cell(ours / Mbps(Reference, mode, p), "0.00")} | {Cell(Cpu(Reference, mode, p), "0.0")} | {Cell(Cpu(Ours, mode, p), "0.0")} | {Cell(Cpu(Ours, mode, p) / Cpu(Reference, mode, p), "0.00")} |");
                }
            }

            if (results.Any(r => r.Mode is "control" or "pingpong"))
            {
                s.AppendLine();
                s.AppendLine("### ep0 and latency");
                s.AppendLine();
                s.AppendLine("| gadget | control round trips/s | ping-pong 512 B p50 (µs) | p99 (µs) | round trips/s |");
                s.AppendLine("|---|---|---|---|---|");
                foreach (string implementation in new[] { Kernel, Reference, Ours, Sample })
                {
                    s.AppendLine(CultureInfo.InvariantCulture,
                        $"| {s_labels[implementation]} | {Cell(Median(implementation, "control", 64, 1, r => r.TransfersPerSecond), "0")} "
                        + $"| {Cell(Median(implementation, "pingpong", 512, 8, r => r.P50Microseconds), "0")} | {Cell(Median(implementation, "pingpong", 512, 8, r => r.P99Microseconds), "0")} "
                        + $"| {Cell(Median(implementation, "pingpong", 512, 8, r => r.TransfersPerSecond), "0")} |");
                }
            }

            s.AppendLine();
            RatioStatistics selfTest = SelfTest();
            s.AppendLine("### Targets: geometric mean of the per-round ratios [95% interval] (min, median, max, rounds) — verdict from the interval");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture,
                $"- self-test C′ ÷ C throughput (two C instances, same points, same rounds): {selfTest} — {(selfTest.Count < RatioStatistics.MinimumRounds ? RatioStatistics.Describe(Verdict.TooFewRounds) : selfTest.TooNoisyForSelfTest ? "outside 0.91–1.10: every verdict below is 'too noisy to judge'" : "inside 0.91–1.10: the rig can judge ±10%")}");
            void Target(string what, RatioStatistics ratio, double target, TargetRule rule) =>
                s.AppendLine(CultureInfo.InvariantCulture, $"- {what}: {ratio} — {RatioStatistics.Describe(ratio.Judge(target, rule, selfTest))}");
            foreach (string mode in s_directions)
            {
                foreach (Point p in SweepPoints(mode))
                {
                    string at = $"{SizeLabel(p.Size)} d{p.Depth}";
                    if (p.Size <= 4096)
                    {
                        Target($"{mode} {at} CPU per MB ours ÷ C ≤ 1.0", Ratio(Ours, Reference, mode, p, r => r.CpuMsPerMb), 1.0, TargetRule.AtMost);
                        Target($"{mode} {at} transfers/s ours ÷ C ≥ 1.0", Ratio(Ours, Reference, mode, p, r => r.TransfersPerSecond), 1.0, TargetRule.AtLeast);
                    }
                    else
                    {
                        Target($"{mode} {at} throughput ours ÷ C ≥ 1.0", Ratio(Ours, Reference, mode, p, r => r.Mbps), 1.0, TargetRule.AtLeast);
                        if (includeKernelTarget)
                        {
                            Target($"{mode} {at} throughput ours ÷ kernel ≥ 0.95", Ratio(Ours, Kernel, mode, p, r => r.Mbps), 0.95, TargetRule.AtLeast);
                        }
                    }
                }
            }
            List<Measurement> allocationRuns = [.. results.Where(r => r.Ok && r.Implementation == Ours && r.AllocationTransfers > 0)];
            long bytes = allocationRuns.Sum(r => r.AllocatedBytes ?? 0), transfers = allocationRuns.Sum(r => r.AllocationTransfers ?? 0);
            double perTransfer = transfers == 0 ? double.NaN : (double)bytes / transfers;
            double worstRun = allocationRuns.Select(r => (double)r.AllocatedBytes!.Value / r.AllocationTransfers!.Value).DefaultIfEmpty(double.NaN).Max();
            // Allocations are counted, not sampled: a byte per transfer is a real allocation, not noise.
            s.AppendLine(FormattableString.Invariant(
                $"- allocations: {Cell(perTransfer, "0.00")} B/transfer in steady state ({bytes} B over {transfers} transfers in {allocationRuns.Count} runs; worst run {Cell(worstRun, "0.00")}) — {(double.IsNaN(perTransfer) ? "n/a" : perTransfer < 0.01 ? "met" : "NOT met")}"));
            RatioStatistics control = RatioStatistics.Of(Rounds.Select(round =>
                Value(Ours, "control", 64, 1, round, r => r.TransfersPerSecond) / Value(Reference, "control", 64, 1, round, r => r.TransfersPerSecond)));
            if (control.Count > 0)
            {
                Target("ep0 round trips ours ÷ C ≥ 0.9", control, 0.9, TargetRule.AtLeast);
            }

            s.AppendLine();
            double HostMax(Func<Measurement, bool> which) => results.Where(r => r.Ok && r.Mode is "in" or "out" or "loopback").Where(which)
                .Select(r => r.HostClientCpuPercent).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max();
            double hostUser = HostMax(r => r.Implementation != Kernel), hostKernel = HostMax(r => r.Implementation == Kernel);
            double guestBusy = MedianOf(results.Where(r => r.Ok).Select(r => r.GuestBusyPercent));
            string userVerdict = hostUser < 85 ? "not the bottleneck there" : "close to saturated: the host may limit these runs";
            string kernelVerdict = hostKernel < 85 ? "not the bottleneck" : "near saturation, so the kernel ceiling may be higher still and ours÷kernel is if anything flattering";
            s.AppendLine(CultureInfo.InvariantCulture,
                $"Host side: usb-bench-host's process (utime+stime, which includes host-stack and dummy_hcd work the kernel does in its context) used at most {Cell(hostUser, "0")}% of one CPU against the user-space gadgets ({userVerdict}) and at most {Cell(hostKernel, "0")}% against the kernel's functions ({kernelVerdict}). The guest's 2 CPUs were {Cell(guestBusy, "0")}% busy (median over runs).");

            int failed = results.Count(r => !r.Ok);
            if (failed > 0)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"{failed} run(s) failed (n/a above):");
                foreach (Measurement r in results.Where(r => !r.Ok))
                {
                    s.AppendLine(CultureInfo.InvariantCulture, $"- {s_labels[r.Implementation]} {r.Mode} {r.Size} B depth {r.Depth} round {r.Round}: {r.Error?.Split('\n')[0]}");
                }
            }
            return s.ToString();
        }

        public string ToJson(string kernelRelease, Options options)
        {
            static JsonNode? Number(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 3));
            var root = new JsonObject
            {
                ["created"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["kernel"] = kernelRelease,
                ["speed"] = "super",
                ["profile"] = options.Profile,
                ["warmup_seconds"] = options.Warmup,
                ["seconds"] = options.Seconds,
                ["rounds"] = options.Rounds,
                ["labels"] = new JsonObject(s_labels.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            };
            var sweep = new JsonArray();
            foreach (string mode in s_directions)
            {
                foreach (Point p in points)
                {
                    foreach (string implementation in new[] { Kernel, Reference, Ours, Sample })
                    {
                        double mbps = Mbps(implementation, mode, p);
                        if (!double.IsNaN(mbps))
                        {
                            sweep.Add((JsonNode)new JsonObject
                            {
                                ["mode"] = mode, ["implementation"] = implementation, ["size"] = p.Size, ["depth"] = p.Depth,
                                ["mbps"] = Number(mbps), ["tps"] = Number(Tps(implementation, mode, p)), ["cpu_ms_per_mb"] = Number(Cpu(implementation, mode, p)),
                            });
                        }
                    }
                }
            }
            root["sweep"] = sweep;
            var runs = new JsonArray();
            foreach (Measurement r in results)
            {
                runs.Add((JsonNode)new JsonObject
                {
                    ["implementation"] = r.Implementation, ["mode"] = r.Mode, ["size"] = r.Size, ["depth"] = r.Depth, ["round"] = r.Round,
                    ["mbps"] = Number(r.Mbps), ["tps"] = Number(r.TransfersPerSecond), ["p50_us"] = Number(r.P50Microseconds), ["p99_us"] = Number(r.P99Microseconds),
                    ["cpu_ms_per_mb"] = Number(r.CpuMsPerMb), ["cpu_us_per_transfer"] = Number(r.CpuMicrosecondsPerTransfer),
                    ["host_client_cpu_pct"] = Number(r.HostClientCpuPercent), ["guest_busy_pct"] = Number(r.GuestBusyPercent),
                    ["allocated_bytes"] = r.AllocatedBytes, ["allocation_transfers"] = r.AllocationTransfers,
                    ["error"] = r.Error, ["raw"] = r.Raw,
                });
            }
            root["runs"] = runs;
            return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        }
    }

    private static string SizeLabel(int size) => size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";

    private static string Cell(double value, string format) =>
        double.IsNaN(value) || double.IsInfinity(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
