using System.Diagnostics.Metrics;

namespace UsbGadget.FunctionFs;

/// <summary>
/// Endpoint instruments under the meter <c>UsbGadget</c>, tagged with the endpoint file's path:
/// <c>dotnet-counters monitor -n MyGadget --counters UsbGadget</c> shows a live gadget's traffic.
/// </summary>
internal static class FunctionFsMetrics
{
    public const string MeterName = "UsbGadget";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_bytes = s_meter.CreateCounter<long>(
        "usbgadget.endpoint.bytes", "By", "Bytes moved through an endpoint (completed AIO transfers).");
    private static readonly Counter<long> s_transfers = s_meter.CreateCounter<long>(
        "usbgadget.endpoint.transfers", "{transfer}", "Completed AIO transfers on an endpoint.");
    private static readonly Counter<long> s_errors = s_meter.CreateCounter<long>(
        "usbgadget.endpoint.errors", "{transfer}", "Transfers that failed for a reason other than disable, disconnect or cancel.");

    // The tag value is the endpoint's path string, so recording allocates nothing on the data path.
    public static void Completed(string endpoint, long bytes)
    {
        // Nothing listens in most deployments: skip building the tag and walking two instruments per transfer.
        if (!s_transfers.Enabled && !s_bytes.Enabled)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        s_transfers.Add(1, tag);
        s_bytes.Add(bytes, tag);
    }

    public static void Failed(string endpoint) => s_errors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
}
