namespace UsbGadget.Benchmarks.Vm;

/// <summary>Reads the <c>key=value</c> lines the guest scripts and usb-bench-host print.</summary>
internal static class KeyValueOutput
{
    /// <summary>One entry per item with an '='; echoed gadget logs (<c>log:</c>) and client errors (<c>bench_stderr:</c>) are skipped.</summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> items)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string item in items)
        {
            string line = item.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line.StartsWith("log:", StringComparison.Ordinal) && !line.StartsWith("bench_stderr:", StringComparison.Ordinal))
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }
        return values;
    }
}
