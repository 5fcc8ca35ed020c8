using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>
/// The ep0 file as the control-request logic sees it: reads and writes that report an errno instead of throwing.
/// A seam so the dispatch rules can be tested without a kernel.
/// </summary>
internal interface IEp0Channel
{
    /// <summary>read(2) on ep0.</summary>
    Errno TryRead(Span<byte> buffer, out int bytesRead);

    /// <summary>write(2) on ep0.</summary>
    Errno TryWrite(ReadOnlySpan<byte> buffer, out int bytesWritten);
}
