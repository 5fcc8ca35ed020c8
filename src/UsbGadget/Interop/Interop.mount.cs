using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// mount(2): attaches the file system <paramref name="filesystemtype"/> named <paramref name="source"/>
    /// at <paramref name="target"/>. FunctionFS takes the function instance name as source and
    /// "uid=,gid=,mode=,rmode=,fmode=,no_disconnect=" as <paramref name="data"/>.
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mount(string source, string target, string filesystemtype, nuint mountflags, string? data);
}
