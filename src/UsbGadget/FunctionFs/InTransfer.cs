namespace UsbGadget.FunctionFs;

/// <summary>
/// One of an IN endpoint's AIO buffers, lent to the caller to fill and <see cref="Send"/>: data written straight into
/// the buffer the kernel reads, with no copy. From <see cref="InEndpoint.GetBufferAsync"/>.
/// </summary>
/// <remarks>
/// The zero-copy level of <see cref="InEndpoint"/>. The buffer keeps whatever the last transfer left in it, so a
/// source whose data does not change (or changes in place) writes only what differs. Dispose a transfer that was not
/// sent to give the buffer back unsent; disposing after <see cref="Send"/> does nothing. After either,
/// <see cref="Span"/>, <see cref="Memory"/> and any <see cref="Memory{T}"/> taken from it throw
/// <see cref="ObjectDisposedException"/>: the buffer belongs to the endpoint again. <see cref="Send"/> sends the bytes as
/// they are, with no zero-length packet added (<see cref="InEndpoint.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> frames its writes).
/// </remarks>
public readonly struct InTransfer : IDisposable
{
    private readonly InEndpoint? _endpoint;
    private readonly TransferSlot? _slot;
    private readonly int _version;

    internal InTransfer(EndpointStatus status) => Status = status;

    internal InTransfer(InEndpoint endpoint, TransferSlot slot, int version)
    {
        _endpoint = endpoint;
        _slot = slot;
        _version = version;
        Status = EndpointStatus.Ok;
    }

    /// <summary>
    /// <see cref="EndpointStatus.Ok"/> when <see cref="Memory"/> is a buffer to fill; otherwise why there is none
    /// (<see cref="EndpointStatus.Disabled"/> or <see cref="EndpointStatus.Stopped"/>).
    /// </summary>
    public EndpointStatus Status { get; }

    /// <summary>The whole buffer, <see cref="InEndpoint.TransferSize"/> bytes; valid until <see cref="Send"/> or <see cref="Dispose"/>.</summary>
    /// <remarks>
    /// The <see cref="Memory{T}"/> checks its lease on every access (it is made once per lent buffer, on first use:
    /// <see cref="Span"/> costs nothing).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The buffer was sent or disposed.</exception>
    public Memory<byte> Memory => _slot is null ? Memory<byte>.Empty : _slot.LeasedMemory(_version, SlotState.Filling, 0, _endpoint!.TransferSize);

    /// <summary>The whole buffer, <see cref="InEndpoint.TransferSize"/> bytes; valid until <see cref="Send"/> or <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was sent or disposed.</exception>
    public Span<byte> Span
    {
        get
        {
            if (_slot is null)
            {
                return Span<byte>.Empty;
            }

            _slot.ThrowIfLeaseEnded(_version, SlotState.Filling);
            return _slot.Buffer.Span[.._endpoint!.TransferSize];
        }
    }

    /// <summary>
    /// Queues the first <paramref name="length"/> bytes of the buffer for the host (0 sends a zero-length packet) and
    /// hands the buffer back to the endpoint. Does not wait.
    /// </summary>
    /// <returns>
    /// <see cref="EndpointStatus.Ok"/> when queued; <see cref="EndpointStatus.Disabled"/> when the endpoint was disabled
    /// since the buffer was taken (the host reset its side, so the data is not sent into its next session), or
    /// <see cref="EndpointStatus.Stopped"/>.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or larger than the buffer.</exception>
    /// <exception cref="InvalidOperationException">There is no buffer (<see cref="Status"/> is not Ok), or it was already sent or disposed.</exception>
    public EndpointStatus Send(int length)
    {
        if (_slot is null)
        {
            throw new InvalidOperationException($"There is no buffer to send: the endpoint returned {Status}. Check Status before filling the buffer.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _endpoint!.TransferSize);
        return _endpoint.Send(_slot, _version, length);
    }

    /// <summary>The enable cycle the buffer was lent in; <see cref="Send"/> refuses it in any other.</summary>
    internal int Generation => _slot?.Generation ?? -1;

    /// <summary>Gives an unsent buffer back to the endpoint. Idempotent; does nothing after <see cref="Send"/>.</summary>
    public void Dispose() => _endpoint?.Return(_slot!, _version);
}
