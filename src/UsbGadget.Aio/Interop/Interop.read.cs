using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>read(2). Returns the byte count, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint read(SafeHandle fd, byte* buf, nuint count);
}
