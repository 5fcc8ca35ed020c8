namespace UsbGadget.FunctionFs;

/// <summary>The outcome of an endpoint operation. Only <see cref="Ok"/> carries data.</summary>
public enum EndpointStatus
{
    /// <summary>Done: data received, or queued for sending.</summary>
    Ok,
    /// <summary>
    /// The endpoint is disabled (not configured yet, configuration changed, bus reset or disconnect). Expected, not an
    /// error: wait for <see cref="FunctionFsFunction.WhenEnabledAsync"/> and continue.
    /// </summary>
    Disabled,
    /// <summary>The transfer failed with <see cref="OutTransfer.Error"/> (for example EOVERFLOW when the host sent more than a read asked for).</summary>
    Failed,
    /// <summary>The function is stopping or stopped; no more data will come.</summary>
    Stopped,
}
