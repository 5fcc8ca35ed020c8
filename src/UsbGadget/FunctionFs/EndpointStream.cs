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

    /// <summary>
    /// Queued at once, without ending the host's transfer (<see cref="Flush"/> ends it); an empty write sends nothing,
    /// as a stream write of nothing should.
    /// </summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? default : Writer.WriteAsync(buffer, endTransfer: false, cancellationToken);

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

    /// <summary>
    /// Ends the host's transfer: a zero-length packet if the last write filled its last packet, nothing otherwise (a
    /// short packet ended it already). Never waits: with every buffer in flight, the next one freed sends it, ahead of
    /// any later write (<see cref="InEndpoint.FlushAsync"/> waits until the host has taken everything). A read-only
    /// stream has nothing to flush.
    /// </summary>
    public override void Flush()
    {
        if (writer is not null)
        {
            EndTransfer(writer);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        try
        {
            Flush();
            return Task.CompletedTask;
        }
        catch (EndpointDisabledException e)
        {
            return Task.FromException(e);
        }
    }

    private static void EndTransfer(InEndpoint writer)
    {
        EndpointStatus status = writer.EndTransfer();
        if (status != EndpointStatus.Ok)
        {
            throw new EndpointDisabledException(writer.Name, status == EndpointStatus.Stopped);
        }
    }

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
