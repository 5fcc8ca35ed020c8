using UsbGadget.Benchmarks.Statistics;

namespace UsbGadget.Benchmarks.Tests;

public class RatioStatisticsTests
{
    // Eight rounds whose logs alternate +0.1 and −0.1: mean 0, so the geometric mean is 1; the sample variance is
    // 8 × 0.01 / 7, the standard error √(0.01 / 7) = 0.037796, and t(7) = 2.365 gives a half-width of 0.0893886 in logs.
    private static readonly double[] s_alternating = [.. Enumerable.Range(0, 8).Select(i => Math.Exp(i % 2 == 0 ? 0.1 : -0.1))];

    [Fact]
    public void The_geometric_mean_and_interval_come_from_the_logs_of_the_ratios()
    {
        RatioStatistics stats = RatioStatistics.Of(s_alternating);

        Assert.Equal(8, stats.Count);
        Assert.Equal(1.0, stats.GeometricMean, 9);
        Assert.Equal(Math.Exp(-0.0893886), stats.Lower, 5);
        Assert.Equal(Math.Exp(0.0893886), stats.Upper, 5);
        Assert.Equal(Math.Exp(-0.1), stats.Min, 9);
        Assert.Equal((Math.Exp(-0.1) + Math.Exp(0.1)) / 2, stats.Median, 9); // an even count: the mean of the middle two
        Assert.Equal(Math.Exp(0.1), stats.Max, 9);
    }

    [Fact]
    public void Two_rounds_use_t_with_one_degree_of_freedom()
    {
        // Logs of 2 and 8 are ln 4 ∓ ln 2: geometric mean 4, standard error ln 2, half-width 12.706 × ln 2.
        RatioStatistics stats = RatioStatistics.Of([2, 8]);

        Assert.Equal(4.0, stats.GeometricMean, 9);
        Assert.Equal(4 * Math.Exp(-12.706 * Math.Log(2)), stats.Lower, 9);
        Assert.Equal(4 * Math.Exp(12.706 * Math.Log(2)), stats.Upper, 3);
    }

    [Fact]
    public void Identical_rounds_give_a_zero_width_interval()
    {
        RatioStatistics stats = RatioStatistics.Of(Enumerable.Repeat(1.25, 8));

        Assert.Equal(1.25, stats.Lower, 12);
        Assert.Equal(1.25, stats.Upper, 12);
    }

    [Fact]
    public void Failed_rounds_are_left_out_of_the_pool()
    {
        RatioStatistics stats = RatioStatistics.Of([1.0, double.NaN, double.PositiveInfinity, 0, -1, 1.0]);

        Assert.Equal(2, stats.Count);
    }

    [Fact]
    public void No_rounds_give_no_verdict()
    {
        Assert.Equal(Verdict.NotAvailable, RatioStatistics.Of([]).Judge(1.0, TargetRule.AtLeast));
    }

    [Theory]
    [InlineData(1, 12.706)]
    [InlineData(7, 2.365)]
    [InlineData(30, 2.042)]
    [InlineData(31, 1.960)]
    public void The_t_table_holds_the_two_sided_95_percent_quantiles(int degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, RatioStatistics.T95(degreesOfFreedom));
    }

    [Theory]
    [InlineData(0.91, TargetRule.AtLeast, Verdict.Met)]          // lower bound 0.9145 ≥ 0.91
    [InlineData(1.10, TargetRule.AtLeast, Verdict.NotMet)]       // upper bound 1.0935 < 1.10
    [InlineData(1.00, TargetRule.AtLeast, Verdict.WithinNoise)]  // 1.00 inside [0.9145, 1.0935]
    [InlineData(1.10, TargetRule.AtMost, Verdict.Met)]           // upper bound 1.0935 ≤ 1.10
    [InlineData(0.91, TargetRule.AtMost, Verdict.NotMet)]        // lower bound 0.9145 > 0.91
    [InlineData(1.00, TargetRule.AtMost, Verdict.WithinNoise)]
    public void A_verdict_is_decided_by_the_whole_interval(double target, TargetRule rule, Verdict expected)
    {
        Assert.Equal(expected, RatioStatistics.Of(s_alternating).Judge(target, rule));
    }

    [Fact]
    public void A_target_is_not_met_by_one_good_round_nor_missed_by_one_bad_one()
    {
        // The worst point (0.80) is below 0.9 and the best (1.2) above, but the interval is clearly above 0.9.
        double[] ratios = [0.80, 1.0, 1.02, 1.0, 0.99, 1.01, 1.2, 1.0, 1.0, 1.0, 0.98, 1.02];

        Assert.Equal(Verdict.Met, RatioStatistics.Of(ratios).Judge(0.9, TargetRule.AtLeast));
    }

    [Fact]
    public void Fewer_than_eight_rounds_give_no_verdict_however_clear()
    {
        RatioStatistics stats = RatioStatistics.Of(Enumerable.Repeat(2.0, 7));

        Assert.Equal(Verdict.TooFewRounds, stats.Judge(1.0, TargetRule.AtLeast));
        Assert.Equal("too few rounds (<8)", RatioStatistics.Describe(Verdict.TooFewRounds));
    }

    [Fact]
    public void A_self_test_outside_the_band_overrides_every_verdict()
    {
        // C′ ÷ C alternating 0.8 and 1.25 around 1: its interval leaves 0.91–1.10.
        RatioStatistics noisySelfTest = RatioStatistics.Of(Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? 0.8 : 1.25));
        RatioStatistics clearlyMet = RatioStatistics.Of(Enumerable.Repeat(2.0, 8));

        Assert.True(noisySelfTest.TooNoisyForSelfTest);
        Assert.Equal(Verdict.TooNoisy, clearlyMet.Judge(1.0, TargetRule.AtLeast, noisySelfTest));
        Assert.Equal("too noisy to judge (self-test)", RatioStatistics.Describe(Verdict.TooNoisy));
    }

    [Fact]
    public void A_self_test_inside_the_band_lets_the_verdict_stand()
    {
        RatioStatistics quietSelfTest = RatioStatistics.Of(s_alternating);

        Assert.False(quietSelfTest.TooNoisyForSelfTest);
        Assert.Equal(Verdict.Met, RatioStatistics.Of(Enumerable.Repeat(2.0, 8)).Judge(1.0, TargetRule.AtLeast, quietSelfTest));
    }
}
