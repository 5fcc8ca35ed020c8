using System.Runtime.InteropServices;
using UsbGadget.Aio;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Submits endpoint transfers: <see cref="AioEngine"/> in production, a fake in tests of the queue logic.
/// </summary>
internal interface IEndpointIo
{
    /// <summary>
    /// Reserves what one transfer slot starts its transfers with, for as long as the slot lives (an
    /// <see cref="AioRequest"/> in production: an iocb per buffer, with no pool between a completion and the next start).
    /// </summary>
    IEndpointRequest Reserve(IAioCompletionHandler handler);

    /// <summary>Requests io_cancel for every transfer on <paramref name="file"/>; each still completes (ECONNRESET when cancelled).</summary>
    void CancelAll(SafeHandle file);

    /// <summary>Whether the caller is the thread that delivers completions (see <see cref="AioEngine.IsCompletionThread"/>).</summary>
    bool IsCompletionThread { get; }

    /// <summary>Runs synchronous I/O on an endpoint file while no batch of transfers is being submitted (see <see cref="AioEngine.RunExclusive"/>).</summary>
    TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state);
}

/// <summary>Starts one slot's transfers, one at a time; its handler gets each result.</summary>
internal interface IEndpointRequest : IDisposable
{
    /// <summary>Starts a read (see <see cref="AioRequest.StartRead"/>).</summary>
    void StartRead(SafeHandle file, AioBuffer buffer, int length);

    /// <summary>Starts a write (see <see cref="AioRequest.StartWrite"/>).</summary>
    void StartWrite(SafeHandle file, AioBuffer buffer, int length);
}

/// <summary>The production <see cref="IEndpointIo"/>: one AIO engine for all endpoints of a function.</summary>
internal sealed class AioEndpointIo(AioEngine engine) : IEndpointIo
{
    public IEndpointRequest Reserve(IAioCompletionHandler handler) => new Request(engine.Reserve(handler));

    // No cancellation token per transfer (registering one costs more than the rest of the submission): an endpoint
    // that stops cancels its whole queue with CancelAll.
    private sealed class Request(AioRequest request) : IEndpointRequest
    {
        public void StartRead(SafeHandle file, AioBuffer buffer, int length) => request.StartRead(file, buffer, length, 0);

        public void StartWrite(SafeHandle file, AioBuffer buffer, int length) => request.StartWrite(file, buffer, length, 0);

        public void Dispose() => request.Dispose();
    }

    public void CancelAll(SafeHandle file) => engine.CancelAll(file);

    public bool IsCompletionThread => engine.IsCompletionThread;

    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state) => engine.RunExclusive(action, state);
}
