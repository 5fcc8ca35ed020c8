using System.Runtime.InteropServices;

namespace UsbGadget.Linux;

/// <summary>
/// Owns one Linux file descriptor and closes it when disposed. Reads, writes and ioctls go straight
/// to the kernel; the Try* forms return the errno instead of throwing, for callers (such as FunctionFS
/// ep0) to whom some errnos are answers rather than failures.
/// </summary>
public sealed class UnixFileHandle : SafeHandle
{
    private readonly string? _path;

    /// <summary>Wraps an existing descriptor.</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="ownsHandle">Whether disposing this handle closes <paramref name="fd"/>.</param>
    public UnixFileHandle(int fd, bool ownsHandle)
        : base(invalidHandleValue: -1, ownsHandle)
    {
        SetHandle(fd);
    }

    private UnixFileHandle(int fd, string? path)
        : this(fd, ownsHandle: true)
    {
        _path = path;
    }

    /// <inheritdoc/>
    public override bool IsInvalid => (int)handle < 0;

    /// <summary>The descriptor number.</summary>
    public int Fd => (int)handle;

    /// <summary>Opens a file with open(2). O_CLOEXEC is always added.</summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Access mode and flags.</param>
    /// <param name="mode">Permission bits when the file is created, e.g. <c>0x1B6</c> (0666).</param>
    /// <returns>The open handle.</returns>
    /// <exception cref="LinuxIOException"><c>open("path", flags)</c> failed; the errno says why.</exception>
    public static UnixFileHandle Open(string path, OpenFlags flags, int mode = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(mode);
        int native = OpenFlagsNative.ToNative(flags);
        int fd;
        Errno errno;
        do
        {
            fd = Interop.open(path, native, mode);
            errno = fd < 0 ? Interop.LastErrno : Errno.None;
        }
        while (errno == Errno.EINTR);

        if (fd < 0)
        {
            string? hint = errno == Errno.EINVAL && (flags & OpenFlags.Direct) != 0
                ? "this file system does not support O_DIRECT (tmpfs before Linux 6.6, for one); use a file on a disk-backed file system"
                : null;
            ThrowHelper.ThrowLinuxIO($"open(\"{path}\", {flags})", errno, hint);
        }

        return new UnixFileHandle(fd, path);
    }

    /// <summary>Creates a pipe with pipe2(2) (O_CLOEXEC, optionally O_NONBLOCK).</summary>
    /// <param name="nonBlocking">Whether both ends are non-blocking.</param>
    /// <returns>The read end and the write end.</returns>
    public static unsafe (UnixFileHandle ReadEnd, UnixFileHandle WriteEnd) CreatePipe(bool nonBlocking = false)
    {
        int* fds = stackalloc int[2];
        if (Interop.pipe2(fds, Interop.O_CLOEXEC | (nonBlocking ? Interop.O_NONBLOCK : 0)) != 0)
        {
            ThrowHelper.ThrowLinuxIO("pipe2()", Interop.LastErrno);
        }

        return (new UnixFileHandle(fds[0], "pipe (read end)"), new UnixFileHandle(fds[1], "pipe (write end)"));
    }

    /// <summary>read(2) into <paramref name="buffer"/>, retrying EINTR.</summary>
    /// <param name="buffer">Where to read to.</param>
    /// <returns>The number of bytes read; 0 at end of file.</returns>
    /// <exception cref="LinuxIOException">read failed.</exception>
    public int Read(Span<byte> buffer)
    {
        Errno errno = TryRead(buffer, out int bytesRead);
        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"read({Describe()}, count={buffer.Length})", errno);
        }

        return bytesRead;
    }

    /// <summary>write(2) from <paramref name="buffer"/>, retrying EINTR.</summary>
    /// <param name="buffer">What to write.</param>
    /// <returns>The number of bytes written (may be fewer than asked).</returns>
    /// <exception cref="LinuxIOException">write failed.</exception>
    public int Write(ReadOnlySpan<byte> buffer)
    {
        Errno errno = TryWrite(buffer, out int bytesWritten);
        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"write({Describe()}, count={buffer.Length})", errno);
        }

        return bytesWritten;
    }

    /// <summary>read(2) that reports failure as an errno instead of throwing. EINTR is retried.</summary>
    /// <param name="buffer">Where to read to.</param>
    /// <param name="bytesRead">The number of bytes read, 0 on failure.</param>
    /// <returns><see cref="Errno.None"/> on success, otherwise the errno.</returns>
    public unsafe Errno TryRead(Span<byte> buffer, out int bytesRead)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Interop.read(this, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    bytesRead = (int)n;
                    return Errno.None;
                }

                Errno errno = Interop.LastErrno;
                if (errno != Errno.EINTR)
                {
                    bytesRead = 0;
                    return errno;
                }
            }
        }
    }

    /// <summary>write(2) that reports failure as an errno instead of throwing. EINTR is retried.</summary>
    /// <param name="buffer">What to write.</param>
    /// <param name="bytesWritten">The number of bytes written, 0 on failure.</param>
    /// <returns><see cref="Errno.None"/> on success, otherwise the errno.</returns>
    public unsafe Errno TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Interop.write(this, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    bytesWritten = (int)n;
                    return Errno.None;
                }

                Errno errno = Interop.LastErrno;
                if (errno != Errno.EINTR)
                {
                    bytesWritten = 0;
                    return errno;
                }
            }
        }
    }

    /// <summary>ioctl(2).</summary>
    /// <param name="request">The request number.</param>
    /// <param name="argument">The argument: an integer or a pointer.</param>
    /// <returns>The non-negative result.</returns>
    /// <exception cref="LinuxIOException">The ioctl failed.</exception>
    public int Ioctl(nuint request, nint argument)
    {
        Errno errno = TryIoctl(request, argument, out int result);
        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"ioctl({Describe()}, request=0x{request:x})", errno,
                errno == Errno.ENOTTY ? "this file does not support that ioctl request" : null);
        }

        return result;
    }

    /// <summary>ioctl(2) that reports failure as an errno instead of throwing.</summary>
    /// <param name="request">The request number.</param>
    /// <param name="argument">The argument: an integer or a pointer.</param>
    /// <param name="result">The result on success, -1 on failure.</param>
    /// <returns><see cref="Errno.None"/> on success, otherwise the errno.</returns>
    public Errno TryIoctl(nuint request, nint argument, out int result)
    {
        result = Interop.ioctl(this, request, argument);
        return result < 0 ? Interop.LastErrno : Errno.None;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Interop.close((int)handle) == 0;

    /// <inheritdoc/>
    public override string ToString() => Describe();

    private string Describe() => _path is null ? $"fd {(int)handle}" : $"fd {(int)handle} \"{_path}\"";
}
