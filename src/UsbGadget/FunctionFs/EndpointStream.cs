using System.Buffers;

namespace UsbGadget.FunctionFs;

/// <summary>
/// <see cref="OutEndpoint.AsStream"/> (read-only) or <see cref="InEndpoint.AsStream"/> (write-only): the primary
/// level's reads and writes as a <see cref="Stream"/>. Not seekable. Disposing it leaves the endpoint as it is.
/// </summary>
/// <remarks>
/// The synchronous members block the calling thread until the asynchronous ones complete; their continuations never
/// run on the AIO completion thread, so that wait cannot stall the endpoints.
/// </remarks>
internal sealed class EndpointStream(OutEndpoint? reader, InEndpoint? writer) : Stream
{
    public override bool CanRead => reader is not null;

    public override bool CanWrite => writer is not null;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("An endpoint stream has no length: it ends when the host disables the endpoint.");

    public override long Position
    {
        get => throw new NotSupportedException("An endpoint stream is not seekable.");
        set => throw new NotSupportedException("An endpoint stream is not seekable.");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Reader.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Reader.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Wait(Reader.ReadAsync(buffer.AsMemory(offset, count)));
    }

    public override int Read(Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = Wait(Reader.ReadAsync(rented.AsMemory(0, buffer.Length)));
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Each write is one USB transfer; an empty one sends nothing, as a stream write of nothing should.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? default : Writer.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Wait(WriteAsync(buffer.AsMemory(offset, count)));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // The endpoint copies while queueing: the rented array is free again once the write returns.
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            Wait(WriteAsync(rented.AsMemory(0, buffer.Length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Nothing to do: each write is queued for the host already (<see cref="InEndpoint.FlushAsync"/> waits until it is sent).</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An endpoint stream is not seekable.");

    public override void SetLength(long value) => throw new NotSupportedException("An endpoint stream has no length.");

    private OutEndpoint Reader => reader ?? throw new NotSupportedException("This stream writes an IN endpoint: read from the OUT endpoint's AsStream().");

    private InEndpoint Writer => writer ?? throw new NotSupportedException("This stream reads an OUT endpoint: write to the IN endpoint's AsStream().");

    private static int Wait(ValueTask<int> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static void Wait(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }
}
