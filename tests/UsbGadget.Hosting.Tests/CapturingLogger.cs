using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace UsbGadget.Hosting.Tests;

/// <summary>Keeps every formatted log message, so tests can check what a user would read.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
    }
}

/// <summary>One log call as a user would read it, with the exception it carried.</summary>
internal sealed record LogEntry(LogLevel Level, EventId Id, string Message, Exception? Exception);
