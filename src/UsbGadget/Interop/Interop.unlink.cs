using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>unlink(2): removes a name; in configfs only symlinks can be removed this way.</summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlink(string pathname);
}
