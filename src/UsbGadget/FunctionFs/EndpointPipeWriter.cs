using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace UsbGadget.FunctionFs;

/// <summary>
/// <see cref="InEndpoint.AsPipeWriter"/>: gathers what is written in one growing pooled array and sends it with
/// <see cref="InEndpoint.WriteAsync"/> at <see cref="FlushAsync"/>, so one flush is one USB transfer (a
/// <c>PipeWriter.Create(stream)</c> would write each of its segments separately, splitting the host's transfer).
/// </summary>
internal sealed class EndpointPipeWriter(InEndpoint endpoint) : PipeWriter
{
    private byte[] _buffer = [];
    private int _written;
    private bool _completed;
    private CancellationTokenSource? _flushCancellation;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, _buffer.Length - _written);
        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public override void CancelPendingFlush() => Volatile.Read(ref _flushCancellation)?.Cancel();

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _written = 0;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Sends what was written since the last flush as one USB transfer; nothing written, nothing sent.</summary>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (_written == 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        return SendAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> SendAsync(CancellationToken cancellationToken)
    {
        // CancelPendingFlush ends a flush with IsCanceled, and the data stays unflushed for the next one.
        CancellationTokenSource cancellation = _flushCancellation is { } reusable && reusable.TryReset() ? reusable : new CancellationTokenSource();
        Volatile.Write(ref _flushCancellation, cancellation);
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), cancellation);
        try
        {
            EndpointStatus status = await endpoint.WriteCoreAsync(_buffer.AsMemory(0, _written), framed: true, resumeInline: false, cancellation.Token)
                .ConfigureAwait(false);
            _written = 0;
            return status == EndpointStatus.Ok
                ? new FlushResult(isCanceled: false, isCompleted: false)
                : throw new EndpointDisabledException(endpoint.Name, status == EndpointStatus.Stopped);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && cancellation.IsCancellationRequested)
        {
            return new FlushResult(isCanceled: true, isCompleted: false);
        }
    }

    private void Reserve(int sizeHint)
    {
        ThrowIfCompleted();
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _buffer.Length * 2)));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("This PipeWriter was completed. InEndpoint.AsPipeWriter() returns the same writer every time: complete it only when the function is done writing.");
        }
    }
}
