using Microsoft.Extensions.Logging;
using UsbGadget.Descriptors;
using UsbGadget.Linux;

namespace UsbGadget.FunctionFs;

/// <summary>The endpoint descriptor the kernel uses at the current speed (FUNCTIONFS_ENDPOINT_DESC).</summary>
/// <param name="Address">bEndpointAddress as the UDC assigned it (direction in bit 7).</param>
/// <param name="Attributes">bmAttributes: transfer type in bits 1..0.</param>
/// <param name="MaxPacketSize">wMaxPacketSize, including the high-bandwidth bits 12..11 if any.</param>
/// <param name="Interval">bInterval.</param>
public readonly record struct EndpointDescriptorInfo(byte Address, byte Attributes, ushort MaxPacketSize, byte Interval)
{
    /// <summary>The packet size proper (bits 10..0 of wMaxPacketSize).</summary>
    public int PacketSize => MaxPacketSize & 0x7ff;

    /// <summary>Transfer type from bits 1..0 of bmAttributes (0 would be control).</summary>
    public EndpointTransferType TransferType => (EndpointTransferType)(Attributes & 0x3);

    /// <summary>Direction from bit 7 of the address.</summary>
    public EndpointDirection Direction => (EndpointDirection)(Address & 0x80);
}

/// <summary>
/// One FunctionFS endpoint file (<c>epN</c>, in descriptor order), with its ioctls. Data moves through
/// <see cref="OutEndpoint"/> and <see cref="InEndpoint"/>.
/// </summary>
public abstract class EndpointFile
{
    private protected EndpointFile(string path, UnixFileHandle file, FunctionFsEndpoint declared, IEndpointIo io, ILogger logger)
    {
        Io = io;
        Name = declared.FileName;
        Path = path;
        File = file;
        Declared = declared;
        Logger = logger;
    }

    /// <summary>The file name: <c>ep1</c>..<c>epN</c> in descriptor order (<c>ep81</c> style with virtual addresses).</summary>
    public string Name { get; }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The endpoint as declared in the descriptors.</summary>
    public FunctionFsEndpoint Declared { get; }

    /// <summary>The descriptor the kernel reported at the last ENABLE, or null before the first one.</summary>
    public EndpointDescriptorInfo? Current { get; private protected set; }

    /// <summary>The declared max packet size at high speed (else full, else SuperSpeed; 64 if none is declared).</summary>
    private protected int DeclaredPacketSize =>
        Math.Max(1, (Declared.HighSpeed ?? Declared.FullSpeed ?? Declared.SuperSpeed)?.MaxPacketSize ?? 64);

    /// <summary>Whether the endpoint is enabled (the host configured the function and it was not disabled since).</summary>
    public abstract bool IsEnabled { get; }

    internal UnixFileHandle File { get; }

    /// <summary>
    /// DISABLE, UNBIND or a new ENABLE (or, with <paramref name="generation"/>, the kernel's reset seen on another
    /// endpoint of that enable cycle): no more I/O until the next ENABLE; a waiting reader or writer is woken.
    /// </summary>
    internal abstract void Disable(string reason, int? generation = null);

    /// <summary>
    /// Called, outside the endpoint's lock, with the enable cycle in which the kernel ended a transfer of this endpoint
    /// with ESHUTDOWN, ECONNRESET or EAGAIN: the kernel has disabled the function's endpoints (bus reset,
    /// SET_CONFIGURATION, unbind) and may enable them again before the DISABLE event can even be read.
    /// </summary>
    internal Action<int>? KernelDisabled { get; set; }

    private protected ILogger Logger { get; }

    private protected IEndpointIo Io { get; }

    /// <summary>
    /// Held around every submission and around <see cref="Halt"/>: the file is non-blocking, so two of them meeting on
    /// the kernel's endpoint mutex would fail one with EAGAIN, which must only ever mean "the endpoint is disabled".
    /// </summary>
    private protected Lock Gate { get; } = new();

    /// <summary>
    /// FUNCTIONFS_FIFO_STATUS: bytes sitting unclaimed in the endpoint FIFO (for precise fault handling).
    /// Many UDCs (dummy_hcd among them) do not implement it and fail with EOPNOTSUPP.
    /// </summary>
    /// <exception cref="LinuxIOException">The UDC does not support it (EOPNOTSUPP), the endpoint is not enabled (EAGAIN) or disabled (ESHUTDOWN).</exception>
    public int GetFifoStatus() => Ioctl(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_STATUS, 0, "FUNCTIONFS_FIFO_STATUS");

    /// <summary>FUNCTIONFS_FIFO_FLUSH: discards unclaimed data in the endpoint FIFO.</summary>
    /// <exception cref="LinuxIOException">The endpoint is not enabled (EAGAIN) or was disabled (ESHUTDOWN).</exception>
    public void FlushFifo() => Ioctl(Interop.FunctionFsIoctl.FUNCTIONFS_FIFO_FLUSH, 0, "FUNCTIONFS_FIFO_FLUSH");

    /// <summary>FUNCTIONFS_CLEAR_HALT: clears a halt and resets the data toggle.</summary>
    /// <exception cref="LinuxIOException">The UDC refused, the endpoint is not enabled (EAGAIN) or was disabled (ESHUTDOWN).</exception>
    public void ClearHalt() => Ioctl(Interop.FunctionFsIoctl.FUNCTIONFS_CLEAR_HALT, 0, "FUNCTIONFS_CLEAR_HALT");

    /// <summary>FUNCTIONFS_ENDPOINT_REVMAP: the kernel's <c>ffs_ep.num</c> for this file, as the kernel returns it.</summary>
    /// <remarks>
    /// On Linux 6.1 with dummy_hcd this returned 255: f_fs initialises the field to -1 and never sets it there. Use
    /// <see cref="GetDescriptor"/> for the address the UDC really assigned.
    /// </remarks>
    /// <exception cref="LinuxIOException">The endpoint is not enabled (EAGAIN) or was disabled (ESHUTDOWN).</exception>
    public int GetKernelEndpointNumber() => Ioctl(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_REVMAP, 0, "FUNCTIONFS_ENDPOINT_REVMAP");

    /// <summary>FUNCTIONFS_ENDPOINT_DESC: the endpoint descriptor in use at the current speed.</summary>
    /// <exception cref="LinuxIOException">The endpoint is not enabled (EAGAIN) or was disabled (ESHUTDOWN).</exception>
    public EndpointDescriptorInfo GetDescriptor()
    {
        Errno errno = TryGetDescriptor(out EndpointDescriptorInfo info);
        if (errno != Errno.None)
        {
            throw new LinuxIOException($"ioctl({Path}, FUNCTIONFS_ENDPOINT_DESC)", errno, Hint(errno));
        }

        return info;
    }

    /// <summary>
    /// Halts the endpoint on purpose (the host sees STALL until it clears the halt): f_fs halts an endpoint on I/O in
    /// the wrong direction, a read on IN or a write on OUT, and reports it with EBADMSG.
    /// </summary>
    /// <exception cref="LinuxIOException">
    /// The halt was not set: EAGAIN when the endpoint is not enabled or (on some UDCs) IN transfers are still queued;
    /// ESHUTDOWN when it was disabled.
    /// </exception>
    public void Halt()
    {
        for (int attempt = 0; ; attempt++)
        {
            Errno errno;
            lock (Gate)
            {
                // Gate keeps this endpoint's own submissions away; the engine holds back a batch it would submit meanwhile.
                errno = Io.RunExclusive(static endpoint => endpoint.TryHaltIo(), this);
            }

            if (errno == Errno.EBADMSG)
            {
                FunctionFsLog.EndpointHalted(Logger, Name);
                return;
            }

            // EAGAIN: the kernel has not enabled the endpoint (yet); worth a few retries only while we think it is.
            if (errno == Errno.EAGAIN && IsEnabled && attempt < 100)
            {
                Thread.Sleep(1);
                continue;
            }

            throw new LinuxIOException(
                $"{(Declared.Direction == EndpointDirection.In ? "read" : "write")}({Path}) to halt the endpoint",
                errno == Errno.None ? Errno.EIO : errno,
                errno == Errno.None ? "the kernel transferred data instead of halting; the endpoint direction does not match the descriptors" : Hint(errno));
        }
    }

    /// <summary>I/O in the wrong direction, which f_fs answers by halting the endpoint (EBADMSG).</summary>
    private Errno TryHaltIo()
    {
        Span<byte> scratch = stackalloc byte[1];
        return Declared.Direction == EndpointDirection.In
            ? File.TryRead(scratch, out _)
            : File.TryWrite(scratch, out _);
    }

    internal unsafe Errno TryGetDescriptor(out EndpointDescriptorInfo info)
    {
        Interop.usb_endpoint_descriptor descriptor = default;
        Errno errno = File.TryIoctl(Interop.FunctionFsIoctl.FUNCTIONFS_ENDPOINT_DESC, (nint)(&descriptor), out _);
        info = errno == Errno.None
            ? new EndpointDescriptorInfo(descriptor.bEndpointAddress, descriptor.bmAttributes, descriptor.wMaxPacketSize, descriptor.bInterval)
            : default;
        return errno;
    }

    /// <summary>Reads the kernel's descriptor at ENABLE and checks it against the declaration.</summary>
    /// <returns>The packet size to size transfers with.</returns>
    internal int VerifyAtEnable()
    {
        Errno errno = TryGetDescriptor(out EndpointDescriptorInfo info);
        if (errno != Errno.None)
        {
            int fallback = (Declared.HighSpeed ?? Declared.FullSpeed ?? Declared.SuperSpeed)?.MaxPacketSize ?? 64;
            FunctionFsLog.EndpointDescriptorUnavailable(Logger, Name, errno.Describe(), fallback);
            return fallback;
        }

        Current = info;
        byte expectedAttributes = (byte)Declared.Type;
        if (info.Direction != Declared.Direction || (info.Attributes & 0x3) != expectedAttributes)
        {
            // The UDC may renumber endpoints, so only direction and type must match.
            FunctionFsLog.EndpointDescriptorMismatch(Logger, Name, info.Address, info.Attributes, Declared.Address, expectedAttributes);
        }

        FunctionFsLog.EndpointEnabled(Logger, Name, info.Address, info.PacketSize);
        return Math.Max(1, info.PacketSize);
    }

    private int Ioctl(uint request, nint argument, string name)
    {
        Errno errno = File.TryIoctl(request, argument, out int result);
        if (errno != Errno.None)
        {
            throw new LinuxIOException($"ioctl({Path}, {name})", errno, Hint(errno));
        }

        return result;
    }

    private static string? Hint(Errno errno) => errno switch
    {
        Errno.EAGAIN => "the endpoint is not enabled: wait for the host to configure the device (FunctionFsFunction.WhenEnabledAsync)",
        Errno.ESHUTDOWN => "the endpoint was disabled (configuration change, bus reset or disconnect)",
        Errno.ENODEV => "the function is not active: its descriptors are gone or ep0 was closed",
        Errno.EOPNOTSUPP => "this UDC does not implement the operation",
        _ => null,
    };
}
