using System.Runtime.InteropServices;

#pragma warning disable CS8981 // Kernel structs keep their C names.
internal static partial class Interop
{
    /// <summary>aio_ring.magic when the ring has the layout below (fs/aio.c).</summary>
    internal const uint AIO_RING_MAGIC = 0xa10a10a1;

    /// <summary>Incompatible features this layout knows: none. Any other value means do not touch the ring.</summary>
    internal const uint AIO_RING_INCOMPAT_FEATURES = 0;

    /// <summary>
    /// struct aio_ring from fs/aio.c: the completion ring io_setup maps into the process at the address that is the
    /// aio_context_t. The kernel writes events at tail; whoever reaps (io_getevents, or user space) advances head.
    /// Not in the uapi headers, but libaio and fio's userspace_reap rely on it, and the kernel keeps it stable behind
    /// <see cref="magic"/> and <see cref="incompat_features"/>. <see cref="io_event"/>s follow the header.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct aio_ring
    {
        /// <summary>Kernel internal index number.</summary>
        internal uint id;
        /// <summary>Number of io_events in the ring (io_setup may round the request up).</summary>
        internal uint nr;
        /// <summary>Next event to reap; written by the reaper.</summary>
        internal uint head;
        /// <summary>Where the kernel writes the next event.</summary>
        internal uint tail;
        internal uint magic;
        internal uint compat_features;
        internal uint incompat_features;
        /// <summary>sizeof(struct aio_ring): where the events start.</summary>
        internal uint header_length;
    }
}
