namespace UsbGadget.Benchmarks.Gadget;

/// <summary>The <c>Benchmark</c> configuration section.</summary>
internal sealed class BenchmarkSettings
{
    public const string SectionName = "Benchmark";

    /// <summary><c>source-sink</c> or <c>loopback</c>.</summary>
    public string Mode { get; set; } = "source-sink";

    /// <summary>Bytes per IN write in source-sink mode; 0 means <c>UsbGadget:Endpoints:InTransferSize</c>.</summary>
    /// <remarks>The framework's transfer sizes are multiples of 1024, so a 512-byte host request needs this.</remarks>
    public int WriteSize { get; set; }

    /// <summary>
    /// <c>tuned</c> (default): callbacks and buffer hand-over on the framework's internals, the C reference's shape;
    /// <c>primary</c>: the public copying API (<c>ReadAsync(Memory)</c>/<c>WriteAsync</c>), as the BulkLoopback sample uses it.
    /// </summary>
    public string Api { get; set; } = "tuned";

    public bool IsPrimary => Api switch
    {
        "primary" => true,
        "tuned" => false,
        _ => throw new InvalidOperationException($"Benchmark:Api must be tuned or primary, not '{Api}'."),
    };

    /// <summary>Where to append a stats line once a second; empty for none.</summary>
    public string? StatsFile { get; set; }

    public bool IsLoopback => Mode switch
    {
        "loopback" => true,
        "source-sink" => false,
        _ => throw new InvalidOperationException($"Benchmark:Mode must be source-sink or loopback, not '{Mode}'."),
    };
}
