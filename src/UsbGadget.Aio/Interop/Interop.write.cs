using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>write(2). Returns the byte count, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint write(SafeHandle fd, byte* buf, nuint count);
}
