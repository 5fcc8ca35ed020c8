using System.Globalization;

namespace UsbGadget.FunctionFs;

/// <summary>How the ep0 loop waits for events.</summary>
public enum Ep0WaitStrategy
{
    /// <summary><see cref="EventFd"/> on kernels 5.16 and newer, <see cref="BlockingRead"/> before.</summary>
    Auto,
    /// <summary>
    /// FUNCTIONFS_EVENTFD: the kernel signals an eventfd on every event and ep0 is read without blocking. Stopping is
    /// immediate. Unsafe before Linux 5.16 (eventfd reference underflow at teardown).
    /// </summary>
    EventFd,
    /// <summary>
    /// A dedicated thread blocks in read(2) on ep0. Works on every kernel. A blocked read returns only on the next ep0
    /// event, so stopping waits for the UNBIND that unbinding the UDC produces (bounded by <see cref="FunctionFsOptions.StopTimeout"/>).
    /// </summary>
    BlockingRead,
}

/// <summary>Settings of a <see cref="FunctionFsFunction"/>.</summary>
public sealed class FunctionFsOptions
{
    /// <summary>A name for logs and thread names, e.g. the function instance name.</summary>
    /// <remarks>Defaults to <c>"ffs"</c>.</remarks>
    public string Name { get; set; } = "ffs";

    /// <summary>How ep0 events are awaited.</summary>
    /// <remarks>Defaults to <see cref="Ep0WaitStrategy.Auto"/>.</remarks>
    public Ep0WaitStrategy Ep0WaitStrategy { get; set; } = Ep0WaitStrategy.Auto;

    /// <summary>Number of reads kept queued on each OUT endpoint, 1 to <see cref="MaxQueueDepth"/>.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int OutQueueDepth { get; set; } = 8;

    /// <summary>
    /// Size of each read on an OUT endpoint, in bytes: a multiple of <see cref="TransferSizeUnit"/> up to
    /// <see cref="MaxTransferSize"/>.
    /// </summary>
    /// <remarks>Defaults to 16384, the size adbd settled on because some controllers fail above it.</remarks>
    public int OutTransferSize { get; set; } = 16384;

    /// <summary>Number of writes that may be in flight on each IN endpoint before <c>WriteAsync</c> waits, 1 to <see cref="MaxQueueDepth"/>.</summary>
    /// <remarks>Defaults to 8.</remarks>
    public int InQueueDepth { get; set; } = 8;

    /// <summary>Size of each write buffer on an IN endpoint, a multiple of <see cref="TransferSizeUnit"/>; longer writes are split.</summary>
    /// <remarks>Defaults to 16384.</remarks>
    public int InTransferSize { get; set; } = 16384;

    /// <summary>How long disposal waits for the ep0 thread and for the kernel to return every endpoint buffer.</summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

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

    /// <summary>
    /// Checks the queue depths, transfer sizes and stop timeout: the one rule set for these settings, whether they come from
    /// code or from the hosting layer's configuration.
    /// </summary>
    /// <param name="settingPrefix">Put before each setting's name in the messages, such as <c>UsbGadget:</c>.</param>
    /// <returns>One message per wrong setting, naming it, its value and what a valid one looks like; empty when all are valid.</returns>
    public IReadOnlyList<string> GetValidationErrors(string settingPrefix)
    {
        ArgumentNullException.ThrowIfNull(settingPrefix);
        var problems = new List<string>();
        CheckDepth(problems, settingPrefix + nameof(OutQueueDepth), OutQueueDepth);
        CheckDepth(problems, settingPrefix + nameof(InQueueDepth), InQueueDepth);
        CheckTransferSize(problems, settingPrefix + nameof(OutTransferSize), OutTransferSize);
        CheckTransferSize(problems, settingPrefix + nameof(InTransferSize), InTransferSize);
        if (StopTimeout <= TimeSpan.Zero || StopTimeout > TimeSpan.FromMinutes(5))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{settingPrefix}{nameof(StopTimeout)} = {StopTimeout} is out of range: use a duration between 00:00:00.1 and 00:05:00."));
        }
        return problems;
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Name, nameof(Name));
        if (GetValidationErrors(string.Empty) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
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
