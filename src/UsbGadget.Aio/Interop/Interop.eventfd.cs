using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const int EFD_SEMAPHORE = 1;
    internal const int EFD_CLOEXEC = O_CLOEXEC;
    internal const int EFD_NONBLOCK = O_NONBLOCK;

    /// <summary>eventfd(2): a 64-bit counter with a file descriptor. Returns the fd, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);
}
