namespace UsbGadget.FunctionFs;

/// <summary>
/// Lifecycle of a FunctionFS function, driven by ep0 events:
/// <c>Created → DescriptorsWritten → Bound → Enabled ⇄ Disabled → Unbound → Disposed</c>.
/// </summary>
public enum FunctionFsState
{
    /// <summary>ep0 is open; descriptors are not written yet.</summary>
    Created,
    /// <summary>Descriptors and strings are written and the endpoint files exist; waiting for the gadget to be bound to a UDC.</summary>
    DescriptorsWritten,
    /// <summary>Bound to a UDC; the host has not selected a configuration yet.</summary>
    Bound,
    /// <summary>The host configured the device: endpoints are usable.</summary>
    Enabled,
    /// <summary>Configuration cleared, bus reset or cable pulled: transfers end with ESHUTDOWN until the next ENABLE.</summary>
    Disabled,
    /// <summary>Unbound from the UDC. A new BIND may follow if the gadget is bound again.</summary>
    Unbound,
    /// <summary>Stopped: every buffer is back and the files are closed.</summary>
    Disposed,
}

/// <summary>
/// The transition function of <see cref="FunctionFsState"/>. Pure, so every path can be tested.
/// </summary>
/// <remarks>
/// The kernel coalesces queued events (f_fs.c <c>__ffs_event_add</c>): BIND, UNBIND, ENABLE and DISABLE discard every
/// unread event other than SUSPEND/RESUME. An ENABLE can therefore arrive without the BIND before it, and a BIND
/// without the UNBIND before it; the transitions accept that. A repeated ENABLE (a new SET_CONFIGURATION or
/// SET_INTERFACE) is real: the kernel disabled and re-enabled the endpoints in between.
/// </remarks>
internal static class FunctionFsStateMachine
{
    /// <summary>The state after <paramref name="event"/>; the same state when the event changes nothing.</summary>
    public static FunctionFsState Next(FunctionFsState state, FunctionFsEventType @event)
    {
        if (state is FunctionFsState.Created or FunctionFsState.Disposed)
        {
            // No events before the descriptors are written (ep0 reads fail with EBADFD), none after disposal.
            return state;
        }

        return @event switch
        {
            FunctionFsEventType.Bind => FunctionFsState.Bound,
            FunctionFsEventType.Enable => FunctionFsState.Enabled,
            FunctionFsEventType.Disable => state == FunctionFsState.Unbound ? state : FunctionFsState.Disabled,
            FunctionFsEventType.Unbind => state == FunctionFsState.DescriptorsWritten ? state : FunctionFsState.Unbound,
            _ => state, // SETUP, SUSPEND, RESUME and unknown types do not change the lifecycle.
        };
    }

    /// <summary>
    /// <see langword="true"/> when the endpoint queues must stop (their transfers end with ESHUTDOWN) on
    /// <paramref name="event"/>: everything that leaves or re-enters <see cref="FunctionFsState.Enabled"/>.
    /// </summary>
    public static bool StopsEndpoints(FunctionFsEventType @event)
        => @event is FunctionFsEventType.Enable or FunctionFsEventType.Disable or FunctionFsEventType.Bind or FunctionFsEventType.Unbind;

    /// <summary>Marks the descriptors as written; only valid from <see cref="FunctionFsState.Created"/>.</summary>
    public static FunctionFsState DescriptorsWritten(FunctionFsState state)
        => state == FunctionFsState.Created
            ? FunctionFsState.DescriptorsWritten
            : throw new InvalidOperationException($"Descriptors can be written only once, in state {FunctionFsState.Created}; the function is {state}.");
}
