namespace UsbGadget.Aio;

/// <summary>
/// Receives the result of an operation started with <see cref="AioEngine.StartRead"/> or
/// <see cref="AioEngine.StartWrite"/>: libaio's completion callback, for loops that keep blocks queued and want no
/// task machinery between the kernel and their code.
/// </summary>
public interface IAioCompletionHandler
{
    /// <summary>
    /// Called exactly once per operation: on the engine's completion thread when the kernel completes it, or on the
    /// starting thread, before the start method returns, when io_submit refuses it (<see cref="AioResult.SubmitFailed"/>).
    /// </summary>
    /// <remarks>
    /// It runs on the completion thread, so it must be short and never block: while it runs, no other completion is
    /// delivered. It may start further operations; those started here go to the kernel together after the reap. It
    /// must not throw: an exception on the completion thread ends the process, since a dead completion thread would
    /// leave every caller waiting forever.
    /// </remarks>
    /// <param name="result">The kernel's result, as for the ValueTask methods.</param>
    void OnAioCompleted(AioResult result);
}
