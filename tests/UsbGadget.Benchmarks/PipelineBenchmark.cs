using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.Aio;
using UsbGadget.Benchmarks.Gadget;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Linux;

namespace UsbGadget.Benchmarks;

/// <summary>
/// The framework's own cost per transfer, on this machine's kernel and without a USB controller: the endpoint layer
/// (OUT reads handed to a reader, IN writes, the BulkLoopback sample's echo) over files whose AIO completes inside
/// io_submit (/dev/zero for OUT, /dev/null for IN), against the same transfers driven straight by the AIO layer's
/// completion handlers, as a C gadget drives libaio. Both run in the same process and round, alternating, so the
/// ratio holds on a noisy machine; the difference is what the endpoint layer adds to every transfer. A C program doing
/// the same transfers as the C reference gadget does (tests/UsbGadget.Benchmarks/native/aio-loop.c) takes its turn in
/// every round too: the bar for all of our user-space time.
/// </summary>
/// <remarks>
/// Under emulation (the VM benchmark) the same user-space work costs far more per transfer, and it is the whole of the
/// gap to the C reference there (perf: the kernel's share per transfer is the same for both). This measures that
/// work directly, in seconds, with no emulated bus in between; its ratio to C's user time is about the one inside
/// the VM.
/// </remarks>
internal static class PipelineBenchmark
{
    private static readonly string[] s_modes = ["loopback", "loopback-read", "source", "in", "receive", "out"];

    // The primary (copying) API and its adapters, to hold against the zero-copy "in" and "out" and the tuned "loopback".
    private static readonly string[] s_primaryModes = ["copy-loopback", "copy-in", "stream-in", "pipe-in", "copy-out", "stream-out", "pipe-out"];

    private static string Shape(string mode) => mode switch
    {
        "loopback-read" or "copy-loopback" => "loopback",
        "source" or "copy-in" or "stream-in" or "pipe-in" => "in",
        "receive" or "copy-out" or "stream-out" or "pipe-out" => "out",
        _ => mode,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        int size = 512;
        int depth = 8;
        double seconds = 3;
        int rounds = 3;
        string[] modes = s_modes;
        string? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--size": size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--depth": depth = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--mode": modes = Next() is "primary" ? s_primaryModes : args[i].Split(','); break;
                case "--only": only = Next(); break; // aio or endpoints alone (under perf): both columns show it

                default: throw new ArgumentException($"Unknown option '{args[i]}'. Options: --size N --depth N --seconds S --rounds N --mode loopback|loopback-read|source|in|receive|out|copy-loopback|copy-in|stream-in|pipe-in|copy-out|stream-out|pipe-out (comma-separated), or primary for the last seven.");
            }
        }

        if (size < 512 || size % 512 != 0 || depth < 1 || seconds <= 0 || rounds < 1 || modes.Except(s_modes).Except(s_primaryModes).Any() || only is not (null or "aio" or "endpoints"))
        {
            throw new ArgumentException("--size must be a positive multiple of 512, --depth, --seconds and --rounds positive, --mode one or more of loopback, loopback-read, source, in, receive, out, copy-loopback, copy-in, stream-in, pipe-in, copy-out, stream-out, pipe-out (or primary), --only aio or endpoints.");
        }

        var artifacts = Vm.BenchmarkArtifacts.Locate();
        await artifacts.MakeNativeAsync();

        Console.WriteLine($"Pipeline benchmark: {size} B transfers, depth {depth}, {seconds} s per run, {rounds} round(s), median shown; OUT reads /dev/zero, IN writes /dev/null, completed inside io_submit.");
        Console.WriteLine("C: aio-loop.c, the same transfers in C as the C reference gadget does them. aio: the AIO layer's completion handlers alone (the floor: a C-style loop on this library). endpoints: the FunctionFS endpoint layer, as a function uses it.");
        Console.WriteLine();
        Console.WriteLine("| mode | C CPU ns/transfer (user) | aio CPU ns/transfer (user) | endpoints CPU ns/transfer (user) | endpoints÷aio CPU (user) | endpoints÷C CPU (user) | endpoints transfers/s | endpoints B allocated/transfer |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (string mode in modes)
        {
            var c = new List<Figures>();
            var aio = new List<Figures>();
            var endpoints = new List<Figures>();
            // Warm-up (JIT tiers, page faults) of what is measured only: under a profiler, nothing else runs.
            if (only is not "endpoints")
            {
                Measure(mode, "aio", size, depth, Math.Min(seconds, 1));
            }

            if (only is not "aio")
            {
                Measure(mode, "endpoints", size, depth, Math.Min(seconds, 1));
            }

            for (int round = 0; round < rounds; round++)
            {
                c.Add(await MeasureCAsync(artifacts.AioLoop, mode, size, depth, seconds));
                aio.Add(Measure(mode, only ?? "aio", size, depth, seconds));
                endpoints.Add(Measure(mode, only ?? "endpoints", size, depth, seconds));
            }

            Figures n = Median(c);
            Figures a = Median(aio);
            Figures e = Median(endpoints);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {n.CpuNanoseconds:F0} ({n.UserNanoseconds:F0}) | {a.CpuNanoseconds:F0} ({a.UserNanoseconds:F0}) | {e.CpuNanoseconds:F0} ({e.UserNanoseconds:F0}) | {e.CpuNanoseconds / a.CpuNanoseconds:F2} ({e.UserNanoseconds / a.UserNanoseconds:F2}) | {e.CpuNanoseconds / n.CpuNanoseconds:F2} ({e.UserNanoseconds / n.UserNanoseconds:F2}) | {e.PerSecond:N0} | {e.AllocatedBytes:F2} |"));
        }

        return 0;
    }

    private static Figures Median(List<Figures> runs)
    {
        double cpu = runs.Select(r => r.CpuNanoseconds).Order().ElementAt(runs.Count / 2);
        double user = runs.Select(r => r.UserNanoseconds).Order().ElementAt(runs.Count / 2);
        double rate = runs.Select(r => r.PerSecond).Order().ElementAt(runs.Count / 2);
        return new Figures(rate, cpu, user, runs.Max(r => r.AllocatedBytes));
    }

    // The C baseline in its own process: loopback and loopback-read are its loopback, source and in its writes, receive
    // and out its reads. It counts every completed block, as the aio column does.
    private static async Task<Figures> MeasureCAsync(string program, string mode, int size, int depth, double seconds)
    {
        string cMode = Shape(mode);
        Testing.HostCommandResult run = await Testing.HostCommand.RunAsync(
            program,
            [cMode, size.ToString(CultureInfo.InvariantCulture), depth.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(seconds + 30));
        if (!run.Succeeded)
        {
            throw new InvalidOperationException($"The C baseline failed.{Environment.NewLine}{run.Describe()}");
        }

        double Value(string key) => double.Parse(
            run.StandardOutput.Split(' ', '\n').Single(f => f.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..],
            CultureInfo.InvariantCulture);
        return new Figures(Value("transfers_per_second"), Value("cpu_ns"), Value("user_ns"), 0);
    }

    private static Figures Measure(string mode, string implementation, int size, int depth, double seconds)
    {
        using UnixFileHandle zero = UnixFileHandle.Open("/dev/zero", OpenFlags.ReadOnly);
        using UnixFileHandle nul = UnixFileHandle.Open("/dev/null", OpenFlags.WriteOnly);
        using var pool = new AioBufferPool(size, depth * 4);
        var engine = new AioEngine(maxEvents: depth * 4);
        List<AioBuffer> rented = [];
        try
        {
            using var stop = new CancellationTokenSource();
            Func<long> transfers = implementation == "aio"
                ? StartHandlerLoop(mode, engine, zero, nul, pool, rented, size, depth, stop.Token)
                : StartEndpoints(mode, engine, zero, nul, pool, size, depth, stop.Token);

            Thread.Sleep(200);
            using Process self = Process.GetCurrentProcess();
            long count0 = transfers();
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan cpu0 = self.TotalProcessorTime;
            TimeSpan user0 = self.UserProcessorTime;
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            long count = transfers() - count0;
            double elapsed = clock.Elapsed.TotalSeconds;
            self.Refresh();
            TimeSpan cpu = self.TotalProcessorTime - cpu0;
            TimeSpan user = self.UserProcessorTime - user0;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
            stop.Cancel();
            count = Math.Max(count, 1);
            return new Figures(count / elapsed, cpu.TotalNanoseconds / count, user.TotalNanoseconds / count, (double)allocated / count);
        }
        finally
        {
            // Closing the context waits until the kernel has returned every buffer.
            engine.Dispose();
            rented.ForEach(pool.Return);
        }
    }

    // The floor: what a C gadget does with libaio, written on this library's handlers. A loopback keeps `depth` reads
    // queued and writes each filled buffer back, as the C reference's loopback does.
    private static Func<long> StartHandlerLoop(
        string mode, AioEngine engine, UnixFileHandle zero, UnixFileHandle nul, AioBufferPool pool, List<AioBuffer> rented, int size, int depth, CancellationToken stop)
    {
        var loops = new HandlerSlot[depth];
        for (int i = 0; i < depth; i++)
        {
            rented.Add(pool.Rent());
            loops[i] = new HandlerSlot(engine, zero, nul, rented[i], size, Shape(mode), stop);
        }

        foreach (HandlerSlot slot in loops)
        {
            slot.Start();
        }

        return () => loops.Sum(l => Volatile.Read(ref l.Transfers));
    }

    private sealed class HandlerSlot(AioEngine engine, UnixFileHandle zero, UnixFileHandle nul, AioBuffer buffer, int size, string mode, CancellationToken stop)
        : IAioCompletionHandler
    {
        public long Transfers;
        private bool _wrote;

        public void Start()
        {
            if (mode == "in")
            {
                Write();
            }
            else
            {
                Read();
            }
        }

        private void Read()
        {
            _wrote = false;
            engine.StartRead(zero, buffer, size, 0, this);
        }

        private void Write()
        {
            _wrote = true;
            engine.StartWrite(nul, buffer, size, 0, this);
        }

        public void OnAioCompleted(AioResult result)
        {
            if (!result.Succeeded || stop.IsCancellationRequested)
            {
                return;
            }

            Transfers++;
            if (mode == "loopback" && !_wrote)
            {
                Write();
            }
            else if (mode == "in")
            {
                Write();
            }
            else
            {
                Read();
            }
        }
    }

    private static Func<long> StartEndpoints(
        string mode, AioEngine engine, UnixFileHandle zero, UnixFileHandle nul, AioBufferPool pool, int size, int depth, CancellationToken stop)
    {
        IReadOnlyList<FunctionFsEndpoint> declared = FunctionFsDescriptors.Create(new FunctionDescription
        {
            Interfaces =
            [
                new InterfaceDescription
                {
                    Number = 0,
                    Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)],
                },
            ],
        }).Endpoints;
        var io = new AioEndpointIo(engine);
        var output = new OutEndpoint("/dev/zero", zero, declared[0], io, pool, depth, size, NullLogger.Instance);
        var input = new InEndpoint("/dev/null", nul, declared[1], io, pool, depth, size, NullLogger.Instance);
        long transfers = 0;
        Task run = Task.Run(() =>
        {
            input.Enable(1);
            output.Enable(1, 512);
            return mode switch
            {
                "loopback" => TunedEcho.EchoAsync(output, input, () => transfers += 2, stop),
                "copy-loopback" => CopyingEchoAsync(output, input, () => transfers += 2, stop),
                "copy-in" => CopyingSourceAsync(input.WriteAsync, size, () => transfers++, stop),
                "stream-in" => CopyingSourceAsync(input.AsStream().WriteAsync, size, () => transfers++, stop),
                "pipe-in" => PipeSourceAsync(input.AsPipeWriter(), size, () => transfers++, stop),
                "copy-out" => CopyingSinkAsync(output.ReadAsync, size, () => transfers++, stop),
                "stream-out" => CopyingSinkAsync(output.AsStream().ReadAsync, size, () => transfers++, stop),
                "pipe-out" => PipeSinkAsync(output.AsPipeReader(), size, () => transfers++, stop),
                "loopback-read" => ReadLoopEchoAsync(output, input, () => transfers += 2, stop),
                "in" => SourceAsync(input, size, () => transfers++, stop),
                "source" => input.SendFromAsync(new FillingSource(size, () => transfers++), stop),
                "receive" => output.ReceiveAsync(new ReceivingSink(() => transfers++), stop),
                _ => SinkAsync(output, () => transfers++, stop),
            };
        });
        stop.Register(() =>
        {
            input.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            output.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            run.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(5));
        });
        return () => Volatile.Read(ref transfers);
    }

    // The VM benchmark gadget's source (tests/UsbGadget.Benchmarks.Gadget/BenchmarkFunction.cs): each free buffer
    // sent as it is from inside the completion that freed it, with no GetBufferAsync loop.
    private sealed class FillingSource(int size, Action sent) : IInTransferSource
    {
        public ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            sent();
            return new ValueTask<int>(size);
        }
    }

    // The same source as a GetBufferAsync/Send loop, kept as its baseline; and a ReadAsync sink.
    private static async Task SourceAsync(InEndpoint input, int size, Action sent, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using InTransfer transfer = await input.GetBufferAsync(stop).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok || transfer.Send(size) != EndpointStatus.Ok)
            {
                return;
            }

            sent();
        }
    }

    private static async Task SinkAsync(OutEndpoint output, Action received, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using OutTransfer transfer = await output.ReadAsync(stop).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok)
            {
                return;
            }

            received();
        }
    }

    // The loopback sample's echo before it ran on ReceiveAsync: a ReadAsync/SendAsync loop, kept as its baseline.
    private static async Task ReadLoopEchoAsync(OutEndpoint output, InEndpoint input, Action echoed, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using OutTransfer transfer = await output.ReadAsync(stop).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok || await input.SendAsync(transfer, stop).ConfigureAwait(false) != EndpointStatus.Ok)
            {
                return;
            }

            echoed();
        }
    }

    // The primary API: the BulkLoopback sample's loop, and a source and a sink that copy each transfer.
    private static async Task CopyingEchoAsync(OutEndpoint output, InEndpoint input, Action echoed, CancellationToken stop)
    {
        byte[] buffer = new byte[output.TransferSize];
        int length;
        while ((length = await output.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
        {
            await input.WriteAsync(buffer.AsMemory(0, length), stop).ConfigureAwait(false);
            echoed();
        }
    }

    private static async Task CopyingSourceAsync(
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, int size, Action sent, CancellationToken stop)
    {
        byte[] data = new byte[size];
        while (!stop.IsCancellationRequested)
        {
            await write(data, stop).ConfigureAwait(false);
            sent();
        }
    }

    private static async Task PipeSourceAsync(PipeWriter writer, int size, Action sent, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            writer.GetSpan(size)[..size].Clear();
            writer.Advance(size);
            await writer.FlushAsync(stop).ConfigureAwait(false);
            sent();
        }
    }

    // A sink that counts reads of one transfer's size: /dev/zero fills every read, so each copy is one transfer.
    private static async Task CopyingSinkAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> read, int size, Action received, CancellationToken stop)
    {
        byte[] buffer = new byte[size];
        while (await read(buffer, stop).ConfigureAwait(false) > 0)
        {
            received();
        }
    }

    // Counts a transfer per `size` bytes consumed.
    private static async Task PipeSinkAsync(PipeReader reader, int size, Action received, CancellationToken stop)
    {
        long bytes = 0;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(stop).ConfigureAwait(false);
            long length = result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            for (bytes += length; bytes >= size; bytes -= size)
            {
                received();
            }

            if (result.IsCompleted || length == 0)
            {
                return;
            }
        }
    }

    // The same sink on ReceiveAsync: each read handled inline on the completion thread, with no ReadAsync loop.
    private sealed class ReceivingSink(Action received) : IOutTransferHandler
    {
        public ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            if (transfer.Status == EndpointStatus.Ok)
            {
                received();
            }

            transfer.Dispose();
            return default;
        }
    }

    /// <param name="PerSecond">Transfers per second (an echo is two).</param>
    /// <param name="CpuNanoseconds">The process's CPU time per transfer, user and kernel.</param>
    /// <param name="UserNanoseconds">Its user-space part: the code this benchmark compares (the kernel's part is the same syscalls for both).</param>
    /// <param name="AllocatedBytes">Bytes allocated per transfer.</param>
    private readonly record struct Figures(double PerSecond, double CpuNanoseconds, double UserNanoseconds, double AllocatedBytes);
}
