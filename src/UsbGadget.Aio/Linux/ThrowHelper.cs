using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace UsbGadget.Linux;

/// <summary>Throw sites kept out of hot paths so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowLinuxIO(string call, Errno errno, string? hint = null)
        => throw new LinuxIOException(call, errno, hint);

    [DoesNotReturn]
    internal static void ThrowInvalidOperation(string message)
        => throw new InvalidOperationException(message);

    [DoesNotReturn]
    internal static void ThrowArgument(string message, string paramName)
        => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRange(string paramName, object? actualValue, string message)
        => throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static LinuxIOException CreateLinuxIO(string call, Errno errno, string? hint = null)
        => new(call, errno, hint);

    [DoesNotReturn]
    internal static void ThrowPlatformNotSupported()
        => throw new PlatformNotSupportedException(
            $"Linux AIO is supported on linux-x64, linux-arm64 and linux-arm; this process runs on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}).");
}
