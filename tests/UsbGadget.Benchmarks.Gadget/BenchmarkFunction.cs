using System.IO.Pipelines;
using BulkLoopback;
using Microsoft.Extensions.Options;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace UsbGadget.Benchmarks.Gadget;

/// <summary>
/// One vendor interface, bulk OUT ep1 and bulk IN ep2: a source/sink or a loopback, the same shape as the C reference
/// (tests/UsbGadget.Benchmarks/native/ffs-reference.c) and the kernel's SourceSink/Loopback.
/// The interface, the vendor control requests and the loopback are the BulkLoopback sample's own
/// (gadgets/BulkLoopback/LoopbackFunction.cs, compiled in); the loopback is the tuned one (<see cref="TunedEcho"/>), and
/// the source and sink are callbacks on the framework's internals (InternalsVisibleTo), as lean as the C reference.
/// </summary>
internal sealed class BenchmarkFunction : IGadgetFunction
{
    private static long s_transfers;

    private readonly LoopbackFunction _sample = new();
    private readonly bool _loopback;
    private readonly BenchmarkApi _api;
    private readonly int _writeSize;
    private readonly int _transfersPerCall;

    public BenchmarkFunction(IOptions<BenchmarkSettings> settings, IOptions<UsbGadgetOptions> gadget)
    {
        _loopback = settings.Value.IsLoopback;
        _api = settings.Value.ParsedApi;
        _writeSize = settings.Value.WriteSize > 0 ? settings.Value.WriteSize : gadget.Value.Endpoints.InTransferSize;
        _transfersPerCall = settings.Value.TransfersPerCall;
        if (_transfersPerCall < 1)
        {
            throw new InvalidOperationException($"Benchmark:TransfersPerCall must be at least 1, not {_transfersPerCall}.");
        }
    }

    /// <summary>Endpoint transfers completed since start: OUT reads plus IN writes (a loopback echo counts both).</summary>
    public static long Transfers => Interlocked.Read(ref s_transfers);

    public string Name => "bench";

    // The sample's interface under the benchmark's own name, without the sample's WinUSB descriptors (the C reference
    // has none either).
    public FunctionDescription Describe() => new()
    {
        Interfaces = _sample.Describe().Interfaces,
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "UsbGadget benchmark"),
    };

    public bool AcceptsOutData(in ControlRequest request) => _sample.AcceptsOutData(request);

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken) =>
        _sample.HandleControlRequestAsync(request, outData, cancellationToken);

    public Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        OutEndpoint output = context.GetOutEndpoint(1);
        InEndpoint input = context.GetInEndpoint(2);
        return (_api, _loopback) switch
        {
            (BenchmarkApi.Tuned, true) => TunedEcho.EchoAsync(output, input, static () => Interlocked.Add(ref s_transfers, 2), cancellationToken),
            (BenchmarkApi.Tuned, false) => Task.WhenAll(SourceAsync(input, cancellationToken), SinkAsync(output, cancellationToken)),
            (BenchmarkApi.Lease, true) => LeaseEchoAsync(output, input, cancellationToken),
            (BenchmarkApi.Lease, false) => Task.WhenAll(LeaseSourceAsync(input, _writeSize, cancellationToken), LeaseSinkAsync(output, cancellationToken)),
            (BenchmarkApi.Primary, true) => CopyingEchoAsync(output.ReadAsync, input.WriteAsync, output.TransferSize, cancellationToken),
            (BenchmarkApi.Primary, false) => Task.WhenAll(
                CopyingSourceAsync((data, ct) => input.WriteAsync(data, endTransfer: false, ct), _writeSize, _transfersPerCall, cancellationToken),
                CopyingSinkAsync(output.ReadAsync, output.TransferSize, _transfersPerCall, cancellationToken)),
            (BenchmarkApi.Stream, true) => StreamEchoAsync(output.AsStream(), input.AsStream(), output.TransferSize, cancellationToken),
            (BenchmarkApi.Stream, false) => Task.WhenAll(
                CopyingSourceAsync(input.AsStream().WriteAsync, _writeSize, _transfersPerCall, cancellationToken),
                CopyingSinkAsync(output.AsStream().ReadAsync, output.TransferSize, _transfersPerCall, cancellationToken)),
            (BenchmarkApi.Pipe, true) => throw new InvalidOperationException("Benchmark:Api pipe measures source-sink only."),
            _ => Task.WhenAll(PipeSourceAsync(input.AsPipeWriter(), _writeSize, cancellationToken), PipeSinkAsync(output.AsPipeReader(), output.TransferSize, cancellationToken)),
        };
    }

    // The zero-copy level: a lent OUT buffer copied into a lent IN buffer (the public API has no zero-copy echo), ended
    // the way it ended on OUT. After a wait, both resume on the completion thread, as that level documents.
    private static async Task LeaseEchoAsync(OutEndpoint output, InEndpoint input, CancellationToken cancellationToken)
    {
        int maxPacket = output.Current?.PacketSize ?? 512;
        while (true)
        {
            using OutTransfer received = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (received.Status != EndpointStatus.Ok)
            {
                return;
            }

            int length = received.Length;
            using (InTransfer sending = await input.GetBufferAsync(cancellationToken).ConfigureAwait(false))
            {
                if (sending.Status != EndpointStatus.Ok)
                {
                    return;
                }

                received.Span.CopyTo(sending.Span);
                if (sending.Send(length) != EndpointStatus.Ok)
                {
                    return;
                }
            }

            // A read that stopped short on a packet boundary ended the host's transfer with a zero-length packet: so does the echo.
            if (length < output.TransferSize && length % maxPacket == 0)
            {
                using InTransfer end = await input.GetBufferAsync(cancellationToken).ConfigureAwait(false);
                if (end.Status != EndpointStatus.Ok || end.Send(0) != EndpointStatus.Ok)
                {
                    return;
                }
            }

            Interlocked.Add(ref s_transfers, 2);
        }
    }

    // Like the C reference's source, fills nothing: each lent buffer is sent with the zeros it was mapped with.
    private static async Task LeaseSourceAsync(InEndpoint input, int writeSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            using InTransfer transfer = await input.GetBufferAsync(cancellationToken).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok || transfer.Send(writeSize) != EndpointStatus.Ok)
            {
                return;
            }

            Interlocked.Increment(ref s_transfers);
        }
    }

    private static async Task LeaseSinkAsync(OutEndpoint output, CancellationToken cancellationToken)
    {
        while (true)
        {
            using OutTransfer transfer = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok)
            {
                return;
            }

            Interlocked.Increment(ref s_transfers);
        }
    }

    // The primary API: each host transfer copied in, and copied back out, ended where the host ended it (a read that
    // came back short of the buffer). A buffer of OUT's transfer size makes one read one kernel read.
    private static async Task CopyingEchoAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> read,
        Func<ReadOnlyMemory<byte>, bool, CancellationToken, ValueTask> write,
        int size,
        CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[size];
        int length;
        while ((length = await read(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await write(buffer.AsMemory(0, length), length < size, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref s_transfers, 2);
        }
    }

    private static async Task StreamEchoAsync(Stream output, Stream input, int size, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[size];
        int length;
        while ((length = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await input.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            if (length < size)
            {
                await input.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Add(ref s_transfers, 2);
        }
    }

    // With endTransfer: false the framework cuts a write of n transfers' bytes into n transfers (IN's transfer size is the write size).
    private static async Task CopyingSourceAsync(
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, int writeSize, int transfersPerCall, CancellationToken cancellationToken)
    {
        byte[] zeros = new byte[writeSize * transfersPerCall];
        while (true)
        {
            await write(zeros, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref s_transfers, transfersPerCall);
        }
    }

    // The host sends full transfers, none ended short, so a read returns when its buffer is full.
    private static async Task CopyingSinkAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> read, int size, int transfersPerCall, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[size * transfersPerCall];
        int length;
        while ((length = await read(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            Interlocked.Add(ref s_transfers, (length + size - 1) / size);
        }
    }

    // One flush per write: each is one host transfer, ended for the host (a zero-length packet when it fills its last packet).
    private static async Task PipeSourceAsync(PipeWriter writer, int writeSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            writer.GetSpan(writeSize)[..writeSize].Clear();
            writer.Advance(writeSize);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref s_transfers);
        }
    }

    // Counts a transfer per OUT transfer size consumed.
    private static async Task PipeSinkAsync(PipeReader reader, int size, CancellationToken cancellationToken)
    {
        long bytes = 0;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long length = result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            long before = bytes / size;
            bytes += length;
            Interlocked.Add(ref s_transfers, (bytes / size) - before);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    // Like the C reference's source, fills nothing: each buffer keeps the zeros it was mapped with, and is sent as it
    // is from inside the completion that freed it, with no GetBufferAsync loop in between.
    private Task SourceAsync(InEndpoint input, CancellationToken cancellationToken) =>
        input.SendFromAsync(new Source(_writeSize), cancellationToken);

    private sealed class Source(int writeSize) : IInTransferSource
    {
        public ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref s_transfers);
            return new ValueTask<int>(writeSize);
        }
    }

    // Like the C reference's sink: each read is counted and its buffer queued again inside the completion, with no
    // ReadAsync loop in between.
    private static Task SinkAsync(OutEndpoint output, CancellationToken cancellationToken) =>
        output.ReceiveAsync(Sink.Instance, cancellationToken);

    private sealed class Sink : IOutTransferHandler
    {
        public static readonly Sink Instance = new();

        public ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            if (transfer.Status == EndpointStatus.Ok)
            {
                Interlocked.Increment(ref s_transfers);
            }

            transfer.Dispose();
            return default;
        }
    }
}
