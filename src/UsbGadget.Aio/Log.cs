using Microsoft.Extensions.Logging;

namespace UsbGadget.Aio;

/// <summary>Log messages of this assembly, with fixed event ids.</summary>
internal static partial class AioLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Closing AIO context with {InFlight} block(s) in flight: cancelling them and waiting up to {TimeoutMs} ms for the kernel to return every one")]
    internal static partial void DrainStarting(ILogger logger, int inFlight, double timeoutMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug,
        Message = "AIO context drained: {Reaped} completion(s) reaped in {ElapsedMs} ms")]
    internal static partial void DrainCompleted(ILogger logger, int reaped, double elapsedMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "{Remaining} AIO block(s) still in flight {TimeoutMs} ms after close: leaking the context and their buffers so the kernel never writes into freed or reused memory")]
    internal static partial void DrainTimedOut(ILogger logger, int remaining, double timeoutMs);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Reaping AIO completions while closing failed; leaking the context")]
    internal static partial void DrainFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error,
        Message = "Dropped an AIO completion that names no in-flight block of this context (aio_data {Data}, obj 0x{Obj:x}, res {Result}): the kernel or another reader wrote it, and it is not followed")]
    internal static partial void ForeignEvent(ILogger logger, ulong data, ulong obj, long result);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "AIO completion thread {ThreadName} started")]
    internal static partial void CompletionThreadStarted(ILogger logger, string threadName);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "AIO completion thread {ThreadName} stopped")]
    internal static partial void CompletionThreadStopped(ILogger logger, string threadName);

    [LoggerMessage(EventId = 12, Level = LogLevel.Critical, Message = "AIO completion loop failed; failing fast")]
    internal static partial void CompletionLoopFailed(ILogger logger, Exception exception);
}
