using Microsoft.Extensions.Logging;

namespace UsbGadget.FunctionFs;

/// <summary>Log messages of the FunctionFS layer. Event ids 2000–2099 are reserved for it and never reused; 5000–5009 for kernel workarounds.</summary>
internal static partial class FunctionFsLog
{
    // ---- ep0 events: 2000-2009
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "{Function}: ep0 event {Event}")]
    public static partial void Ep0Event(ILogger logger, string function, FunctionFsEvent @event);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Function}: ep0 event of unknown type {Type} ignored (a newer kernel than this library knows?)")]
    public static partial void UnknownEvent(ILogger logger, string function, byte type);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "{Function}: ep0 read returned {Length} bytes, not a whole number of 12-byte usb_functionfs_event records; dropped")]
    public static partial void MalformedEventRead(ILogger logger, string function, int length);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "{Function}: ep0 events via {Strategy} (kernel {KernelRelease})")]
    public static partial void Ep0WaitStrategy(ILogger logger, string function, Ep0WaitStrategy strategy, string kernelRelease);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "{Function}: reading ep0 events failed: {Error}")]
    public static partial void Ep0ReadFailed(ILogger logger, string function, string error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Critical, Message = "{Function}: the ep0 loop failed; control requests are no longer answered")]
    public static partial void Ep0LoopFailed(ILogger logger, string function, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "{Function}: an event observer threw while handling {Event}")]
    public static partial void ObserverFailed(ILogger logger, string function, FunctionFsEvent @event, Exception exception);

    // ---- control requests: 2010-2029
    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Control request {Request}")]
    public static partial void ControlRequestReceived(ILogger logger, ControlRequest request);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Control request {Request} not handled: stalling")]
    public static partial void ControlUnhandled(ILogger logger, ControlRequest request);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Debug, Message = "Control request {Request} stalled")]
    public static partial void ControlStalled(ILogger logger, ControlRequest request);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "Control request handler threw for {Request}: stalling")]
    public static partial void ControlHandlerFailed(ILogger logger, ControlRequest request, Exception exception);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Control request {Request} was superseded by a newer ep0 event before it was answered (EIDRM)")]
    public static partial void ControlSuperseded(ILogger logger, ControlRequest request);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning, Message = "Control request {Request}: no setup pending when trying to {Operation} (ESRCH); the kernel already completed or cancelled it")]
    public static partial void ControlNoSetupPending(ILogger logger, ControlRequest request, string operation);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Error, Message = "Control request {Request}: ep0 {Operation} failed: {Error}")]
    public static partial void ControlIoFailed(ILogger logger, ControlRequest request, string operation, string error);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Warning, Message = "Control request {Request}: the handler answered {Kind} after the OUT data stage, when the transfer had already completed; it stays accepted. Refuse OUT data in AcceptsOutData instead")]
    public static partial void ControlLateDecision(ILogger logger, ControlRequest request, ControlResponseKind kind);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Warning, Message = "Control request {Request}: the handler returned data for a host-to-device request; stalling")]
    public static partial void ControlDataOnOutRequest(ILogger logger, ControlRequest request);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Debug, Message = "Control request {Request}: {Length}-byte answer truncated to wLength")]
    public static partial void ControlDataTruncated(ILogger logger, ControlRequest request, int length);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Error, Message = "Control request {Request}: ep0 accepted the stalling I/O instead of failing with EL2HLT; the host may not have seen a stall")]
    public static partial void ControlStallNotHonoured(ILogger logger, ControlRequest request);

    // ---- lifecycle: 2030-2039
    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "{Function}: {From} -> {To}")]
    public static partial void StateChanged(ILogger logger, string function, FunctionFsState from, FunctionFsState to);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Debug, Message = "{Function}: event {Event} in state {State} changes nothing")]
    public static partial void EventIgnored(ILogger logger, string function, FunctionFsEventType @event, FunctionFsState state);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Information, Message = "{Function}: descriptors and strings written to {Path}; {EndpointCount} endpoint file(s)")]
    public static partial void DescriptorsWritten(ILogger logger, string function, string path, int endpointCount);

    // ---- endpoints: 2040-2069
    [LoggerMessage(EventId = 2040, Level = LogLevel.Debug, Message = "{Endpoint}: enabled at address 0x{Address:x2}, wMaxPacketSize {MaxPacketSize}")]
    public static partial void EndpointEnabled(ILogger logger, string endpoint, byte address, int maxPacketSize);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Error, Message = "{Endpoint}: the kernel's endpoint descriptor (address 0x{ActualAddress:x2}, attributes 0x{ActualAttributes:x2}) does not match the declared one (address 0x{ExpectedAddress:x2}, attributes 0x{ExpectedAttributes:x2}); check that the endpoint list is in descriptor order")]
    public static partial void EndpointDescriptorMismatch(ILogger logger, string endpoint, byte actualAddress, byte actualAttributes, byte expectedAddress, byte expectedAttributes);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Debug, Message = "{Endpoint}: disabled ({Reason})")]
    public static partial void EndpointDisabled(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 2043, Level = LogLevel.Warning, Message = "{Endpoint}: transfer failed: {Error}")]
    public static partial void EndpointTransferFailed(ILogger logger, string endpoint, string error);

    [LoggerMessage(EventId = 2044, Level = LogLevel.Warning, Message = "{Endpoint}: submitting a transfer failed: {Error}")]
    public static partial void EndpointSubmitFailed(ILogger logger, string endpoint, string error);

    [LoggerMessage(EventId = 2045, Level = LogLevel.Debug, Message = "{Endpoint}: all {Count} buffer(s) are back")]
    public static partial void EndpointDrained(ILogger logger, string endpoint, int count);

    [LoggerMessage(EventId = 2048, Level = LogLevel.Information, Message = "{Endpoint}: dropped {Count} read(s), {Bytes} bytes, that the host sent before it reset the endpoint and that were not read in time")]
    public static partial void EndpointStaleReadsDiscarded(ILogger logger, string endpoint, int count, long bytes);

    [LoggerMessage(EventId = 2049, Level = LogLevel.Debug, Message = "{Endpoint}: the kernel ended a transfer with {Error}: it disabled the endpoint (bus reset, SET_CONFIGURATION or unbind); no more I/O until the next ENABLE")]
    public static partial void EndpointDisabledByKernel(ILogger logger, string endpoint, string error);

    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "{Endpoint}: {Count} read(s) that completed after the host reset the endpoint, before the new ENABLE was read, go to the new enable cycle")]
    public static partial void EndpointReadsCarriedOver(ILogger logger, string endpoint, int count);

    [LoggerMessage(EventId = 2046, Level = LogLevel.Information, Message = "{Endpoint}: halted on request")]
    public static partial void EndpointHalted(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2047, Level = LogLevel.Warning, Message = "{Endpoint}: FUNCTIONFS_ENDPOINT_DESC failed: {Error}; using the declared wMaxPacketSize {MaxPacketSize}")]
    public static partial void EndpointDescriptorUnavailable(ILogger logger, string endpoint, string error, int maxPacketSize);

    // ---- kernel workarounds: 5000-5009
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "{Function}: dummy_hcd on kernel {KernelRelease} sends a queued zero-length packet ahead of data its bandwidth budget cut short (fixed in 6.1.168, 6.12.81, 6.18.22 and 7.0); a bulk IN write that fills its last packet queues its zero-length packet once its data is sent")]
    public static partial void ZeroLengthPacketWaitsForData(ILogger logger, string function, string kernelRelease);
}
