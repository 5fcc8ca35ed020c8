namespace UsbGadget.Linux;

/// <summary>
/// A Linux system call failed. The message names the call with its key arguments, the errno, and,
/// when there is one, what to do about it:
/// <c>io_setup(nr_events=65536) failed: EAGAIN (fs.aio-max-nr reached: raise it with sysctl fs.aio-max-nr=...)</c>.
/// </summary>
public class LinuxIOException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="call">The call with its key arguments, e.g. <c>io_setup(nr_events=65536)</c>.</param>
    /// <param name="errno">The errno the call failed with.</param>
    /// <param name="hint">Replaces the C library's text after the errno name when given: what went wrong and how to fix it.</param>
    public LinuxIOException(string call, Errno errno, string? hint = null)
        : base(FormatMessage(call, errno, hint))
    {
        Call = call;
        Errno = errno;
        Hint = hint;
        HResult = (int)errno;
    }

    /// <summary>The call with its key arguments, e.g. <c>io_setup(nr_events=65536)</c>.</summary>
    public string Call { get; }

    /// <summary>The errno the call failed with.</summary>
    public Errno Errno { get; }

    /// <summary>The hint given, if any.</summary>
    public string? Hint { get; }

    private static string FormatMessage(string call, Errno errno, string? hint)
    {
        ArgumentNullException.ThrowIfNull(call);
        return hint is null
            ? $"{call} failed: {errno.Describe()}"
            : $"{call} failed: {errno.Name()} ({hint})";
    }
}
