using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>symlink(2): creates <paramref name="linkpath"/> pointing at <paramref name="target"/>.</summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int symlink(string target, string linkpath);
}
