using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>geteuid(2): the effective user id of this process; it cannot fail.</summary>
    [LibraryImport(Libraries.Libc)]
    internal static partial uint geteuid();
}
