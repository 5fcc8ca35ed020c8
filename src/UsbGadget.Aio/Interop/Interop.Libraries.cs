namespace UsbGadget.Aio;

internal static partial class Interop
{
    /// <summary>The C library every import binds to (glibc or musl resolve "libc").</summary>
    internal const string Libc = "libc";
}
