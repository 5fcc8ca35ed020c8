using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace UsbGadget.Aio.Tests;

/// <summary>Scratch files on a disk-backed file system (O_DIRECT needs one; tmpfs refuses it).</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Path = System.IO.Path.Combine("/var/tmp", $"usbgadget-aio-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        FileSystem = new DriveInfo(Path).DriveFormat;
    }

    public string Path { get; }

    public string FileSystem { get; }

    public string NewFile(string name, ReadOnlySpan<byte> content = default)
    {
        string path = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(path, content.ToArray());
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class Patterns
{
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>Reads /proc/self/maps to tell whether an address is still mapped.</summary>
internal static class ProcessMaps
{
    public static bool IsMapped(nint address)
    {
        ulong a = (ulong)address;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            ulong start = Convert.ToUInt64(line[..dash], 16);
            ulong end = Convert.ToUInt64(line[(dash + 1)..space], 16);
            if (a >= start && a < end)
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public bool Has(int eventId) => Entries.Any(e => e.Id.Id == eventId);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (allocation measurements)";
}
