using Microsoft.Extensions.Logging;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>Hosting log messages; event ids 4000–4149 are fixed, so alerts can key on them.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(4000, LogLevel.Information, "Starting gadget '{Gadget}' ({Mode}) with {Count} function(s): {Functions}")]
    public static partial void Starting(ILogger logger, string gadget, GadgetMode mode, int count, string functions);

    [LoggerMessage(4001, LogLevel.Information, "Gadget '{Gadget}' bound to UDC {Udc}; waiting for the host to enumerate it")]
    public static partial void Bound(ILogger logger, string gadget, string udc);

    [LoggerMessage(4002, LogLevel.Information, "Gadget '{Gadget}' enumerated: every function is enabled by the host")]
    public static partial void Enumerated(ILogger logger, string gadget);

    [LoggerMessage(4003, LogLevel.Information, "Function '{Function}' enabled by the host (time {Count}); running it")]
    public static partial void FunctionEnabled(ILogger logger, string function, int count);

    [LoggerMessage(4004, LogLevel.Information, "Function '{Function}' {State}; stopping its work until the host enables it again")]
    public static partial void FunctionDisabled(ILogger logger, string function, FunctionFsState state);

    [LoggerMessage(4006, LogLevel.Warning, "Function '{Function}' did not finish within {Timeout} after being stopped")]
    public static partial void FunctionStopTimedOut(ILogger logger, string function, TimeSpan timeout);

    [LoggerMessage(4007, LogLevel.Information, "Stopping gadget '{Gadget}'")]
    public static partial void Stopping(ILogger logger, string gadget);

    [LoggerMessage(4008, LogLevel.Information, "Gadget '{Gadget}' stopped and torn down in {Milliseconds} ms")]
    public static partial void Stopped(ILogger logger, string gadget, long milliseconds);

    [LoggerMessage(4009, LogLevel.Warning, "Teardown step failed: {Step}: {Message}")]
    public static partial void TeardownStepFailed(ILogger logger, string step, string message);

    [LoggerMessage(4010, LogLevel.Critical, "Gadget '{Gadget}' could not start: {Message}")]
    public static partial void StartFailed(ILogger logger, string gadget, string message);

    [LoggerMessage(4011, LogLevel.Debug, "systemd notification '{State}' sent")]
    public static partial void SystemdNotified(ILogger logger, string state);

    [LoggerMessage(4012, LogLevel.Warning, "systemd notification '{State}' could not be sent: {Message}")]
    public static partial void SystemdNotifyFailed(ILogger logger, string state, string message);

    [LoggerMessage(4013, LogLevel.Information, "Function '{Function}': bus {Event}")]
    public static partial void BusEvent(ILogger logger, string function, string @event);

    [LoggerMessage(5300, LogLevel.Warning, "Gadget '{Gadget}' has not been configured by a host within {Timeout}: UDC {Udc} is '{State}'. Plug the board's device (OTG) port into a host, with a data cable; still waiting")]
    public static partial void NotConfigured(ILogger logger, string gadget, TimeSpan timeout, string udc, string state);

    [LoggerMessage(5301, LogLevel.Information, "Gadget '{Gadget}' configured by the host: UDC {Udc} is 'configured'")]
    public static partial void Configured(ILogger logger, string gadget, string udc);

    [LoggerMessage(5302, LogLevel.Information, "Gadget '{Gadget}' described to {Target} (endpoint numbers from UDC {Udc}); configfs untouched, stopping")]
    public static partial void Described(ILogger logger, string gadget, string target, string udc);

    [LoggerMessage(4100, LogLevel.Error, "Function '{Function}' failed: {Error}. Failure {Failures} in a row (limit {Limit}); running it again in {Delay}")]
    public static partial void FunctionFailedRestarting(ILogger logger, string function, string error, int failures, int limit, TimeSpan delay);

    [LoggerMessage(4101, LogLevel.Critical, "Function '{Function}' failed: {Error}. Stopping the app with exit code {ExitCode} ({Reason})")]
    public static partial void FunctionFailedStopping(ILogger logger, string function, string error, int exitCode, string reason);

    [LoggerMessage(4102, LogLevel.Debug, "Function '{Function}' failed; the exception")]
    public static partial void FunctionFailureDetails(ILogger logger, string function, Exception exception);

    [LoggerMessage(4103, LogLevel.Information, "Gadget '{Gadget}' is {Ids} '{Manufacturer}' '{Product}'; settings read from {ContentRoot}")]
    public static partial void Identity(ILogger logger, string gadget, string ids, string manufacturer, string product, string contentRoot);

    [LoggerMessage(4104, LogLevel.Information, "Function '{Function}' is FunctionFS instance '{Instance}'")]
    public static partial void FunctionInstance(ILogger logger, string function, string instance);

    [LoggerMessage(5210, LogLevel.Information, "Gadget '{Gadget}' set up for service user '{User}' (uid {Uid}, gid {Gid}); start the app as that user with UsbGadget:Mode=Attach")]
    public static partial void SetUpForService(ILogger logger, string gadget, string user, uint uid, uint gid);

    [LoggerMessage(5211, LogLevel.Information, "Teardown step: gadget '{Gadget}' {Outcome}")]
    public static partial void TornDownForService(ILogger logger, string gadget, string outcome);
}
