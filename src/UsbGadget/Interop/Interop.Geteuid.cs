using System.Runtime.InteropServices;

namespace UsbGadget;

internal static partial class Interop
{
    /// <summary>geteuid(2): the effective user id of this process; it cannot fail.</summary>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint geteuid();
}
