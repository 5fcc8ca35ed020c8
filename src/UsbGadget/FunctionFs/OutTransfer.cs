using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Data received on an OUT endpoint, lent in place: the zero-copy level of <see cref="OutEndpoint"/>
/// (<see cref="OutEndpoint.ReadAsync(CancellationToken)"/>). The bytes live in the endpoint's AIO buffer: read them,
/// then dispose the transfer to queue the buffer for the next read. Not copied, not allocated.
/// </summary>
/// <remarks>
/// As with <c>PipeReader.ReadAsync</c>, the bytes are valid until you let go of them, here with <see cref="Dispose"/>.
/// After that, <see cref="Span"/>, <see cref="Data"/> and any <see cref="Memory{T}"/> taken from <see cref="Data"/>
/// throw <see cref="ObjectDisposedException"/>: the buffer is already receiving the next transfer.
/// </remarks>
public readonly struct OutTransfer : IDisposable
{
    private readonly OutEndpoint? _endpoint;
    private readonly TransferSlot? _slot;
    private readonly int _version;
    private readonly int _offset;

    internal OutTransfer(EndpointStatus status, Errno error)
    {
        Status = status;
        Error = error;
    }

    internal OutTransfer(OutEndpoint endpoint, TransferSlot slot, int version, int length, int offset = 0)
    {
        _endpoint = endpoint;
        _slot = slot;
        _version = version;
        _offset = offset;
        Length = length;
        Status = EndpointStatus.Ok;
    }

    /// <summary><see cref="EndpointStatus.Ok"/> when <see cref="Data"/> holds received bytes.</summary>
    public EndpointStatus Status { get; }

    /// <summary>The errno for <see cref="EndpointStatus.Failed"/> (and ESHUTDOWN for <see cref="EndpointStatus.Disabled"/>).</summary>
    public Errno Error { get; }

    /// <summary>Number of bytes received; 0 for a zero-length packet or when <see cref="Status"/> is not Ok.</summary>
    public int Length { get; }

    /// <summary>
    /// Whether this read ended the host's transfer: it stopped short of the bytes it asked for (a short packet or a
    /// zero-length packet). A read that filled its buffer may be followed by more of the same host transfer.
    /// </summary>
    public bool EndsTransfer => _slot is not null && _offset + Length < _slot.Length;

    /// <summary>The received bytes, valid until <see cref="Dispose"/>.</summary>
    /// <remarks>
    /// The <see cref="ReadOnlyMemory{T}"/> checks its lease on every access (it is made once per transfer, on first
    /// use: <see cref="Span"/> costs nothing).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The transfer was disposed.</exception>
    public ReadOnlyMemory<byte> Data => _slot is null ? ReadOnlyMemory<byte>.Empty : _slot.LeasedMemory(_version, SlotState.Leased, _offset, Length);

    /// <summary>The received bytes, valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The transfer was disposed.</exception>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            if (_slot is null)
            {
                return ReadOnlySpan<byte>.Empty;
            }

            _slot.ThrowIfLeaseEnded(_version, SlotState.Leased);
            return _slot.Buffer.Span.Slice(_offset, Length);
        }
    }

    /// <summary>Whether this is a lease of a buffer (Status Ok), rather than an answer without data.</summary>
    internal bool HasBuffer => _slot is not null;

    /// <summary>The enable cycle the read was submitted in.</summary>
    internal int Generation => _slot?.Generation ?? -1;

    /// <summary>Where the bytes start in the buffer: not 0 once a copying read took some.</summary>
    internal int Offset => _offset;

    /// <summary>The same lease, with the first <paramref name="count"/> bytes consumed.</summary>
    internal OutTransfer Advance(int count) => new(_endpoint!, _slot!, _version, Length - count, _offset + count);

    /// <summary>
    /// Hands this buffer to <paramref name="write"/>, an IN write that sends it; this transfer's <see cref="Dispose"/>
    /// then does nothing. When each buffer is large enough for the other endpoint, the two are exchanged: the OUT
    /// endpoint takes the write's idle buffer and queues its next read into it at once, so its read queue stays full
    /// while the echo is in flight (as a C gadget with a shared pool does). Otherwise the buffer is lent, and goes back
    /// to its endpoint when the write completes.
    /// </summary>
    /// <param name="write">The IN slot, held under its endpoint's lock.</param>
    /// <param name="writeTransferSize">The IN endpoint's transfer size: the least a buffer it takes must hold.</param>
    /// <returns>False when this transfer was already disposed or sent.</returns>
    internal bool TryHandOverTo(TransferSlot write, int writeTransferSize)
    {
        if (_endpoint is null)
        {
            return false;
        }

        if (write.Buffer.Length >= _endpoint.ConfiguredTransferSize && _slot!.Buffer.Length >= writeTransferSize)
        {
            return _endpoint.TryExchangeLease(_slot, _version, write);
        }

        if (!_endpoint.TryTakeLease(_slot!, _version, out int version))
        {
            return false;
        }

        write.BorrowedFrom = _endpoint;
        write.BorrowedSlot = _slot;
        write.BorrowedVersion = version;
        return true;
    }

    /// <summary>
    /// Moves this transfer's lease to <paramref name="owner"/>, a new handle to the same data (a send queued on an IN
    /// endpoint): disposing or sending this one then does nothing.
    /// </summary>
    /// <returns>False when this transfer was already disposed or sent.</returns>
    internal bool TryTakeOver(out OutTransfer owner)
    {
        if (_endpoint is null || !_endpoint.TryTakeLease(_slot!, _version, out int version))
        {
            owner = default;
            return false;
        }

        owner = new OutTransfer(_endpoint, _slot!, version, Length, _offset);
        return true;
    }

    /// <summary>Gives the buffer back to the endpoint, which queues it for the next read. Idempotent.</summary>
    public void Dispose() => _endpoint?.Return(_slot!, _version);
}
