using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace UsbGadget.FunctionFs;

/// <summary>
/// <see cref="InEndpoint.AsPipeWriter"/>: gathers what is written in one growing pooled array and sends it with
/// <see cref="InEndpoint.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> at <see cref="FlushAsync"/>, so one flush is one USB transfer (a
/// <c>PipeWriter.Create(stream)</c> would write each of its segments separately, splitting the host's transfer).
/// </summary>
internal sealed class EndpointPipeWriter(InEndpoint endpoint) : PipeWriter
{
    private byte[] _buffer = [];
    private int _written;
    private bool _completed;

    // CancelPendingFlush cancels this: the flush waiting on it, or (cancelled while none runs) the next one, which then
    // replaces it. Never TryReset: that would drop the endpoint's cancellation registration on its token, and a later
    // CancelPendingFlush would no longer reach a flush parked for room.
    private CancellationTokenSource _flushCancellation = new();

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

    public override void CancelPendingFlush() => Volatile.Read(ref _flushCancellation).Cancel();

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
        if (_flushCancellation.IsCancellationRequested)
        {
            // A CancelPendingFlush while no flush ran cancels this one, as a Pipe's writer does.
            Volatile.Write(ref _flushCancellation, new CancellationTokenSource());
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        if (_written == 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        return SendAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> SendAsync(CancellationToken cancellationToken)
    {
        // The caller's token is linked to the flush's own only if it can be cancelled; the endpoint registers once on
        // the flush's token for as long as it lives, so a flush costs no registration unless the caller brings one.
        CancellationTokenSource cancellation = _flushCancellation;
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), cancellation);
        EndpointStatus status;
        try
        {
            status = await endpoint.WriteCoreAsync(_buffer.AsMemory(0, _written), framed: true, resumeInline: false, cancellation.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // What was queued is gone to the host; the rest stays unflushed for the next flush, which continues the
            // same transfer (the parts queued fill whole packets: transfer sizes are multiples of the packet size).
            KeepUnqueued(endpoint.QueuedByLastWrite);
            Volatile.Write(ref _flushCancellation, new CancellationTokenSource());
            cancellationToken.ThrowIfCancellationRequested();
            return new FlushResult(isCanceled: true, isCompleted: false);
        }

        _written = 0;
        return status == EndpointStatus.Ok
            ? new FlushResult(isCanceled: false, isCompleted: false)
            : throw new EndpointDisabledException(endpoint.Name, status == EndpointStatus.Stopped);
    }

    private void KeepUnqueued(int queued)
    {
        _buffer.AsSpan(queued, _written - queued).CopyTo(_buffer);
        _written -= queued;
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
