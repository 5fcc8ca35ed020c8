using System.Runtime.CompilerServices;
using System.Text;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace BulkLoopback;

/// <summary>
/// A vendor-specific interface with one bulk OUT and one bulk IN endpoint: everything the host writes comes back on IN,
/// byte for byte and in order, each transfer ending the way it ended on OUT.
/// </summary>
internal sealed class LoopbackFunction : IGadgetFunction
{
    public const byte OutEndpointNumber = 1;
    public const byte InEndpointNumber = 2;

    /// <summary>Vendor IN request: the version string.</summary>
    public const byte GetVersionRequest = 0x01;

    /// <summary>Vendor OUT request: store up to <see cref="MaxStoredBytes"/> bytes.</summary>
    public const byte StoreRequest = 0x02;

    /// <summary>Vendor IN request: the bytes stored last.</summary>
    public const byte ReadBackRequest = 0x03;

    public const int MaxStoredBytes = 256;

    /// <summary>The DeviceInterfaceGUID Windows registers for WinUSB; host programs open the device by it.</summary>
    public static readonly Guid DeviceInterfaceGuid = new("5c5b8a4e-2f4e-4a54-9a8e-6d1b7c2f0b11");

    private static readonly byte[] s_version = Encoding.ASCII.GetBytes("UsbGadget BulkLoopback 1.0");
    private byte[] _stored = [];

    public string Name => "loopback";

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
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "Bulk loopback"),
        // WINUSB compatible id + DeviceInterfaceGUIDs: Windows binds WinUSB with no .inf and no driver install.
        MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, DeviceInterfaceGuid)],
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

    public Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken) =>
        EchoAsync(context.GetOutEndpoint(OutEndpointNumber), context.GetInEndpoint(InEndpointNumber), echoed: null, cancellationToken);

    /// <summary>
    /// Sends every OUT transfer back on IN, ended the way it ended on OUT, until an endpoint is disabled or stopped or
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <param name="echoed">Called after each transfer has gone back (tests/UsbGadget.Benchmarks.Gadget counts them); null for none.</param>
    public static Task EchoAsync(OutEndpoint output, InEndpoint input, Action? echoed, CancellationToken cancellationToken) =>
        output.ReceiveAsync(new Echo(output, input, echoed), cancellationToken);

    /// <summary>
    /// The echo runs inside the OUT completions, with no read loop. While every IN buffer is in flight, echoes wait their
    /// turn on IN, each holding the OUT buffer it arrived in: once all of them wait there, reading stops, and the host's
    /// OUT transfers wait until its IN reads make room.
    /// </summary>
    private sealed class Echo(OutEndpoint output, InEndpoint input, Action? echoed) : IOutTransferHandler
    {
        private readonly int _maxPacket = output.Current?.PacketSize ?? 512;

        // SendAsync does not wait for room (with IN full the transfer waits its turn there), so an echo ends here with no
        // async state machine; one that ends with a zero-length packet (or is longer than IN's buffers) finishes in FinishAsync.
        public ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken)
        {
            // A failed read carries no data (the endpoint logged it); one of a disabled endpoint ends the receive.
            if (transfer.Status != EndpointStatus.Ok)
            {
                transfer.Dispose();
                return default;
            }

            // SendAsync writes the received buffer itself back to the host (no copy); OUT reads on into IN's idle buffer meanwhile.
            int length = transfer.Length;
            ValueTask<EndpointStatus> sent = length > 0 ? input.SendAsync(transfer, cancellationToken) : new(EndpointStatus.Ok);
            bool endsWithZeroLengthPacket = EndsWithZeroLengthPacket(length);
            if (!sent.IsCompletedSuccessfully || endsWithZeroLengthPacket)
            {
                return FinishAsync(transfer, sent, endsWithZeroLengthPacket, cancellationToken);
            }

            transfer.Dispose();
            if (sent.Result == EndpointStatus.Ok)
            {
                echoed?.Invoke();
            }

            return default;
        }

        // Pooled: an echo that waits for room for its zero-length packet reuses its state machine instead of allocating one.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask FinishAsync(
            OutTransfer transfer, ValueTask<EndpointStatus> sent, bool endsWithZeroLengthPacket, CancellationToken cancellationToken)
        {
            using (transfer)
            {
                if (await sent.ConfigureAwait(false) != EndpointStatus.Ok
                    || (endsWithZeroLengthPacket
                        && await input.WriteAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false) != EndpointStatus.Ok))
                {
                    return;
                }

                echoed?.Invoke();
            }
        }

        // A read that stopped short of its buffer ended a host transfer. If it ended on a packet boundary (or was empty),
        // the host ended it with a zero-length packet, so the echo ends the same way.
        private bool EndsWithZeroLengthPacket(int length) => length < output.TransferSize && length % _maxPacket == 0;
    }
}
