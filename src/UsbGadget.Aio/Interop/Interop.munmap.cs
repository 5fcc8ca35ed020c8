using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>munmap(2). Returns 0, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int munmap(nint addr, nuint length);
}
