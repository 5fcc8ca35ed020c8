namespace UsbGadget.FunctionFs;

/// <summary>
/// The kernel's <c>enum usb_functionfs_event_type</c>: what an ep0 event reports.
/// </summary>
/// <remarks>
/// Values outside the defined range can appear only if a newer kernel adds event types; the parser reports them
/// with <see cref="FunctionFsEvent.IsKnown"/> set to <see langword="false"/> instead of failing.
/// </remarks>
internal enum FunctionFsEventType : byte
{
    /// <summary><c>FUNCTIONFS_BIND</c>: the function was bound to a UDC (the gadget's UDC attribute was written).</summary>
    Bind = 0,
    /// <summary><c>FUNCTIONFS_UNBIND</c>: the function was unbound from its UDC.</summary>
    Unbind = 1,
    /// <summary><c>FUNCTIONFS_ENABLE</c>: the host selected a configuration (or alternate setting); endpoints are usable.</summary>
    Enable = 2,
    /// <summary><c>FUNCTIONFS_DISABLE</c>: the configuration was cleared, the bus reset or the host disconnected.</summary>
    Disable = 3,
    /// <summary><c>FUNCTIONFS_SETUP</c>: a control request for this function is waiting for an answer on ep0.</summary>
    Setup = 4,
    /// <summary><c>FUNCTIONFS_SUSPEND</c>: the bus was suspended.</summary>
    Suspend = 5,
    /// <summary><c>FUNCTIONFS_RESUME</c>: the bus resumed.</summary>
    Resume = 6,
}
