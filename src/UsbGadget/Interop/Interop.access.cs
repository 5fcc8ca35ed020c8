using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>access(2) with <see cref="R_OK"/> | <see cref="W_OK"/>: whether this process may open a file for reading and writing.</summary>
    /// <returns>0, or -1 with errno set (EACCES when the file belongs to another user).</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string pathname, int mode);

    internal const int R_OK = 4;
    internal const int W_OK = 2;
}
