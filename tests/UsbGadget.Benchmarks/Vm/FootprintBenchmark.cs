using System.Globalization;
using UsbGadget.Testing;

namespace UsbGadget.Benchmarks.Vm;

/// <summary>
/// Footprint of each sample as JIT and as NativeAOT, beside the C reference gadget, in one VM boot at high speed (a
/// board's usual link): process start to "the host has configured the device", RSS after idle, RSS under bulk
/// loopback traffic, and SIGTERM to exit. Rounds are interleaved so drift in the emulator hits every gadget alike.
/// </summary>
internal static class FootprintBenchmark
{
    private const string ReferenceGadget = "ffsref";

    private sealed record Gadget(string Label, string VidPid, string Command, bool Loopback, string? Cleanup = null);

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = 3, idleSeconds = 10, trafficSeconds = 10;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--idle-seconds": idleSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--traffic-seconds": trafficSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"footprint: unknown option '{args[i]}'");
            }
        }

        BenchmarkArtifacts artifacts = BenchmarkArtifacts.Locate();
        await artifacts.BuildAsync(["BulkLoopback", "HidKeyboard"], nativeAot: true, Console.Out);
        List<Gadget> gadgets = Gadgets(artifacts);

        Console.WriteLine("== booting the VM (dummy_hcd, high speed)");
        var options = new GadgetVmOptions { Speed = GadgetVmSpeed.High, Log = line => Console.WriteLine($"   {line}") };
        options.RequiredHostPackages.Add("libusb-1.0-0");
        await using GadgetVm vm = await GadgetVm.StartAsync(options);

        var results = gadgets.ToDictionary(g => g.Label, _ => new List<Dictionary<string, string>>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (Gadget gadget in gadgets)
            {
                string traffic = gadget.Loopback
                    ? $"{GuestShell.Quote(artifacts.UsbBenchHost)} --vid 0x{gadget.VidPid[..4]} --pid 0x{gadget.VidPid[5..]} --mode loopback --size 16384 --depth 8 --seconds {trafficSeconds}"
                    : "";
                string command = GuestShell.Join("sh", artifacts.GuestScript("footprint.sh"), gadget.VidPid,
                    idleSeconds.ToString(CultureInfo.InvariantCulture), trafficSeconds.ToString(CultureInfo.InvariantCulture), traffic, gadget.Command);
                GuestCommandResult run = await vm.RunAsync(command, TimeSpan.FromMinutes(5));
                if (gadget.Cleanup is not null)
                {
                    await vm.RunAsync(gadget.Cleanup);
                }
                await vm.CleanUpAsync();
                Dictionary<string, string> values = KeyValueOutput.Parse(run.StandardOutput.Split('\n'));
                if (run.ExitCode != 0 || values.ContainsKey("error"))
                {
                    Console.Error.WriteLine($"{gadget.Label}: failed in round {round}.{Environment.NewLine}{run.Describe()}");
                    return 1;
                }
                results[gadget.Label].Add(values);
                Console.WriteLine($"   round {round} {gadget.Label}: {string.Join(' ', values.Where(p => p.Key != "traffic_result").Select(p => $"{p.Key}={p.Value}"))}");
            }
        }

        PrintTable(gadgets, results, rounds, idleSeconds);
        return 0;
    }

    private static List<Gadget> Gadgets(BenchmarkArtifacts artifacts)
    {
        string setup = $"GADGET_NAME={ReferenceGadget} GADGET_PID=0x0106 GADGET_FUNCTIONS=ffs0 GADGET_FFS_ROOT=/run/{ReferenceGadget} "
            + $"GADGET_PRODUCT='FunctionFS reference' sh {GuestShell.Quote(artifacts.UsbGadgetScript)}";
        string reference = $"{setup} setup > /dev/null && exec {GuestShell.Quote(artifacts.FfsReference)} --ffs /run/{ReferenceGadget}/ffs0 --mode loopback "
            + $"--bind /sys/kernel/config/usb_gadget/{ReferenceGadget}/UDC={GadgetVm.UdcName}";
        string Jit(string sample, string stdin) =>
            $"cd {GuestShell.Quote(Path.GetDirectoryName(artifacts.JitDll(sample))!)} && exec dotnet {GuestShell.Quote(artifacts.JitDll(sample))} {stdin}";
        string Aot(string sample, string stdin) =>
            $"cd {GuestShell.Quote(Path.GetDirectoryName(artifacts.NativeAotExecutable(sample))!)} && exec {GuestShell.Quote(artifacts.NativeAotExecutable(sample))} {stdin}";
        return
        [
            new("C reference (ffs-reference, loopback)", "1d6b:0106", reference, Loopback: true, Cleanup: $"{setup} teardown"),
            new("BulkLoopback, NativeAOT", "1d6b:0105", Aot("BulkLoopback", ""), Loopback: true),
            new("BulkLoopback, JIT", "1d6b:0105", Jit("BulkLoopback", ""), Loopback: true),
            // End of input leaves the keyboard attached, which is the idle state to measure.
            new("HidKeyboard, NativeAOT", "1d6b:0104", Aot("HidKeyboard", "< /dev/null"), Loopback: false),
            new("HidKeyboard, JIT", "1d6b:0104", Jit("HidKeyboard", "< /dev/null"), Loopback: false),
        ];
    }

    private static void PrintTable(List<Gadget> gadgets, Dictionary<string, List<Dictionary<string, string>>> results, int rounds, int idleSeconds)
    {
        double Median(string label, string key, double scale = 1) =>
            MedianOf(results[label].Where(r => r.ContainsKey(key)).Select(r => double.Parse(r[key], CultureInfo.InvariantCulture) * scale));
        static string Format(double value, string format) => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

        Console.WriteLine();
        Console.WriteLine($"Footprint in the VM (Debian 6.1 kernel, dummy_hcd high speed, software emulation), median of {rounds} interleaved rounds");
        Console.WriteLine();
        Console.WriteLine($"| gadget | start → enumerated (s) | RSS after {idleSeconds} s idle (MB) | RSS under loopback traffic (MB) | loopback MB/s | SIGTERM → exit (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (Gadget gadget in gadgets)
        {
            string label = gadget.Label;
            double mbps = MedianOf(results[label]
                .Select(r => r.TryGetValue("traffic_result", out string? t) ? KeyValueOutput.Parse(t.Split(' ')).GetValueOrDefault("mbps") : null)
                .OfType<string>()
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
            Console.WriteLine($"| {label} | {Format(Median(label, "enumerated_ms", 0.001), "0.00")} | {Format(Median(label, "idle_rss_kb", 1 / 1024.0), "0.0")} "
                + $"| {Format(Median(label, "traffic_rss_kb", 1 / 1024.0), "0.0")} | {Format(mbps, "0.0")} | {Format(Median(label, "stop_ms"), "0")} |");
        }

        string reference = gadgets[0].Label, aot = gadgets[1].Label;
        double ratio = Median(aot, "enumerated_ms") / Median(reference, "enumerated_ms");
        double idleMb = Median(aot, "idle_rss_kb", 1 / 1024.0);
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"NativeAOT BulkLoopback start → enumerated: {ratio:0.00} × the C reference (target ≤ 2.00): {(ratio <= 2 ? "met" : "NOT met")}"));
        Console.WriteLine(FormattableString.Invariant($"NativeAOT BulkLoopback idle RSS: {idleMb:0.0} MB (target < 30 MB): {(idleMb < 30 ? "met" : "NOT met")}"));
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
