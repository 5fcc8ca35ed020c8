namespace UsbGadget.Descriptors;

/// <summary>Direction of an endpoint, seen from the host (USB 2.0 §9.6.6, bit 7 of bEndpointAddress).</summary>
public enum EndpointDirection
{
    /// <summary>Host to device (OUT). The function reads from the endpoint file.</summary>
    Out = 0x00,

    /// <summary>Device to host (IN). The function writes to the endpoint file.</summary>
    In = 0x80,
}

/// <summary>Transfer type of an endpoint (bits 1..0 of bmAttributes). Control is not available to functions.</summary>
public enum EndpointTransferType
{
    /// <summary>Isochronous: guaranteed bandwidth, no retries.</summary>
    Isochronous = 1,

    /// <summary>Bulk: bandwidth left over, with retries.</summary>
    Bulk = 2,

    /// <summary>Interrupt: bounded latency, with retries.</summary>
    Interrupt = 3,
}

/// <summary>Synchronization type of an isochronous endpoint (bits 3..2 of bmAttributes).</summary>
public enum IsochronousSynchronization
{
    /// <summary>No synchronization.</summary>
    None = 0,

    /// <summary>Asynchronous.</summary>
    Asynchronous = 1,

    /// <summary>Adaptive.</summary>
    Adaptive = 2,

    /// <summary>Synchronous.</summary>
    Synchronous = 3,
}

/// <summary>
/// Usage type (bits 5..4 of bmAttributes). For isochronous endpoints: data, feedback or implicit feedback.
/// For interrupt endpoints on SuperSpeed: periodic (0) or notification (1).
/// </summary>
public enum EndpointUsage
{
    /// <summary>Isochronous data endpoint, or periodic interrupt endpoint.</summary>
    Data = 0,

    /// <summary>Isochronous feedback endpoint, or notification interrupt endpoint (USB 3.x; written in the SuperSpeed descriptor only).</summary>
    Feedback = 1,

    /// <summary>Isochronous implicit feedback data endpoint.</summary>
    ImplicitFeedbackData = 2,
}
