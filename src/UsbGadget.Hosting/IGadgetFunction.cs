using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// One USB function of a gadget, written by the user: what it presents to the host, how it answers control requests,
/// and the endpoint work it does while the host has it configured.
/// </summary>
/// <remarks>
/// <para>The framework creates the gadget, writes <see cref="Describe"/>'s descriptors to FunctionFS, binds the UDC and
/// runs the ep0 loop. Each time the host enables the function (configuration, or again after an unplug or bus reset),
/// <see cref="RunAsync"/> is started; when the host disables it or the app stops, its token is cancelled and the
/// framework waits for it to return. When the host goes away, a read returns 0 (the end of the stream) and a write
/// throws <see cref="EndpointDisabledException"/>, so a loop can simply end (docs/api.md).</para>
/// <para>Control requests are answered on the ep0 thread, one at a time; anything not handled stalls.</para>
/// </remarks>
public interface IGadgetFunction : IControlRequestHandler
{
    /// <summary>
    /// The function's name in logs and settings, unique within the gadget. Its FunctionFS instance name derives from it
    /// (<c>&lt;gadget&gt;-&lt;Name&gt;</c>) or is set in <see cref="UsbGadgetOptions.FunctionInstances"/>.
    /// </summary>
    string Name { get; }

    /// <summary>The function's interfaces, endpoints and strings. Called once, before the gadget is bound.</summary>
    FunctionDescription Describe();

    /// <summary>The endpoint work while the host has the function enabled.</summary>
    /// <remarks>
    /// Code after an <c>await</c> on <see cref="OutEndpoint.ReadAsync(Memory{byte}, CancellationToken)"/>,
    /// <see cref="InEndpoint.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> or their Stream and Pipe adapters never runs on the AIO completion thread:
    /// a blocking call stalls only this function. The zero-copy leases (<see cref="OutEndpoint.ReadAsync(CancellationToken)"/>,
    /// <see cref="InEndpoint.GetBufferAsync"/>) resume on it after a wait, to save a thread hop per transfer: never
    /// block there.
    /// </remarks>
    /// <param name="context">The function's endpoints and logger.</param>
    /// <param name="cancellationToken">Cancelled when the host disables the function or the app stops.</param>
    /// <returns>A task that ends when the work is done or <paramref name="cancellationToken"/> is cancelled.</returns>
    Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken);

    /// <inheritdoc/>
    /// <remarks>The default refuses every OUT data stage (a stall).</remarks>
    bool IControlRequestHandler.AcceptsOutData(in ControlRequest request) => false;

    /// <inheritdoc/>
    /// <remarks>The default stalls every request.</remarks>
    ValueTask<ControlResponse> IControlRequestHandler.HandleControlRequestAsync(
        ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ControlResponse.Stall);
}
