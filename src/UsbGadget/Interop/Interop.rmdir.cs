using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// rmdir(2). configfs removes an item only by rmdir of its directory (its attribute files vanish with it);
    /// ENOTEMPTY means links or user-made children remain, EPERM means a default group.
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rmdir(string pathname);
}
