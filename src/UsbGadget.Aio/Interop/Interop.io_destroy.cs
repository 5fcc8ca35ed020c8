internal static partial class Interop
{
    /// <summary>
    /// io_destroy(2): cancels every cancellable block, then waits (uninterruptibly) until the
    /// kernel has completed every block of the context, and frees it. Pending events are dropped.
    /// </summary>
    internal static int io_destroy(nuint ctx_id)
        => (int)syscall(SyscallNumbers.io_destroy, (nint)ctx_id, 0);
}
