namespace UsbGadget.FunctionFs;

/// <summary>
/// Parses what a read of ep0 returns: a sequence of 12-byte <c>struct usb_functionfs_event</c> records.
/// Pure functions with no I/O, so they can be fuzzed with arbitrary bytes.
/// </summary>
internal static class FunctionFsEventParser
{
    /// <summary>
    /// Parses <paramref name="data"/> into <paramref name="destination"/>. Never throws: returns <see langword="false"/>
    /// when the length is not a multiple of 12 or <paramref name="destination"/> is too small.
    /// Unknown event types are returned as they are (<see cref="FunctionFsEvent.IsKnown"/> is <see langword="false"/>).
    /// </summary>
    /// <param name="data">The bytes read from ep0.</param>
    /// <param name="destination">Receives the events, in the order the kernel queued them.</param>
    /// <param name="count">The number of events written to <paramref name="destination"/>; 0 on failure.</param>
    public static bool TryParse(ReadOnlySpan<byte> data, Span<FunctionFsEvent> destination, out int count)
    {
        count = 0;
        if (data.Length % FunctionFsEvent.Size != 0 || data.Length / FunctionFsEvent.Size > destination.Length)
        {
            return false;
        }

        for (int offset = 0; offset < data.Length; offset += FunctionFsEvent.Size)
        {
            ReadOnlySpan<byte> record = data.Slice(offset, FunctionFsEvent.Size);
            // The union comes first; the kernel zeroes it for every type but SETUP, so reading it always is harmless.
            // The three _pad bytes carry nothing and are ignored.
            destination[count++] = new FunctionFsEvent((FunctionFsEventType)record[ControlRequest.Size], ControlRequest.Read(record));
        }

        return true;
    }

    /// <summary>
    /// Parses <paramref name="data"/> into <paramref name="destination"/> and returns the number of events.
    /// </summary>
    /// <exception cref="FormatException">The length of <paramref name="data"/> is not a multiple of 12 bytes.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> cannot hold every event.</exception>
    public static int Parse(ReadOnlySpan<byte> data, Span<FunctionFsEvent> destination)
    {
        if (data.Length % FunctionFsEvent.Size != 0)
        {
            throw new FormatException(
                $"ep0 returned {data.Length} bytes, which is not a whole number of {FunctionFsEvent.Size}-byte usb_functionfs_event records.");
        }

        if (data.Length / FunctionFsEvent.Size > destination.Length)
        {
            throw new ArgumentException(
                $"{data.Length / FunctionFsEvent.Size} events do not fit in a destination of {destination.Length}.", nameof(destination));
        }

        TryParse(data, destination, out int count);
        return count;
    }

    /// <summary>Parses <paramref name="data"/> into a new array.</summary>
    /// <exception cref="FormatException">The length of <paramref name="data"/> is not a multiple of 12 bytes.</exception>
    public static FunctionFsEvent[] Parse(ReadOnlySpan<byte> data)
    {
        var events = new FunctionFsEvent[data.Length / FunctionFsEvent.Size];
        Parse(data, events);
        return events;
    }
}
