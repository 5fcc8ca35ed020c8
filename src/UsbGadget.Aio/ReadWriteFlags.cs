namespace UsbGadget.Aio;

/// <summary>RWF_* flags for <see cref="AioBlock.RwFlags"/> (include/uapi/linux/fs.h; the same on every architecture).</summary>
[Flags]
public enum ReadWriteFlags
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>RWF_HIPRI: high-priority request, polled if possible.</summary>
    HighPriority = 0x01,
    /// <summary>RWF_DSYNC: per-request O_DSYNC.</summary>
    DataSync = 0x02,
    /// <summary>RWF_SYNC: per-request O_SYNC.</summary>
    Sync = 0x04,
    /// <summary>RWF_NOWAIT: fail with EAGAIN instead of blocking in submission.</summary>
    NoWait = 0x08,
    /// <summary>RWF_APPEND: per-request O_APPEND.</summary>
    Append = 0x10,
}
