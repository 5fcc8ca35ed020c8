namespace UsbGadget.Hosting;

/// <summary>
/// The exit codes of <c>RunGadgetAsync</c>, for scripts and service managers. A systemd unit can keep restarting on
/// <see cref="StartFailed"/> and <see cref="FunctionFailed"/> and stop on <see cref="InvalidConfiguration"/>
/// (<c>RestartPreventExitStatus=2</c>), which no restart can fix.
/// </summary>
public static class GadgetExitCodes
{
    /// <summary>Stopped cleanly (SIGTERM, Ctrl+C, or the app asked to stop).</summary>
    public const int Success = 0;

    /// <summary>The gadget could not start: not root, no UDC, configfs not mounted, the UDC busy, a function described wrongly.</summary>
    public const int StartFailed = 1;

    /// <summary>The configuration is wrong or cannot be read: a bad setting, an unreadable app directory or settings file.</summary>
    public const int InvalidConfiguration = 2;

    /// <summary>A function's <c>RunAsync</c> threw and <see cref="UsbGadgetOptions.OnFunctionFailure"/> stops the app.</summary>
    public const int FunctionFailed = 3;
}
