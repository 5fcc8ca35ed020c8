using System.Runtime.InteropServices;

namespace UsbGadget.Aio;

internal static partial class Interop
{
    /// <summary>close(2). Takes the raw fd: it is called from SafeHandle.ReleaseHandle.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int close(int fd);
}
