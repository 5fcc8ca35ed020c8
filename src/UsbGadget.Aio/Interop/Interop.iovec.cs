#pragma warning disable CS8981 // Kernel structs keep their C names.
internal static partial class Interop
{
    /// <summary>struct iovec: a pointer and a size_t, both native-sized (8+8 bytes on 64-bit, 4+4 on arm).</summary>
    internal struct iovec
    {
        internal nint iov_base;
        internal nuint iov_len;
    }
}
