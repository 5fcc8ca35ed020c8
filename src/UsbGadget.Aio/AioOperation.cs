namespace UsbGadget.Aio;

/// <summary>What an <see cref="AioBlock"/> asks the kernel to do (IOCB_CMD_*).</summary>
public enum AioOperation
{
    /// <summary>IOCB_CMD_PREAD: read into one buffer at an offset.</summary>
    Read,
    /// <summary>IOCB_CMD_PWRITE: write from one buffer at an offset.</summary>
    Write,
    /// <summary>IOCB_CMD_PREADV: read into several buffers.</summary>
    ReadVector,
    /// <summary>IOCB_CMD_PWRITEV: write from several buffers.</summary>
    WriteVector,
    /// <summary>IOCB_CMD_FSYNC: flush data and metadata.</summary>
    Fsync,
    /// <summary>IOCB_CMD_FDSYNC: flush data (and the metadata needed to read it back).</summary>
    Fdsync,
    /// <summary>IOCB_CMD_POLL: complete when the file becomes ready; the result is the event mask. Cancellable.</summary>
    Poll,
    /// <summary>IOCB_CMD_NOOP. Defined in aio_abi.h but never implemented by Linux: io_submit refuses it with EINVAL.</summary>
    Noop,
}
