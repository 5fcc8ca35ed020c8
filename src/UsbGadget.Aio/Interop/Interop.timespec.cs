#pragma warning disable CS8981 // Kernel structs keep their C names.
internal static partial class Interop
{
    /// <summary>
    /// The timespec io_getevents takes: two C longs (64-bit on x64/arm64, 32-bit on arm, where the
    /// classic io_getevents takes the old 32-bit timespec).
    /// </summary>
    internal struct timespec
    {
        internal nint tv_sec;
        internal nint tv_nsec;
    }
}
