using System.Runtime.InteropServices;

namespace UsbGadget.Testing;

internal static partial class Interop
{
    /// <summary>geteuid(2): the effective user id; 0 means root, which may install packages.</summary>
    [LibraryImport("libc")]
    internal static partial uint geteuid();
}
