using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>close(2). Takes the raw fd: it is called from SafeHandle.ReleaseHandle.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int close(int fd);
}
