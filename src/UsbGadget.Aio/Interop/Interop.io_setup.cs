internal static partial class Interop
{
    /// <summary>
    /// io_setup(2): creates an AIO context able to hold <paramref name="nr_events"/> events and
    /// stores its id (an aio_context_t, i.e. unsigned long) in <paramref name="ctxp"/>, which must be 0 on entry.
    /// </summary>
    internal static unsafe int io_setup(uint nr_events, nuint* ctxp)
        => (int)syscall(SyscallNumbers.io_setup, (nint)nr_events, (nint)ctxp);
}
