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
    /// Which API the function moves data with:
    /// <c>tuned</c> (default): callbacks and buffer hand-over on the framework's internals, the C reference's shape;
    /// <c>lease</c>: the public zero-copy level (<c>ReadAsync()</c> → <c>OutTransfer</c>, <c>GetBufferAsync</c> → <c>InTransfer</c>);
    /// <c>primary</c>: the public copying level (<c>ReadAsync(Memory)</c>/<c>WriteAsync</c>);
    /// <c>stream</c>: its <c>AsStream()</c> adapters; <c>pipe</c>: its <c>AsPipeReader()</c>/<c>AsPipeWriter()</c> adapters.
    /// </summary>
    public string Api { get; set; } = "tuned";

    /// <summary>
    /// Transfers per call of the copying source and sink (<c>primary</c> and <c>stream</c> in source-sink mode): each
    /// <c>ReadAsync(Memory)</c>/<c>WriteAsync</c> moves this many transfers' bytes, so a call that waits wakes once per
    /// that many transfers.
    /// </summary>
    public int TransfersPerCall { get; set; } = 1;

    public BenchmarkApi ParsedApi => Api switch
    {
        "tuned" => BenchmarkApi.Tuned,
        "lease" => BenchmarkApi.Lease,
        "primary" => BenchmarkApi.Primary,
        "stream" => BenchmarkApi.Stream,
        "pipe" => BenchmarkApi.Pipe,
        _ => throw new InvalidOperationException($"Benchmark:Api must be tuned, lease, primary, stream or pipe, not '{Api}'."),
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

/// <summary>See <see cref="BenchmarkSettings.Api"/>.</summary>
internal enum BenchmarkApi
{
    Tuned,
    Lease,
    Primary,
    Stream,
    Pipe,
}
