using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// Hands out <see cref="AioBuffer"/>s of one size and checks they come back: a buffer returned twice,
/// returned to the wrong pool, or returned while a block still uses it is refused, and disposing the
/// pool with buffers outstanding throws. Thread-safe.
/// </summary>
public sealed class AioBufferPool : IDisposable
{
    private readonly Stack<AioBuffer> _retained;
    private readonly int _maxRetained;
    private int _outstanding;
    private bool _disposed;

    /// <summary>Creates the pool. Nothing is mapped until the first <see cref="Rent"/>.</summary>
    /// <param name="bufferSize">The size of every buffer, rounded up to the page size.</param>
    /// <param name="maxRetained">How many returned buffers stay mapped for reuse; the rest are unmapped.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is not positive or <paramref name="maxRetained"/> is negative.</exception>
    public AioBufferPool(int bufferSize, int maxRetained = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        int page = Environment.SystemPageSize;
        long rounded = ((long)bufferSize + page - 1) / page * page;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rounded, int.MaxValue, nameof(bufferSize));
        BufferSize = (int)rounded;
        _maxRetained = maxRetained;
        _retained = new Stack<AioBuffer>(Math.Min(maxRetained, 1024));
    }

    /// <summary>The length of every buffer.</summary>
    public int BufferSize { get; }

    /// <summary>How many rented buffers have not come back.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>How many returned buffers are kept for reuse.</summary>
    public int Retained
    {
        get
        {
            lock (_retained)
            {
                return _retained.Count;
            }
        }
    }

    /// <summary>Takes a buffer (its content is whatever the last user left).</summary>
    /// <returns>A buffer of <see cref="BufferSize"/> bytes.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public AioBuffer Rent()
    {
        AioBuffer? buffer = null;
        lock (_retained)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _retained.TryPop(out buffer);
            _outstanding++;
        }

        try
        {
            buffer ??= AioBuffer.Allocate(BufferSize);
        }
        catch
        {
            lock (_retained)
            {
                _outstanding--;
            }

            throw;
        }

        buffer.Pool = this;
        buffer.IsRented = true;
        return buffer;
    }

    /// <summary>Gives a rented buffer back.</summary>
    /// <param name="buffer">A buffer rented from this pool and not yet returned.</param>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> does not come from this pool.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="buffer"/> was already returned, or a submitted block still uses it.</exception>
    public void Return(AioBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!ReferenceEquals(buffer.Pool, this))
        {
            ThrowHelper.ThrowArgument("The buffer was not rented from this pool.", nameof(buffer));
        }

        if (buffer.KernelReferences != 0)
        {
            ThrowHelper.ThrowInvalidOperation(
                $"The buffer is still used by {buffer.KernelReferences} submitted AIO block(s); return it after their completion events were reaped.");
        }

        bool keep;
        lock (_retained)
        {
            if (!buffer.IsRented)
            {
                ThrowHelper.ThrowInvalidOperation("The buffer was already returned to the pool.");
            }

            buffer.IsRented = false;
            _outstanding--;
            keep = !_disposed && !buffer.IsDisposed && _retained.Count < _maxRetained;
            if (keep)
            {
                _retained.Push(buffer);
            }
        }

        if (!keep)
        {
            buffer.Dispose();
        }
    }

    /// <summary>Unmaps the retained buffers.</summary>
    /// <exception cref="InvalidOperationException">Buffers are still rented (the message says how many); the retained ones are unmapped all the same.</exception>
    public void Dispose()
    {
        int outstanding;
        lock (_retained)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            outstanding = _outstanding;
            while (_retained.TryPop(out AioBuffer? buffer))
            {
                buffer.Dispose();
            }
        }

        if (outstanding != 0)
        {
            ThrowHelper.ThrowInvalidOperation(
                $"{outstanding} buffer(s) of {BufferSize} bytes rented from this pool were not returned before it was disposed.");
        }
    }
}
