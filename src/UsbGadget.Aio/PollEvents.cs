namespace UsbGadget.Aio;

/// <summary>
/// poll(2) event bits (include/uapi/asm-generic/poll.h, the same on x64, arm64 and arm), used by
/// IOCB_CMD_POLL. The completion's result is the mask of events that fired.
/// </summary>
[Flags]
#pragma warning disable CA1711 // "Events" is the C concept.
public enum PollEvents : ushort
#pragma warning restore CA1711
{
    /// <summary>No events.</summary>
    None = 0,
    /// <summary>POLLIN: data to read.</summary>
    POLLIN = 0x0001,
    /// <summary>POLLPRI: urgent data (FunctionFS ep0: an event is pending).</summary>
    POLLPRI = 0x0002,
    /// <summary>POLLOUT: writing will not block.</summary>
    POLLOUT = 0x0004,
    /// <summary>POLLERR: error condition (always reported, need not be asked for).</summary>
    POLLERR = 0x0008,
    /// <summary>POLLHUP: hang up (always reported, need not be asked for).</summary>
    POLLHUP = 0x0010,
    /// <summary>POLLNVAL: invalid request.</summary>
    POLLNVAL = 0x0020,
    /// <summary>POLLRDNORM: normal data to read.</summary>
    POLLRDNORM = 0x0040,
    /// <summary>POLLRDBAND: priority band data to read.</summary>
    POLLRDBAND = 0x0080,
    /// <summary>POLLWRNORM: normal data may be written.</summary>
    POLLWRNORM = 0x0100,
    /// <summary>POLLWRBAND: priority data may be written.</summary>
    POLLWRBAND = 0x0200,
    /// <summary>POLLMSG.</summary>
    POLLMSG = 0x0400,
    /// <summary>POLLRDHUP: the peer closed its writing half.</summary>
    POLLRDHUP = 0x2000,
}
