using System.Runtime.InteropServices;

namespace UsbGadget.Linux;

/// <summary>Helpers for <see cref="Errno"/>.</summary>
public static class ErrnoExtensions
{
    /// <summary>
    /// The C name and the C library's text, e.g. <c>"EAGAIN (Resource temporarily unavailable)"</c>.
    /// Values without a name in <see cref="Errno"/> read <c>"errno 133 (…)"</c>.
    /// </summary>
    /// <param name="errno">The error number.</param>
    /// <returns>A one-line description.</returns>
    public static string Describe(this Errno errno)
    {
        string name = errno.Name();
        string text = errno switch
        {
            Errno.None => "Success",
            // Kernel-internal, so the C library has no text for it.
            Errno.ENOTSUPP => "Operation not supported by the driver",
            _ => Marshal.GetPInvokeErrorMessage((int)errno),
        };
        return $"{name} ({text})";
    }

    /// <summary>The C name (<c>"EAGAIN"</c>), or <c>"errno N"</c> for a value this enum does not name.</summary>
    /// <param name="errno">The error number.</param>
    /// <returns>The name.</returns>
    public static string Name(this Errno errno)
        => Enum.IsDefined(errno) ? errno.ToString() : $"errno {(int)errno}";
}
