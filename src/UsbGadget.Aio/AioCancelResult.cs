namespace UsbGadget.Aio;

/// <summary>What io_cancel answered.</summary>
public enum AioCancelResult
{
    /// <summary>
    /// EINPROGRESS: the kernel accepted the request. The completion event still follows; whether the
    /// cancel or the I/O won shows in its result (FunctionFS: -ECONNRESET; poll: an empty mask).
    /// </summary>
    Requested,

    /// <summary>
    /// io_cancel returned 0 and the result at once (kernels before 4.19 only). No event follows through
    /// the ring; the result is returned by <see cref="AioContext.Cancel(AioBlock, out AioEvent)"/>.
    /// </summary>
    CompletedSynchronously,

    /// <summary>
    /// Nothing to cancel: the block is not in flight in this context, its completion is already queued
    /// (the I/O won), or its file does not support cancellation (regular files; EINVAL). An in-flight
    /// block still delivers its event.
    /// </summary>
    NotInFlight,
}
