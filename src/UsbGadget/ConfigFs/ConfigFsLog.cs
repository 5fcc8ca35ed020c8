using Microsoft.Extensions.Logging;

namespace UsbGadget.ConfigFs;

/// <summary>Log messages of the ConfigFs layer; event ids 3000-3099.</summary>
internal static partial class ConfigFsLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Creating gadget '{Gadget}' at {Path}")]
    public static partial void GadgetCreating(ILogger logger, string gadget, string path);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Gadget '{Gadget}' created with {Functions} function(s) and {Configurations} configuration(s); not bound yet")]
    public static partial void GadgetCreated(ILogger logger, string gadget, int functions, int configurations);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "mkdir {Path}")]
    public static partial void DirectoryCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "write {Path} = {Value}")]
    public static partial void AttributeWritten(ILogger logger, string path, string value);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "symlink {LinkPath} -> {Target}")]
    public static partial void SymlinkCreated(ILogger logger, string linkPath, string target);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "FunctionFS instance '{Instance}' mounted at {MountPoint}")]
    public static partial void FunctionFsMounted(ILogger logger, string instance, string mountPoint);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Using UDC '{Udc}'")]
    public static partial void UdcSelected(ILogger logger, string udc);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Binding gadget '{Gadget}' to UDC '{Udc}'")]
    public static partial void Binding(ILogger logger, string gadget, string udc);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Gadget '{Gadget}' bound to UDC '{Udc}'")]
    public static partial void Bound(ILogger logger, string gadget, string udc);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Gadget '{Gadget}' unbound")]
    public static partial void Unbound(ILogger logger, string gadget);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Removing gadget '{Gadget}'")]
    public static partial void TeardownStarting(ILogger logger, string gadget);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Teardown step '{Step}' failed for {Path}; going on: {Reason}")]
    public static partial void TeardownStepFailed(ILogger logger, string step, string path, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Gadget '{Gadget}' removed")]
    public static partial void TeardownCompleted(ILogger logger, string gadget);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "Removing gadget '{Gadget}' left {Count} failed step(s)")]
    public static partial void TeardownFailed(ILogger logger, Exception exception, string gadget, int count);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "Gadget '{Gadget}' is left over from process {Pid}, which is gone; removing it")]
    public static partial void StaleGadgetRemoving(ILogger logger, string gadget, int pid);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Attached to gadget '{Gadget}' at {Path}")]
    public static partial void Attached(ILogger logger, string gadget, string path);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning, Message = "FunctionFS mount {MountPoint} still had open files; it was detached and goes away when they close")]
    public static partial void UnmountDetached(ILogger logger, string mountPoint);

    // No exception attached: the caller gets it, and its message already says what failed and what to do; a stack trace here
    // would only bury that message in an app's console.
    [LoggerMessage(EventId = 3017, Level = LogLevel.Information, Message = "Creating gadget '{Gadget}' failed ({Error}); removing what was created")]
    public static partial void CreateFailed(ILogger logger, string gadget, ConfigFsError error);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Information, Message = "FunctionFS instance '{Instance}' already mounted at {MountPoint}; using it")]
    public static partial void FunctionFsMountFound(ILogger logger, string instance, string mountPoint);

    [LoggerMessage(EventId = 3019, Level = LogLevel.Debug, Message = "Teardown step '{Step}' {Path}")]
    public static partial void TeardownStep(ILogger logger, string step, string path);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Gadget '{Gadget}' already bound to UDC '{Udc}'")]
    public static partial void AlreadyBound(ILogger logger, string gadget, string udc);

    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Gadget '{Gadget}' set up for service uid {Uid} gid {Gid} with {FunctionCount} function(s): FunctionFS mounted for it and its UDC attribute given to it")]
    public static partial void SetUpForService(ILogger logger, string gadget, uint uid, uint gid, int functionCount);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Gadget '{Gadget}' is not there; nothing to tear down")]
    public static partial void NothingToTearDown(ILogger logger, string gadget);
}
