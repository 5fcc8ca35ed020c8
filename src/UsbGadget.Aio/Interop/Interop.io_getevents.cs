internal static partial class Interop
{
    /// <summary>
    /// io_getevents(2): waits for at least <paramref name="min_nr"/> events (at most
    /// <paramref name="nr"/>), or until <paramref name="timeout"/> passes (null waits forever).
    /// On arm this is the time32 variant, matching <see cref="timespec"/>'s long-sized fields.
    /// </summary>
    internal static unsafe int io_getevents(nuint ctx_id, nint min_nr, nint nr, io_event* events, timespec* timeout)
        => (int)syscall(SyscallNumbers.io_getevents, (nint)ctx_id, min_nr, nr, (nint)events, (nint)timeout);
}
