using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// ioctl(2). Variadic in C; the third argument is one register-sized integer or pointer,
    /// passed like a fixed argument on x64, arm64 and arm.
    /// </summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int ioctl(SafeHandle fd, nuint request, nint argument);
}
