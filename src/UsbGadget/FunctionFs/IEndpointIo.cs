using System.Runtime.InteropServices;
using UsbGadget.Aio;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Submits endpoint transfers: <see cref="AioEngine"/> in production, a fake in tests of the queue logic.
/// </summary>
internal interface IEndpointIo
{
    ValueTask<AioResult> ReadAsync(SafeHandle file, AioBuffer buffer, int length, CancellationToken cancellationToken);

    ValueTask<AioResult> WriteAsync(SafeHandle file, AioBuffer buffer, int length, CancellationToken cancellationToken);

    /// <summary>Whether the caller is the thread that delivers completions (see <see cref="AioEngine.IsCompletionThread"/>).</summary>
    bool IsCompletionThread { get; }

    /// <summary>Runs synchronous I/O on an endpoint file while no batch of transfers is being submitted (see <see cref="AioEngine.RunExclusive"/>).</summary>
    TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state);
}

/// <summary>The production <see cref="IEndpointIo"/>: one AIO engine for all endpoints of a function.</summary>
internal sealed class AioEndpointIo(AioEngine engine) : IEndpointIo
{
    public ValueTask<AioResult> ReadAsync(SafeHandle file, AioBuffer buffer, int length, CancellationToken cancellationToken)
        => engine.ReadAsync(file, buffer, length, 0, cancellationToken);

    public ValueTask<AioResult> WriteAsync(SafeHandle file, AioBuffer buffer, int length, CancellationToken cancellationToken)
        => engine.WriteAsync(file, buffer, length, 0, cancellationToken);

    public bool IsCompletionThread => engine.IsCompletionThread;

    public TResult RunExclusive<TState, TResult>(Func<TState, TResult> action, TState state) => engine.RunExclusive(action, state);
}
