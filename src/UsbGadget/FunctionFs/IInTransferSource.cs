namespace UsbGadget.FunctionFs;

/// <summary>
/// Fills an IN endpoint's buffers as they come free: see <see cref="InEndpoint.SendFromAsync"/>.
/// </summary>
internal interface IInTransferSource
{
    /// <summary>The value <see cref="FillAsync"/> returns to end the run: nothing more to send.</summary>
    const int EndOfData = -1;

    /// <summary>
    /// Called with each free buffer of the endpoint, one call at a time, normally on the AIO completion thread: do not
    /// block here. Write the next transfer's bytes at the start of <paramref name="buffer"/> and return how many there
    /// are; the endpoint sends them, in the order of the calls.
    /// </summary>
    /// <param name="buffer">
    /// One of the endpoint's AIO buffers, <see cref="InEndpoint.TransferSize"/> bytes; valid until the returned task
    /// completes. It keeps whatever the last transfer from it left in it, so a source whose data does not change writes
    /// nothing.
    /// </param>
    /// <param name="cancellationToken">The token given to <see cref="InEndpoint.SendFromAsync"/>.</param>
    /// <returns>
    /// The number of bytes to send, 0 to <paramref name="buffer"/>'s length (0 sends a zero-length packet), or
    /// <see cref="EndOfData"/> to end the run. A pending task holds the next call back until it completes:
    /// back-pressure, for a source that waits for its data. Buffers that come free meanwhile wait in the endpoint.
    /// </returns>
    ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
