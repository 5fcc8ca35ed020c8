using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_ANONYMOUS = 0x20;
    internal static readonly nint MAP_FAILED = -1;

    /// <summary>mmap(2). Only used for anonymous mappings, so the offset is always 0.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);
}
