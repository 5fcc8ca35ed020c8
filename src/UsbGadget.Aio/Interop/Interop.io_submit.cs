internal static partial class Interop
{
    /// <summary>
    /// io_submit(2): queues <paramref name="nr"/> blocks. Returns how many the kernel accepted
    /// (stopping at the first it refused), or -1 with errno when it refused the first one.
    /// </summary>
    internal static unsafe int io_submit(nuint ctx_id, nint nr, iocb** iocbpp)
        => (int)syscall(SyscallNumbers.io_submit, (nint)ctx_id, nr, (nint)iocbpp);
}
