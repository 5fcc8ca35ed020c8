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
    private readonly bool _primary;
    private readonly int _writeSize;

    public BenchmarkFunction(IOptions<BenchmarkSettings> settings, IOptions<UsbGadgetOptions> gadget)
    {
        _loopback = settings.Value.IsLoopback;
        _primary = settings.Value.IsPrimary;
        _writeSize = settings.Value.WriteSize > 0 ? settings.Value.WriteSize : gadget.Value.Endpoints.InTransferSize;
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
        if (_primary)
        {
            return _loopback
                ? CopyingEchoAsync(output, input, cancellationToken)
                : Task.WhenAll(CopyingSourceAsync(input, _writeSize, cancellationToken), CopyingSinkAsync(output, input.TransferSize, cancellationToken));
        }

        return _loopback
            ? TunedEcho.EchoAsync(output, input, static () => Interlocked.Add(ref s_transfers, 2), cancellationToken)
            : Task.WhenAll(SourceAsync(input, cancellationToken), SinkAsync(output, cancellationToken));
    }

    // The primary API, as the BulkLoopback sample uses it: each host transfer copied in, and copied back out.
    private static async Task CopyingEchoAsync(OutEndpoint output, InEndpoint input, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[Math.Max(output.TransferSize, input.TransferSize)];
        int length;
        while ((length = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await input.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref s_transfers, 2);
        }
    }

    private static async Task CopyingSourceAsync(InEndpoint input, int writeSize, CancellationToken cancellationToken)
    {
        byte[] zeros = new byte[writeSize];
        while (true)
        {
            await input.WriteAsync(zeros, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref s_transfers);
        }
    }

    private static async Task CopyingSinkAsync(OutEndpoint output, int size, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[size];
        while (await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
        {
            Interlocked.Increment(ref s_transfers);
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
