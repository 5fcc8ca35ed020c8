using Microsoft.Extensions.Logging;

namespace UsbGadget.FunctionFsDemo;

/// <summary>A minimal logger to stderr, so the demo needs no logging provider package.</summary>
internal sealed class ConsoleLogger(LogLevel minimum) : ILogger
{
    private static readonly Lock s_lock = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {Short(logLevel)} [{eventId.Id}] {formatter(state, exception)}";
        lock (s_lock)
        {
            Console.Error.WriteLine(line);
            if (exception is not null)
            {
                Console.Error.WriteLine(exception);
            }
        }
    }

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
