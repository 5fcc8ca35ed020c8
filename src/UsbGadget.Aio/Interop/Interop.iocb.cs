using System.Runtime.InteropServices;

#pragma warning disable CS8981 // Kernel structs keep their C names.
internal static partial class Interop
{
    internal const ushort IOCB_CMD_PREAD = 0;
    internal const ushort IOCB_CMD_PWRITE = 1;
    internal const ushort IOCB_CMD_FSYNC = 2;
    internal const ushort IOCB_CMD_FDSYNC = 3;
    internal const ushort IOCB_CMD_POLL = 5;
    internal const ushort IOCB_CMD_NOOP = 6;
    internal const ushort IOCB_CMD_PREADV = 7;
    internal const ushort IOCB_CMD_PWRITEV = 8;

    /// <summary>aio_resfd is valid: the kernel adds 1 to that eventfd per completion.</summary>
    internal const uint IOCB_FLAG_RESFD = 1 << 0;

    /// <summary>aio_reqprio is valid (an IOPRIO_PRIO_VALUE).</summary>
    internal const uint IOCB_FLAG_IOPRIO = 1 << 1;

    /// <summary>
    /// struct iocb from include/uapi/linux/aio_abi.h: 64 bytes, the same on every architecture.
    /// Pointers travel in __u64 fields (a 32-bit pointer is zero-extended, so on little-endian arm
    /// it sits in the low half). aio_key and aio_rw_flags swap places on big-endian machines, hence
    /// the two words behind accessors.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct iocb
    {
        internal ulong aio_data;
        internal uint word0;        // aio_key on little-endian, aio_rw_flags on big-endian
        internal uint word1;        // aio_rw_flags on little-endian, aio_key on big-endian
        internal ushort aio_lio_opcode;
        internal short aio_reqprio;
        internal uint aio_fildes;
        internal ulong aio_buf;
        internal ulong aio_nbytes;
        internal long aio_offset;
        internal ulong aio_reserved2;
        internal uint aio_flags;
        internal uint aio_resfd;

        /// <summary>The kernel writes KIOCB_KEY (0) here on submit.</summary>
        internal uint aio_key
        {
            readonly get => BitConverter.IsLittleEndian ? word0 : word1;
            set
            {
                if (BitConverter.IsLittleEndian) { word0 = value; } else { word1 = value; }
            }
        }

        /// <summary>RWF_* flags (__kernel_rwf_t, an int).</summary>
        internal int aio_rw_flags
        {
            readonly get => (int)(BitConverter.IsLittleEndian ? word1 : word0);
            set
            {
                if (BitConverter.IsLittleEndian) { word1 = (uint)value; } else { word0 = (uint)value; }
            }
        }

        /// <summary>Byte offset of aio_key for this machine's byte order.</summary>
        internal static int AioKeyOffset => BitConverter.IsLittleEndian ? 8 : 12;

        /// <summary>Byte offset of aio_rw_flags for this machine's byte order.</summary>
        internal static int AioRwFlagsOffset => BitConverter.IsLittleEndian ? 12 : 8;
    }
}
