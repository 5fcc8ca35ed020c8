using System.Runtime.InteropServices;
using UsbGadget.Linux;

internal static partial class Interop
{
    /// <summary>errno of the last P/Invoke declared with SetLastError = true on this thread.</summary>
    internal static Errno LastErrno => (Errno)Marshal.GetLastPInvokeError();
}
