namespace UsbGadget.Descriptors;

/// <summary>Run-time inputs to the FunctionFS descriptor blob that are not part of the function's description.</summary>
public sealed record FunctionFsWriterOptions
{
    /// <summary>bcdVersion 0x0001, which every kernel with FunctionFS OS descriptor support accepts.</summary>
    public const ushort MicrosoftOsBcdVersionLegacy = 0x0001;

    /// <summary>bcdVersion 0x0100, the value the Microsoft specification means, expected by kernels from 6.4 on.</summary>
    public const ushort MicrosoftOsBcdVersion1_0 = 0x0100;

    /// <summary>
    /// An eventfd number to put in the header: sets FUNCTIONFS_EVENTFD so the kernel signals the eventfd on every ep0
    /// event. Null writes no eventfd field.
    /// </summary>
    /// <remarks>
    /// Defaults to null. Whether to use an eventfd is a run-time decision, not part of the function: kernels before
    /// 5.16 could underflow the eventfd's reference count at teardown and panic, so on those watch ep0 with
    /// IOCB_CMD_POLL or a reader thread instead. The FunctionFS layer makes that choice and inserts the field itself.
    /// </remarks>
    public int? EventFd { get; init; }

    /// <summary>bcdVersion written in every MS OS descriptor header (struct usb_os_desc_header).</summary>
    /// <remarks>
    /// Defaults to <see cref="MicrosoftOsBcdVersionLegacy"/> (0x0001). f_fs.c first accepted only 1 (a misreading of
    /// "1.00"); kernels from 6.4 expect 0x0100 and accept 0x0001 with a warning in the kernel log. Older kernels reject
    /// 0x0100 with EINVAL (seen on Debian's 6.1.0-56). 0x0001 therefore works everywhere; pass
    /// <see cref="MicrosoftOsBcdVersion1_0"/> on 6.4 or later to avoid the warning. The value never reaches the host:
    /// the gadget core builds the host-visible header itself.
    /// </remarks>
    public ushort MicrosoftOsBcdVersion { get; init; } = MicrosoftOsBcdVersionLegacy;
}
