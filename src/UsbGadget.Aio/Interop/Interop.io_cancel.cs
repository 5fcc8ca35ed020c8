internal static partial class Interop
{
    /// <summary>
    /// io_cancel(2): asks the kernel to cancel one block. Since Linux 4.19 it never completes the
    /// block synchronously: it fails with EINPROGRESS when the cancel was requested (the event
    /// follows through the ring) and with EINVAL when the kernel holds no cancellable block at that address.
    /// </summary>
    internal static unsafe int io_cancel(nuint ctx_id, iocb* iocb, io_event* result)
        => (int)syscall(SyscallNumbers.io_cancel, (nint)ctx_id, (nint)iocb, (nint)result);
}
