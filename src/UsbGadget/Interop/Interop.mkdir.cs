using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// mkdir(2). In configfs a mkdir asks the kernel to create an item (gadget, function, configuration,
    /// language), so its errno carries the kernel's answer (EBUSY, EINVAL, ENOENT for an unknown function).
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdir(string pathname, uint mode);
}
