using Microsoft.Extensions.Logging;

namespace UsbGadget.Hosting;

/// <summary>Log messages about kernel functions; event ids 4150–4199 are fixed.</summary>
internal static partial class KernelFunctionsLog
{
    [LoggerMessage(4151, LogLevel.Information, "Kernel function '{Function}' is {Device}")]
    public static partial void DeviceFound(ILogger logger, string function, string device);

    [LoggerMessage(4152, LogLevel.Warning, "Kernel function '{Function}': {Message}")]
    public static partial void DeviceNotFound(ILogger logger, string function, string message);
}
