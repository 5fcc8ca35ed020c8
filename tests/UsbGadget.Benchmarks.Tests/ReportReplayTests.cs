using UsbGadget.Benchmarks.Vm;

namespace UsbGadget.Benchmarks.Tests;

/// <summary>
/// <c>usb --report</c> on a saved run. The fixture has 8 rounds: C′ ÷ C alternates 1.02 and 0.98, ours ÷ C is 1.2 in
/// throughput at IN 16 KiB and 0.8 in transfers/s at loopback 512 B, and our CPU per MB alternates 1.05 and 0.95 × C.
/// </summary>
public class ReportReplayTests
{
    private static readonly string s_report = UsbBenchmark.Replay(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "check-run.json")));

    private static string Line(string startsWith) =>
        s_report.Split('\n').Single(l => l.StartsWith(startsWith, StringComparison.Ordinal));

    [Fact]
    public void The_self_test_row_shows_the_rigs_noise_and_lets_verdicts_stand()
    {
        Assert.Contains("inside 0.91–1.10", Line("- self-test C′ ÷ C"));
    }

    [Fact]
    public void A_throughput_ratio_wholly_above_its_target_is_met()
    {
        Assert.EndsWith("— met", Line("- in 16 KiB d8 throughput ours ÷ C ≥ 1.0").TrimEnd());
        Assert.Contains("1.20 [1.20–1.20]", Line("- in 16 KiB d8 throughput ours ÷ C ≥ 1.0"));
    }

    [Fact]
    public void A_transfer_rate_wholly_below_its_target_is_not_met()
    {
        Assert.EndsWith("— NOT met", Line("- loopback 512 B d8 transfers/s ours ÷ C ≥ 1.0").TrimEnd());
    }

    [Fact]
    public void A_cpu_ratio_whose_interval_straddles_the_target_is_within_noise()
    {
        Assert.EndsWith("— within noise", Line("- loopback 512 B d8 CPU per MB ours ÷ C ≤ 1.0").TrimEnd());
    }

    [Fact]
    public void The_check_profile_prints_only_the_rows_it_measured()
    {
        Assert.DoesNotContain("### OUT", s_report, StringComparison.Ordinal);
        Assert.DoesNotContain("### ep0 and latency", s_report, StringComparison.Ordinal);
        Assert.Single(s_report.Split('\n'), l => l.StartsWith("| 512 B | 8 |", StringComparison.Ordinal));
        Assert.Single(s_report.Split('\n'), l => l.StartsWith("| 16 KiB | 8 |", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("root:x:0:0")]
    [InlineData("null")]
    [InlineData("{\"runs\": [{\"mode\": \"in\"}]}")]
    public void A_file_that_is_not_a_saved_run_is_refused_in_one_line(string content)
    {
        var e = Assert.Throws<ArgumentException>(() => UsbBenchmark.Replay(content));
        Assert.StartsWith("usb --report: not a saved usb benchmark run", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_check_profile_leaves_out_targets_it_did_not_measure()
    {
        Assert.DoesNotContain("ep0 round trips ours ÷ C", s_report, StringComparison.Ordinal);
        Assert.DoesNotContain("ours ÷ kernel", s_report, StringComparison.Ordinal);
    }
}
