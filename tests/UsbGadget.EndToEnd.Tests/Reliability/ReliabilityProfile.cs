namespace UsbGadget.EndToEnd.Tests.Reliability;

/// <summary>
/// How hard the reliability drills push. CI runs <see cref="Quick"/>; the full figures are one variable away:
/// <c>USBGADGET_RELIABILITY=full dotnet test tests/UsbGadget.EndToEnd.Tests -c Release --filter Category=Reliability</c>.
/// </summary>
public sealed record ReliabilityProfile(
    string Name, int ChurnCycles, TimeSpan BackPressurePause, TimeSpan SoakDuration, TimeSpan SoakInterval, int HostileRequests)
{
    /// <summary>The CI profile: every drill, shorter.</summary>
    public static ReliabilityProfile Quick { get; } = new("quick", 40, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(20), 10_000);

    /// <summary>The figures the issue asks for: 200 cycles, a 60 s stall, a 10-minute soak with a cycle every 30 s.</summary>
    public static ReliabilityProfile Full { get; } = new("full", 200, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), 10_000);

    /// <summary>The profile the environment variable <c>USBGADGET_RELIABILITY</c> names (<c>quick</c> when unset).</summary>
    public static ReliabilityProfile Current { get; } = Environment.GetEnvironmentVariable("USBGADGET_RELIABILITY") switch
    {
        null or "" or "quick" => Quick,
        "full" => Full,
        string other => throw new InvalidOperationException($"USBGADGET_RELIABILITY={other} is not a profile; use 'quick' (the default) or 'full'."),
    };
}
