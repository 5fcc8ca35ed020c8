namespace UsbGadget.FunctionFs;

/// <summary>How the ep0 loop waits for events.</summary>
public enum Ep0WaitStrategy
{
    /// <summary><see cref="EventFd"/> on kernels 5.16 and newer, <see cref="BlockingRead"/> before.</summary>
    Auto,
    /// <summary>
    /// FUNCTIONFS_EVENTFD: the kernel signals an eventfd on every event and ep0 is read without blocking. Stopping is
    /// immediate. Unsafe before Linux 5.16 (eventfd reference underflow at teardown).
    /// </summary>
    EventFd,
    /// <summary>
    /// A dedicated thread blocks in read(2) on ep0. Works on every kernel. A blocked read returns only on the next ep0
    /// event, so stopping waits for the UNBIND that unbinding the UDC produces (bounded by <see cref="FunctionFsOptions.StopTimeout"/>).
    /// </summary>
    BlockingRead,
}

/// <summary>Settings of a <see cref="FunctionFsFunction"/>.</summary>
public sealed class FunctionFsOptions
{
    /// <summary>A name for logs and thread names, e.g. the function instance name.</summary>
    /// <remarks>Defaults to <c>"ffs"</c>.</remarks>
    public string Name { get; set; } = "ffs";

    /// <summary>How ep0 events are awaited.</summary>
    /// <remarks>Defaults to <see cref="Ep0WaitStrategy.Auto"/>.</remarks>
    public Ep0WaitStrategy Ep0WaitStrategy { get; set; } = Ep0WaitStrategy.Auto;

    /// <summary>Number of reads kept queued on each OUT endpoint.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int OutQueueDepth { get; set; } = 8;

    /// <summary>
    /// Size of each read on an OUT endpoint, in bytes. Rounded down to a multiple of the endpoint's wMaxPacketSize
    /// (some UDCs lose data otherwise).
    /// </summary>
    /// <remarks>Defaults to 16384, the size adbd settled on because some controllers fail above it.</remarks>
    public int OutTransferSize { get; set; } = 16384;

    /// <summary>Number of writes that may be in flight on each IN endpoint before <c>WriteAsync</c> waits.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int InQueueDepth { get; set; } = 8;

    /// <summary>Size of each write buffer on an IN endpoint; longer writes are split.</summary>
    /// <remarks>Defaults to 16384.</remarks>
    public int InTransferSize { get; set; } = 16384;

    /// <summary>How long disposal waits for the ep0 thread and for the kernel to return every endpoint buffer.</summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(OutQueueDepth, 1, nameof(OutQueueDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(InQueueDepth, 1, nameof(InQueueDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutTransferSize, 64, nameof(OutTransferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InTransferSize, 1, nameof(InTransferSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StopTimeout, TimeSpan.Zero, nameof(StopTimeout));
        ArgumentException.ThrowIfNullOrEmpty(Name, nameof(Name));
    }
}
