namespace UsbGadget.Aio;

/// <summary>
/// One completion (struct io_event), handed back as the kernel wrote it: <see cref="Result"/> is
/// bytes transferred, a poll mask or -errno, and nothing here judges it.
/// </summary>
public readonly struct AioEvent
{
    internal AioEvent(AioBlock block, long result, long result2, ulong userData, bool cancelRequested)
    {
        Block = block;
        Result = result;
        Result2 = result2;
        UserData = userData;
        CancelRequested = cancelRequested;
    }

    /// <summary>The block that completed. It is no longer in flight and may be prepared again.</summary>
    public AioBlock Block { get; }

    /// <summary>io_event.res: bytes transferred, the poll mask, or -errno (e.g. -104 ECONNRESET after a cancel).</summary>
    public long Result { get; }

    /// <summary>io_event.res2: driver specific, usually 0.</summary>
    public long Result2 { get; }

    /// <summary>The block's <see cref="AioBlock.UserData"/> at submission (io_event.data itself names the context's iocb slot).</summary>
    public ulong UserData { get; }

    /// <summary>Whether <see cref="AioContext.Cancel(AioBlock)"/> was called while the block was in flight.</summary>
    public bool CancelRequested { get; }
}
