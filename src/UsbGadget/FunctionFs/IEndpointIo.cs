using System.Runtime.InteropServices;
using UsbGadget.Aio;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Submits endpoint transfers: <see cref="AioEngine"/> in production, a fake in tests of the queue logic.
/// </summary>
internal interface IEndpointIo
{
    /// <summary>Starts a read; <paramref name="handler"/> gets the result (see <see cref="AioEngine.StartRead"/>).</summary>
    void Read(SafeHandle file, AioBuffer buffer, int length, IAioCompletionHandler handler);

    /// <summary>Starts a write; <paramref name="handler"/> gets the result (see <see cref="AioEngine.StartWrite"/>).</summary>
    void Write(SafeHandle file, AioBuffer buffer, int length, IAioCompletionHandler handler);

    /// <summary>Requests io_cancel for every transfer on <paramref name="file"/>; each still completes (ECONNRESET when cancelled).</summary>
    void CancelAll(SafeHandle file);

    /// <summary>Whether the caller is the thread that delivers completions (see <see cref="AioEngine.IsCompletionThread"/>).</summary>
    bool IsCompletionThread { get; }

    /// <summary>Runs synchronous I/O on an endpoint file while no batch of transfers is being submitted (see <see cref="AioEngine.RunExclusive"/>).</summary>
    TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state);
}

/// <summary>The production <see cref="IEndpointIo"/>: one AIO engine for all endpoints of a function.</summary>
internal sealed class AioEndpointIo(AioEngine engine) : IEndpointIo
{
    // No cancellation token per transfer (registering one costs more than the rest of the submission): an endpoint
    // that stops cancels its whole queue with CancelAll.
    public void Read(SafeHandle file, AioBuffer buffer, int length, IAioCompletionHandler handler) => engine.StartRead(file, buffer, length, 0, handler);

    public void Write(SafeHandle file, AioBuffer buffer, int length, IAioCompletionHandler handler) => engine.StartWrite(file, buffer, length, 0, handler);

    public void CancelAll(SafeHandle file) => engine.CancelAll(file);

    public bool IsCompletionThread => engine.IsCompletionThread;

    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state) => engine.RunExclusive(action, state);
}
