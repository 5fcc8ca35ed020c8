using Microsoft.Extensions.Logging;

namespace UsbGadget.Hosting.Hid;

/// <summary>HID helper log messages; event ids 4200–4229 are fixed, so alerts can key on them.</summary>
internal static partial class HidLog
{
    [LoggerMessage(4200, LogLevel.Information, "HID function '{Function}': the host selected the {Protocol} protocol")]
    public static partial void ProtocolSelected(ILogger logger, string function, HidProtocol protocol);

    [LoggerMessage(4201, LogLevel.Debug, "HID function '{Function}': the host set the idle rate of report {ReportId} to {Rate} (0 is only on change; report 0 is every report)")]
    public static partial void IdleSet(ILogger logger, string function, byte reportId, TimeSpan rate);

    [LoggerMessage(4202, LogLevel.Warning, "HID function '{Function}': ignored a {Length}-byte output report for ID {ReportId} from the OUT endpoint; the report descriptor declares no such report")]
    public static partial void OutputReportIgnored(ILogger logger, string function, int length, byte reportId);

    [LoggerMessage(4203, LogLevel.Warning, "HID function '{Function}': ignored SET_REPORT({Type}, ID {ReportId}) whose data starts with ID {DataId}")]
    public static partial void ReportIdMismatch(ILogger logger, string function, HidReportType type, byte reportId, byte dataId);

    [LoggerMessage(4204, LogLevel.Warning, "HID function '{Function}': reading an output report from the OUT endpoint failed with {Error}; reading on")]
    public static partial void OutputReadFailed(ILogger logger, string function, string error);
}
