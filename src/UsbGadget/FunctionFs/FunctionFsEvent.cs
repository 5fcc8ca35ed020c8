namespace UsbGadget.FunctionFs;

/// <summary>
/// One ep0 event: the kernel's 12-byte <c>struct usb_functionfs_event</c> (an 8-byte <c>usb_ctrlrequest</c> union,
/// a type byte and 3 padding bytes).
/// </summary>
/// <param name="Type">The event type; may be a value this library does not know (see <see cref="IsKnown"/>).</param>
/// <param name="Setup">The control request; meaningful only for <see cref="FunctionFsEventType.Setup"/>.</param>
internal readonly record struct FunctionFsEvent(FunctionFsEventType Type, ControlRequest Setup)
{
    /// <summary>Size of <c>struct usb_functionfs_event</c> in bytes.</summary>
    public const int Size = 12;

    /// <summary>The kernel queues at most four events, and one read returns at most that many.</summary>
    public const int MaxPerRead = 4;

    /// <summary><see langword="true"/> if <see cref="Type"/> is one of the types defined by the kernel ABI this library knows.</summary>
    public bool IsKnown => Type <= FunctionFsEventType.Resume;

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        FunctionFsEventType.Setup => $"SETUP {Setup}",
        _ when IsKnown => Type.ToString().ToUpperInvariant(),
        _ => $"unknown event type {(byte)Type}",
    };
}
