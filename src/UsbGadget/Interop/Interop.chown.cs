using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// chown(2). configfs keeps an owner per attribute, so handing a gadget's <c>UDC</c> attribute to a service user lets
    /// that user bind and unbind that gadget and no other.
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string pathname, uint owner, uint group);
}
