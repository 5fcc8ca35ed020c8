using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>umount2(2) flag: detach now, finish the unmount when the last open file closes.</summary>
    internal const int MNT_DETACH = 0x2;

    /// <summary>umount2(2): detaches the file system mounted at <paramref name="target"/>.</summary>
    /// <returns>0, or -1 with errno set (EBUSY while files on it are still open).</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int umount2(string target, int flags);
}
