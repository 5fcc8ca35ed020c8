using System.Runtime.InteropServices;

#pragma warning disable CS8981 // Kernel structs keep their C names.
internal static partial class Interop
{
    /// <summary>struct io_event from include/uapi/linux/aio_abi.h: 32 bytes on every architecture.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct io_event
    {
        /// <summary>The iocb's aio_data: here, the index of its slot in the context's iocb array.</summary>
        internal ulong data;
        /// <summary>The user-space address of the iocb this event completes.</summary>
        internal ulong obj;
        /// <summary>Result: bytes transferred, a poll mask, or -errno.</summary>
        internal long res;
        /// <summary>Secondary result (driver specific, usually 0).</summary>
        internal long res2;
    }
}
