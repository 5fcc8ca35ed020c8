namespace UsbGadget.FunctionFs;

/// <summary>
/// Answers the control requests FunctionFS forwards to a function (SETUP events on ep0).
/// </summary>
/// <remarks>
/// Requests arrive one at a time, in order, from the ep0 loop; the next ep0 event is not read until the handler returns.
/// Return <see cref="ControlResponse.Stall"/> for anything you do not recognise. An exception is logged and answered
/// with a stall. Keep handlers short: the host times out a control transfer after a few seconds (5 s on Linux).
/// </remarks>
public interface IControlRequestHandler
{
    /// <summary>
    /// Called for an OUT request that carries data (<c>wLength</c> &gt; 0) before the data stage. Return
    /// <see langword="false"/> to stall it without reading the data: once the data is read the transfer has completed
    /// and can no longer be refused.
    /// </summary>
    bool AcceptsOutData(in ControlRequest request);

    /// <summary>Decides the answer to <paramref name="request"/>.</summary>
    /// <param name="request">The request, with <c>wIndex</c> already mapped to the function's own numbering.</param>
    /// <param name="outData">
    /// For an accepted OUT request with data, the bytes the host sent (possibly fewer than <c>wLength</c>); empty otherwise.
    /// Valid only until the returned task completes.
    /// </param>
    /// <param name="cancellationToken">Signalled when the function stops.</param>
    ValueTask<ControlResponse> HandleControlRequestAsync(ControlRequest request, ReadOnlyMemory<byte> outData, CancellationToken cancellationToken);
}
