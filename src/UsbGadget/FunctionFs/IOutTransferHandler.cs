namespace UsbGadget.FunctionFs;

/// <summary>
/// Receives an OUT endpoint's reads as they complete: see <see cref="OutEndpoint.ReceiveAsync"/>.
/// </summary>
internal interface IOutTransferHandler
{
    /// <summary>
    /// Called with each read, in the order the host sent the data, one call at a time, normally on the AIO completion
    /// thread: do not block here. The call owns <paramref name="transfer"/>: dispose it to queue its buffer for the next
    /// read at once, keep it and dispose it later from any thread, or send it on with
    /// <see cref="InEndpoint.SendAsync(OutTransfer, CancellationToken)"/>.
    /// </summary>
    /// <param name="transfer">The read; check <see cref="OutTransfer.Status"/> (a failed read carries no data).</param>
    /// <param name="cancellationToken">The token given to <see cref="OutEndpoint.ReceiveAsync"/>.</param>
    /// <returns>
    /// A completed task (<see langword="default"/>) to take the next read at once. A pending one holds the next call back
    /// until it completes: back-pressure, for a handler that waits for room downstream, such as one awaiting
    /// <see cref="InEndpoint.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> while every IN buffer is in flight. Reads meanwhile wait, in order, in the
    /// endpoint's queue. (<see cref="InEndpoint.SendAsync(OutTransfer, CancellationToken)"/> does not wait: the
    /// transfers it queues hold their buffers, which is back-pressure enough.)
    /// </returns>
    ValueTask OnReceivedAsync(OutTransfer transfer, CancellationToken cancellationToken);
}
