using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>The kernel's answer to one <see cref="AioEngine"/> operation, as it gave it.</summary>
public readonly struct AioResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="result">io_event.res (or -errno when io_submit refused the block).</param>
    /// <param name="result2">io_event.res2.</param>
    /// <param name="cancelRequested">Whether cancellation was requested while the block was in flight.</param>
    /// <param name="submitFailed">Whether io_submit refused the block, so no completion event exists.</param>
    public AioResult(long result, long result2, bool cancelRequested, bool submitFailed = false)
    {
        Result = result;
        Result2 = result2;
        CancelRequested = cancelRequested;
        SubmitFailed = submitFailed;
    }

    /// <summary>Bytes transferred, a poll mask, or -errno.</summary>
    public long Result { get; }

    /// <summary>io_event.res2 (driver specific).</summary>
    public long Result2 { get; }

    /// <summary>
    /// Whether the operation's token was cancelled while it was in flight. The I/O may still have
    /// won: then <see cref="Result"/> holds its normal outcome.
    /// </summary>
    public bool CancelRequested { get; }

    /// <summary>Whether io_submit itself refused the block; <see cref="Result"/> then holds -errno from io_submit.</summary>
    public bool SubmitFailed { get; }

    /// <summary>Whether <see cref="Result"/> is not negative.</summary>
    public bool Succeeded => Result >= 0;

    /// <summary>The errno for a negative <see cref="Result"/>, otherwise <see cref="Errno.None"/>.</summary>
    public Errno Error => Result < 0 ? (Errno)(-Result) : Errno.None;

    /// <inheritdoc/>
    public override string ToString()
        => Succeeded ? $"res={Result}" : $"res={Result} ({Error.Describe()}){(CancelRequested ? ", cancel requested" : string.Empty)}";
}
