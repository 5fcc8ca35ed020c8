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

    /// <summary>How many requests each endpoint keeps queued, and their size.</summary>
    /// <remarks>Defaults to 8 reads and 8 writes of 16384 bytes per endpoint.</remarks>
    public EndpointQueueOptions Endpoints { get; init; } = new();

    /// <summary>How long disposal waits for the ep0 thread and for the kernel to return every endpoint buffer.</summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Checks the endpoint queue settings and the stop timeout: the one rule set for these settings, whether they come from
    /// code or from the hosting layer's configuration.
    /// </summary>
    /// <param name="settingPrefix">Put before each setting's name in the messages, such as <c>UsbGadget:</c>.</param>
    /// <returns>One message per wrong setting, naming it, its value and what a valid one looks like; empty when all are valid.</returns>
    public IReadOnlyList<string> GetValidationErrors(string settingPrefix)
    {
        ArgumentNullException.ThrowIfNull(settingPrefix);
        var problems = new List<string>(Endpoints.GetValidationErrors(settingPrefix + nameof(Endpoints) + ":"));
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
}
