using System.Runtime.CompilerServices;
using UsbGadget.FunctionFs;

namespace UsbGadget.Benchmarks.Gadget;

/// <summary>
/// The loopback tuned for the benchmark, on the framework's internals (InternalsVisibleTo): the echo runs inside the
/// OUT completions (<see cref="OutEndpoint.ReceiveAsync"/>, no read loop), and each received buffer is sent back
/// itself (<see cref="InEndpoint.SendAsync(OutTransfer, CancellationToken)"/>, no copy), ended the way it ended on OUT.
/// The sample (gadgets/BulkLoopback) does the same on the public API in a dozen lines; this is what the benchmark
/// compares against the C reference, and what the sample's copy is measured against.
/// </summary>
internal static class TunedEcho
{
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
                        && await input.WriteCoreAsync(ReadOnlyMemory<byte>.Empty, framed: false, resumeInline: true, cancellationToken).ConfigureAwait(false) != EndpointStatus.Ok))
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
