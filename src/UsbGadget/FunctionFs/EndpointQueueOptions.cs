using System.Globalization;

namespace UsbGadget.FunctionFs;

/// <summary>
/// How many AIO requests each endpoint keeps queued and how large each one is: the one declaration and the one rule set
/// of these settings, shared by <see cref="FunctionFsOptions.Endpoints"/> and the hosting layer's <c>UsbGadget:Endpoints</c>.
/// </summary>
public sealed class EndpointQueueOptions
{
    /// <summary>The most reads or writes kept queued on one endpoint.</summary>
    public const int MaxQueueDepth = 256;

    /// <summary>The largest transfer size, in bytes.</summary>
    public const int MaxTransferSize = 1024 * 1024;

    /// <summary>Transfer sizes are multiples of this, in bytes.</summary>
    /// <remarks>
    /// 1024 is a multiple of every bulk and interrupt wMaxPacketSize (8 to 1024), so an OUT read never ends inside a packet
    /// (some UDCs lose data then) and an IN buffer never splits one.
    /// </remarks>
    public const int TransferSizeUnit = 1024;

    /// <summary>Number of reads kept queued on each OUT endpoint, 1 to <see cref="MaxQueueDepth"/>.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int OutQueueDepth { get; set; } = 8;

    /// <summary>
    /// Size of each read on an OUT endpoint, in bytes: a multiple of <see cref="TransferSizeUnit"/> up to
    /// <see cref="MaxTransferSize"/>.
    /// </summary>
    /// <remarks>Defaults to 16384, the size adbd settled on because some controllers fail above it.</remarks>
    public int OutTransferSize { get; set; } = 16384;

    /// <summary>
    /// Number of writes that may be in flight on each IN endpoint before <c>WriteAsync</c> waits, 1 to
    /// <see cref="MaxQueueDepth"/>.
    /// </summary>
    /// <remarks>Defaults to 8.</remarks>
    public int InQueueDepth { get; set; } = 8;

    /// <summary>
    /// Size of each write buffer on an IN endpoint, in bytes: a multiple of <see cref="TransferSizeUnit"/> up to
    /// <see cref="MaxTransferSize"/>. Longer writes are split.
    /// </summary>
    /// <remarks>Defaults to 16384.</remarks>
    public int InTransferSize { get; set; } = 16384;

    /// <summary>Checks every setting.</summary>
    /// <param name="settingPrefix">Put before each setting's name in the messages, such as <c>UsbGadget:Endpoints:</c>.</param>
    /// <returns>One message per wrong setting, naming it, its value and what a valid one looks like; empty when all are valid.</returns>
    public IReadOnlyList<string> GetValidationErrors(string settingPrefix)
    {
        ArgumentNullException.ThrowIfNull(settingPrefix);
        var problems = new List<string>();
        CheckDepth(problems, settingPrefix + nameof(OutQueueDepth), OutQueueDepth);
        CheckDepth(problems, settingPrefix + nameof(InQueueDepth), InQueueDepth);
        CheckTransferSize(problems, settingPrefix + nameof(OutTransferSize), OutTransferSize);
        CheckTransferSize(problems, settingPrefix + nameof(InTransferSize), InTransferSize);
        return problems;
    }

    private static void CheckDepth(List<string> problems, string setting, int value)
    {
        if (value is < 1 or > MaxQueueDepth)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} = {value} is out of range: use 1–{MaxQueueDepth}."));
        }
    }

    private static void CheckTransferSize(List<string> problems, string setting, int value)
    {
        if (value is < TransferSizeUnit or > MaxTransferSize || value % TransferSizeUnit != 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{setting} = {value} must be a multiple of {TransferSizeUnit} between {TransferSizeUnit} and {MaxTransferSize} (16384 is a good choice)."));
        }
    }
}
