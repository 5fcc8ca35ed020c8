using System.Text;
using Microsoft.Extensions.Options;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace UsbGadget.Benchmarks.Gadget;

/// <summary>
/// One vendor interface, bulk OUT ep1 and bulk IN ep2: a source/sink or a loopback, the same shape as the C reference
/// (tests/UsbGadget.Benchmarks/native/ffs-reference.c) and the kernel's SourceSink/Loopback, on the public API.
/// </summary>
internal sealed class BenchmarkFunction : IGadgetFunction
{
    public const byte OutEndpointNumber = 1;
    public const byte InEndpointNumber = 2;
    public const byte GetVersionRequest = 0x01;
    public const byte StoreRequest = 0x02;
    public const byte ReadBackRequest = 0x03;
    public const int MaxStoredBytes = 256;

    private static readonly byte[] s_version = Encoding.ASCII.GetBytes("UsbGadget benchmark gadget 1.0");
    private static long s_transfers;

    private readonly bool _loopback;
    private readonly int _writeSize;
    private byte[] _stored = [];

    public BenchmarkFunction(IOptions<BenchmarkSettings> settings, IOptions<UsbGadgetOptions> gadget)
    {
        _loopback = settings.Value.IsLoopback;
        _writeSize = settings.Value.WriteSize > 0 ? settings.Value.WriteSize : gadget.Value.InTransferSize;
    }

    /// <summary>Endpoint transfers completed since start: OUT reads plus IN writes (a loopback echo counts both).</summary>
    public static long Transfers => Interlocked.Read(ref s_transfers);

    public string Name => "bench";

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Class = UsbClass.VendorSpecific,
                NameIndex = 1,
                Endpoints =
                [
                    EndpointDescription.Bulk(EndpointDirection.Out, OutEndpointNumber),
                    EndpointDescription.Bulk(EndpointDirection.In, InEndpointNumber),
                ],
            },
        ],
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "UsbGadget benchmark"),
    };

    public bool AcceptsOutData(in ControlRequest request) =>
        request.Type == ControlRequestType.Vendor && request.Request == StoreRequest && request.Length <= MaxStoredBytes;

    public ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken)
    {
        if (request.Type != ControlRequestType.Vendor)
        {
            return ValueTask.FromResult(ControlResponse.Stall);
        }
        ControlResponse response = (request.Request, request.IsIn) switch
        {
            (GetVersionRequest, true) => ControlResponse.Data(s_version),
            (ReadBackRequest, true) => ControlResponse.Data(Volatile.Read(ref _stored)),
            (StoreRequest, false) => Store(outData),
            _ => ControlResponse.Stall,
        };
        return ValueTask.FromResult(response);
    }

    private ControlResponse Store(ReadOnlyMemory<byte> data)
    {
        Volatile.Write(ref _stored, data.ToArray());
        return ControlResponse.Ack;
    }

    public Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        OutEndpoint output = context.GetOutEndpoint(OutEndpointNumber);
        InEndpoint input = context.GetInEndpoint(InEndpointNumber);
        return _loopback
            ? LoopbackAsync(output, input, cancellationToken)
            : Task.WhenAll(SourceAsync(input, cancellationToken), SinkAsync(output, cancellationToken));
    }

    private async Task SourceAsync(InEndpoint input, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> zeros = new byte[_writeSize];
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await input.WriteAsync(zeros, cancellationToken).ConfigureAwait(false) != EndpointStatus.Ok)
            {
                return;
            }
            Interlocked.Increment(ref s_transfers);
        }
    }

    private static async Task SinkAsync(OutEndpoint output, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using OutTransfer transfer = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok)
            {
                return;
            }
            Interlocked.Increment(ref s_transfers);
        }
    }

    // As gadgets/BulkLoopback/LoopbackFunction.cs: each OUT transfer goes back on IN, ended the way it ended on OUT.
    private static async Task LoopbackAsync(OutEndpoint output, InEndpoint input, CancellationToken cancellationToken)
    {
        int maxPacket = output.Current?.PacketSize ?? 512;
        while (!cancellationToken.IsCancellationRequested)
        {
            using OutTransfer transfer = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (transfer.Status != EndpointStatus.Ok)
            {
                return;
            }
            if (transfer.Length > 0 && await input.WriteAsync(transfer.Data, cancellationToken).ConfigureAwait(false) != EndpointStatus.Ok)
            {
                return;
            }
            if (transfer.Length < output.TransferSize && transfer.Length % maxPacket == 0
                && await input.WriteAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false) != EndpointStatus.Ok)
            {
                return;
            }
            Interlocked.Add(ref s_transfers, 2);
        }
    }
}
