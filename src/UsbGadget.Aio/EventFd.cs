using System.Runtime.InteropServices;
using UsbGadget.Linux;

namespace UsbGadget.Aio;

/// <summary>
/// An eventfd(2): a kernel counter behind a file descriptor, opened with EFD_CLOEXEC. AIO adds 1 per
/// completed block when the block names it (IOCB_FLAG_RESFD), which lets a thread sleep in
/// <see cref="Read"/> instead of in io_getevents.
/// </summary>
public sealed class EventFd : IDisposable
{
    private readonly UnixFileHandle _handle;

    /// <summary>Creates the eventfd.</summary>
    /// <param name="initialValue">The counter's initial value.</param>
    /// <param name="nonBlocking">EFD_NONBLOCK: <see cref="Read"/> fails with EAGAIN instead of waiting while the counter is 0.</param>
    /// <param name="semaphore">EFD_SEMAPHORE: each read takes 1 instead of the whole counter.</param>
    /// <exception cref="LinuxIOException">eventfd failed (EMFILE, ENFILE, ENOMEM).</exception>
    public EventFd(uint initialValue = 0, bool nonBlocking = false, bool semaphore = false)
    {
        int flags = Interop.EFD_CLOEXEC | (nonBlocking ? Interop.EFD_NONBLOCK : 0) | (semaphore ? Interop.EFD_SEMAPHORE : 0);
        int fd = Interop.eventfd(initialValue, flags);
        if (fd < 0)
        {
            ThrowHelper.ThrowLinuxIO($"eventfd(initval={initialValue}, nonBlocking={nonBlocking}, semaphore={semaphore})", Interop.LastErrno);
        }

        _handle = new UnixFileHandle(fd, ownsHandle: true);
        IsNonBlocking = nonBlocking;
    }

    /// <summary>The descriptor (a <see cref="UnixFileHandle"/>).</summary>
    public SafeHandle Handle => _handle;

    /// <summary>The descriptor number, for IOCB_FLAG_RESFD.</summary>
    public int Fd => _handle.Fd;

    /// <summary>Whether the eventfd was created with EFD_NONBLOCK.</summary>
    public bool IsNonBlocking { get; }

    /// <summary>Reads and resets the counter (or takes 1 in semaphore mode). Waits while it is 0 unless non-blocking.</summary>
    /// <returns>The counter's value.</returns>
    /// <exception cref="LinuxIOException">read failed, e.g. EAGAIN on a non-blocking eventfd whose counter is 0.</exception>
    public ulong Read()
    {
        Errno errno = TryReadCore(out ulong value);
        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"read(eventfd {_handle.Fd})", errno,
                errno == Errno.EAGAIN ? "the counter is 0 and the eventfd is non-blocking" : null);
        }

        return value;
    }

    /// <summary>
    /// Reads the counter if it is not 0. On a non-blocking eventfd this never waits; on a blocking one
    /// it waits like <see cref="Read"/>.
    /// </summary>
    /// <param name="value">The counter's value, or 0.</param>
    /// <returns>Whether a value was read.</returns>
    /// <exception cref="LinuxIOException">read failed with something other than EAGAIN.</exception>
    public bool TryRead(out ulong value)
    {
        Errno errno = TryReadCore(out value);
        if (errno == Errno.EAGAIN)
        {
            return false;
        }

        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"read(eventfd {_handle.Fd})", errno);
        }

        return true;
    }

    /// <summary>Adds <paramref name="value"/> to the counter, waking readers.</summary>
    /// <param name="value">What to add; at most 0xfffffffffffffffe.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is ulong.MaxValue, which eventfd refuses.</exception>
    /// <exception cref="LinuxIOException">write failed (EAGAIN: the counter would overflow on a non-blocking eventfd).</exception>
    public unsafe void Write(ulong value)
    {
        if (value == ulong.MaxValue)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(value), value, "eventfd counters hold at most 0xfffffffffffffffe.");
        }

        Errno errno = _handle.TryWrite(new ReadOnlySpan<byte>(&value, sizeof(ulong)), out _);
        if (errno != Errno.None)
        {
            ThrowHelper.ThrowLinuxIO($"write(eventfd {_handle.Fd}, value={value})", errno);
        }
    }

    /// <summary>Closes the descriptor.</summary>
    public void Dispose() => _handle.Dispose();

    private unsafe Errno TryReadCore(out ulong value)
    {
        ulong v = 0;
        Errno errno = _handle.TryRead(new Span<byte>(&v, sizeof(ulong)), out _);
        value = v;
        return errno;
    }
}
