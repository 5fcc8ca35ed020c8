using System.Runtime.InteropServices;

namespace UsbGadget.Aio;

internal static partial class Interop
{
    /// <summary>errno of the last P/Invoke declared with SetLastError = true on this thread.</summary>
    internal static Errno LastErrno => (Errno)Marshal.GetLastPInvokeError();
}
