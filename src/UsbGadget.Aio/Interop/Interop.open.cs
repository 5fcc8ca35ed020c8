using System.Runtime.InteropServices;

internal static partial class Interop
{
    // Flags shared by x64, arm64 and arm (asm-generic/fcntl.h, arch/x86 does not override them).
    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;        // 0100
    internal const int O_EXCL = 0x80;         // 0200
    internal const int O_TRUNC = 0x200;       // 01000
    internal const int O_APPEND = 0x400;      // 02000
    internal const int O_NONBLOCK = 0x800;    // 04000
    internal const int O_SYNC = 0x101000;     // 04010000
    internal const int O_CLOEXEC = 0x80000;   // 02000000

    /// <summary>O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE differ between x86 and arm (arch/arm*/include/uapi/asm/fcntl.h).</summary>
    internal static class OpenFlagsX64
    {
        internal const int O_DIRECT = 0x4000;      // 040000
        internal const int O_LARGEFILE = 0x8000;   // 0100000
        internal const int O_DIRECTORY = 0x10000;  // 0200000
        internal const int O_NOFOLLOW = 0x20000;   // 0400000
    }

    /// <summary>arm and arm64 share these values.</summary>
    internal static class OpenFlagsArm
    {
        internal const int O_DIRECTORY = 0x4000;   // 040000
        internal const int O_NOFOLLOW = 0x8000;    // 0100000
        internal const int O_DIRECT = 0x10000;     // 0200000
        internal const int O_LARGEFILE = 0x20000;  // 0400000
    }

    /// <summary>open(2). Returns the fd, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int open(string pathname, int flags, int mode);
}
