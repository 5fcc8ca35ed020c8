namespace UsbGadget.Linux;

/// <summary>
/// Linux error numbers, with their C names. The values are those of the generic Linux ABI,
/// which x64, arm64 and arm share.
/// </summary>
#pragma warning disable CA1707 // C names on purpose: they are what users search the kernel for.
public enum Errno
{
    /// <summary>Success.</summary>
    None = 0,
    /// <summary>Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>No such file or directory.</summary>
    ENOENT = 2,
    /// <summary>No such process (ep0: no setup request pending).</summary>
    ESRCH = 3,
    /// <summary>Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>I/O error.</summary>
    EIO = 5,
    /// <summary>No such device or address.</summary>
    ENXIO = 6,
    /// <summary>Argument list too long.</summary>
    E2BIG = 7,
    /// <summary>Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>Resource temporarily unavailable.</summary>
    EAGAIN = 11,
    /// <summary>Out of memory.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied.</summary>
    EACCES = 13,
    /// <summary>Bad address.</summary>
    EFAULT = 14,
    /// <summary>Device or resource busy.</summary>
    EBUSY = 16,
    /// <summary>File exists.</summary>
    EEXIST = 17,
    /// <summary>No such device.</summary>
    ENODEV = 19,
    /// <summary>Not a directory.</summary>
    ENOTDIR = 20,
    /// <summary>Is a directory.</summary>
    EISDIR = 21,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>Too many open files.</summary>
    EMFILE = 24,
    /// <summary>Inappropriate ioctl for device.</summary>
    ENOTTY = 25,
    /// <summary>No space left on device.</summary>
    ENOSPC = 28,
    /// <summary>Illegal seek.</summary>
    ESPIPE = 29,
    /// <summary>Read-only file system.</summary>
    EROFS = 30,
    /// <summary>Broken pipe.</summary>
    EPIPE = 32,
    /// <summary>Result out of range.</summary>
    ERANGE = 34,
    /// <summary>Function not implemented.</summary>
    ENOSYS = 38,
    /// <summary>Directory not empty.</summary>
    ENOTEMPTY = 39,
    /// <summary>Level 2 halted. FunctionFS uses it to report a successful stall on ep0.</summary>
    EL2HLT = 51,
    /// <summary>Bad message. FunctionFS: I/O in the wrong direction halted the endpoint.</summary>
    EBADMSG = 74,
    /// <summary>File descriptor in bad state. FunctionFS: ep0 before descriptors were written.</summary>
    EBADFD = 77,
    /// <summary>Operation not supported.</summary>
    EOPNOTSUPP = 95,
    /// <summary>Connection reset. AIO: the block was cancelled.</summary>
    ECONNRESET = 104,
    /// <summary>Cannot send after transport endpoint shutdown. FunctionFS: endpoint disabled or disconnected.</summary>
    ESHUTDOWN = 108,
    /// <summary>Connection timed out.</summary>
    ETIMEDOUT = 110,
    /// <summary>Operation already in progress.</summary>
    EALREADY = 114,
    /// <summary>Operation now in progress. io_cancel: the cancel was requested; the completion comes later.</summary>
    EINPROGRESS = 115,
    /// <summary>Operation cancelled.</summary>
    ECANCELED = 125,
    /// <summary>Identifier removed. FunctionFS: the setup request was superseded by a newer event.</summary>
    EIDRM = 43,
    /// <summary>Operation not supported (kernel-internal ENOTSUPP, seen when binding a UDC with too few endpoints).</summary>
    ENOTSUPP = 524,
}
#pragma warning restore CA1707
