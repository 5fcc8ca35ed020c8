using UsbGadget.Linux;

namespace UsbGadget.ConfigFs;

/// <summary>
/// A configfs gadget operation failed. <see cref="Exception.Message"/> names the path or call, the errno,
/// and what to do about it.
/// </summary>
public sealed class ConfigFsException : Exception
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">The message, saying how to fix it.</param>
    /// <param name="errno">The errno the kernel returned, or <see cref="Errno.None"/>.</param>
    /// <param name="path">The configfs or sysfs path involved, if any.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public ConfigFsException(ConfigFsError error, string message, Errno errno = Errno.None, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        Errno = errno;
        Path = path;
    }

    /// <summary>What went wrong.</summary>
    public ConfigFsError Error { get; }

    /// <summary>The errno the kernel returned, or <see cref="Errno.None"/> when the failure was detected without a call.</summary>
    public Errno Errno { get; }

    /// <summary>The path involved, if any.</summary>
    public string? Path { get; }
}
