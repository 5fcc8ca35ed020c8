using System.Runtime.InteropServices;
using UsbGadget.Aio;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Submits endpoint transfers: <see cref="AioEngine"/> in production, a fake in tests of the queue logic.
/// </summary>
internal interface IEndpointIo
{
    ValueTask<AioResult> ReadAsync(SafeHandle file, AioBuffer buffer, int length);

    ValueTask<AioResult> WriteAsync(SafeHandle file, AioBuffer buffer, int length);

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
    public ValueTask<AioResult> ReadAsync(SafeHandle file, AioBuffer buffer, int length) => engine.ReadAsync(file, buffer, length);

    public ValueTask<AioResult> WriteAsync(SafeHandle file, AioBuffer buffer, int length) => engine.WriteAsync(file, buffer, length);

    public void CancelAll(SafeHandle file) => engine.CancelAll(file);

    public bool IsCompletionThread => engine.IsCompletionThread;

    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state) => engine.RunExclusive(action, state);
}
