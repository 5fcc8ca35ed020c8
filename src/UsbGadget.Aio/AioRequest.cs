using System.Runtime.InteropServices;

namespace UsbGadget.Aio;

/// <summary>
/// One operation of an <see cref="AioEngine"/> reserved for one completion handler (<see cref="AioEngine.Reserve"/>):
/// a block to start again and again, as a libaio loop keeps one iocb per buffer. Starting it takes nothing from the
/// engine's pool, and its completion gives nothing back, so a handler that starts the next transfer from its
/// completion passes through no lock of the pool.
/// </summary>
/// <remarks>One transfer at a time: start it again from its handler, or after the handler has been called.</remarks>
public sealed class AioRequest : IDisposable
{
    private readonly AioEngine _engine;
    private readonly AioEngine.Operation _operation;
    private int _disposed;

    internal AioRequest(AioEngine engine, AioEngine.Operation operation)
    {
        _engine = engine;
        _operation = operation;
    }

    /// <summary>Whether the kernel holds the block (submitted, not yet reaped).</summary>
    public bool IsInFlight => _operation.Block.IsInFlight;

    /// <summary>Reads <paramref name="length"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>; the handler gets the result.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The destination, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <exception cref="InvalidOperationException">The request is in flight.</exception>
    /// <exception cref="ObjectDisposedException">The request, engine, file or buffer is disposed; the handler is not called.</exception>
    public void StartRead(SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _engine.StartReserved(_operation, AioOperation.Read, file, buffer, length, offset);
    }

    /// <summary>Writes <paramref name="length"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/>; the handler gets the result.</summary>
    /// <param name="file">The file.</param>
    /// <param name="buffer">The source, kept mapped until the operation completes.</param>
    /// <param name="length">0 to the buffer's length.</param>
    /// <param name="offset">The file offset.</param>
    /// <exception cref="InvalidOperationException">The request is in flight.</exception>
    /// <exception cref="ObjectDisposedException">The request, engine, file or buffer is disposed; the handler is not called.</exception>
    public void StartWrite(SafeHandle file, AioBuffer buffer, int length, long offset)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _engine.StartReserved(_operation, AioOperation.Write, file, buffer, length, offset);
    }

    /// <summary>Gives the operation back to the engine's pool. Idempotent; nothing to do once the engine is disposed.</summary>
    /// <exception cref="InvalidOperationException">The request is in flight.</exception>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _engine.Unreserve(_operation);
            }
            catch
            {
                _disposed = 0;
                throw;
            }
        }
    }
}
