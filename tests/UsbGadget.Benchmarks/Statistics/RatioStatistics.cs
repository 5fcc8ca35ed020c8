namespace UsbGadget.Benchmarks.Statistics;

/// <summary>How a target compares: the ratio must be at least, or at most, the target.</summary>
public enum TargetRule
{
    AtLeast,
    AtMost,
}

/// <summary>What an interval says about a target.</summary>
public enum Verdict
{
    NotAvailable,
    TooFewRounds,
    TooNoisy,
    Met,
    NotMet,
    WithinNoise,
}

/// <summary>
/// One ratio (ours ÷ C, primary ÷ lease, …) over rounds: the geometric mean of the per-round ratios and its 95% confidence
/// interval from Student's t on their logarithms. Logs, because a ratio of 0.5 and one of 2 are equally far from 1, and
/// the product of a ratio and its inverse should be 1 again.
/// </summary>
internal sealed record RatioStatistics(int Count, double GeometricMean, double Lower, double Upper, double Min, double Median, double Max)
{
    /// <summary>Fewer rounds than this give an interval too wide, and a t value too unstable, to decide a target.</summary>
    public const int MinimumRounds = 8;

    /// <summary>The C-vs-C self-test interval must stay inside these bounds, or the rig cannot see a difference of ±10%.</summary>
    public const double SelfTestLow = 0.91, SelfTestHigh = 1.10;

    public static RatioStatistics Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    // Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; beyond that the normal value is within 2%.
    private static readonly double[] s_t95 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    public static double T95(int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        return degreesOfFreedom <= s_t95.Length ? s_t95[degreesOfFreedom - 1] : 1.960;
    }

    /// <summary>Pools per-round ratios; rounds with a failed or missing measurement (NaN, ∞, ≤ 0) are left out.</summary>
    public static RatioStatistics Of(IEnumerable<double> perRoundRatios)
    {
        double[] ratios = [.. perRoundRatios.Where(r => double.IsFinite(r) && r > 0).Order()];
        if (ratios.Length == 0)
        {
            return Empty;
        }
        double median = ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : (ratios[ratios.Length / 2 - 1] + ratios[ratios.Length / 2]) / 2;
        double[] logs = [.. ratios.Select(r => Math.Log(r))];
        double mean = logs.Average();
        if (ratios.Length == 1)
        {
            // One round has no spread to estimate: the interval is unbounded, never a verdict.
            return new(1, Math.Exp(mean), 0, double.PositiveInfinity, ratios[0], median, ratios[0]);
        }
        double variance = logs.Sum(l => (l - mean) * (l - mean)) / (logs.Length - 1);
        double halfWidth = T95(logs.Length - 1) * Math.Sqrt(variance / logs.Length);
        return new(ratios.Length, Math.Exp(mean), Math.Exp(mean - halfWidth), Math.Exp(mean + halfWidth), ratios[0], median, ratios[^1]);
    }

    /// <summary>Whether this interval leaves the self-test band, so that no verdict in the same run can be trusted.</summary>
    public bool TooNoisyForSelfTest => Count > 0 && (Lower < SelfTestLow || Upper > SelfTestHigh);

    /// <summary>
    /// Met only when the whole interval is on the right side of the target, NOT met only when it is wholly on the wrong
    /// side; otherwise the rig cannot tell. A self-test that is itself too noisy overrides every verdict.
    /// </summary>
    public Verdict Judge(double target, TargetRule rule, RatioStatistics? selfTest = null)
    {
        if (Count == 0)
        {
            return Verdict.NotAvailable;
        }
        if (Count < MinimumRounds)
        {
            return Verdict.TooFewRounds;
        }
        if (selfTest is not null && (selfTest.Count < MinimumRounds || selfTest.TooNoisyForSelfTest))
        {
            return selfTest.Count < MinimumRounds ? Verdict.TooFewRounds : Verdict.TooNoisy;
        }
        return rule switch
        {
            TargetRule.AtLeast => Lower >= target ? Verdict.Met : Upper < target ? Verdict.NotMet : Verdict.WithinNoise,
            _ => Upper <= target ? Verdict.Met : Lower > target ? Verdict.NotMet : Verdict.WithinNoise,
        };
    }

    public static string Describe(Verdict verdict) => verdict switch
    {
        Verdict.Met => "met",
        Verdict.NotMet => "NOT met",
        Verdict.WithinNoise => "within noise",
        Verdict.TooFewRounds => $"too few rounds (<{MinimumRounds})",
        Verdict.TooNoisy => "too noisy to judge (self-test)",
        _ => "n/a",
    };

    /// <summary>"1.02 [0.97–1.07] (min 0.95, median 1.01, max 1.10, n 8)", or n/a.</summary>
    public override string ToString() => Count == 0
        ? "n/a"
        : FormattableString.Invariant(
            $"{GeometricMean:0.00} [{Lower:0.00}–{Upper:0.00}] (min {Min:0.00}, median {Median:0.00}, max {Max:0.00}, n {Count})");
}
