internal static partial class Interop
{
    internal static class Libraries
    {
        /// <summary>The C library every import binds to (glibc or musl resolve "libc").</summary>
        internal const string Libc = "libc";
    }
}
