using ZeroPath.Bench.Edge;

namespace ZeroPath.Bench.Edge.Tests;

public class TimingStatsTests
{
    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        Assert.Equal(5, TimingStats.Percentile(sorted, 0.50));
        Assert.Equal(9, TimingStats.Percentile(sorted, 0.90));
        Assert.Equal(10, TimingStats.Percentile(sorted, 0.99));
        Assert.Equal(1, TimingStats.Percentile(sorted, 0.01));
    }

    [Theory]
    [InlineData(0.1, 0)]
    [InlineData(0.25, 1)]
    [InlineData(0.49, 1)]
    [InlineData(3.0, 4)]
    [InlineData(255.9, 10)]
    [InlineData(256, 11)]
    [InlineData(5000, 11)]
    public void A_latency_counts_in_the_first_bucket_whose_edge_exceeds_it(double milliseconds, int bucket) =>
        Assert.Equal(bucket, TimingStats.Bucket(milliseconds));

    [Fact]
    public void The_summary_counts_every_sample_once_in_the_histogram()
    {
        var summary = LatencySummary.Of([0.3, 0.3, 0.4, 3.5, 170, 0.2]);

        Assert.Equal(6, summary.Count);
        Assert.Equal(6, summary.Histogram.Sum());
        Assert.Equal(3, summary.Histogram[1]);
        Assert.Equal(0.3, summary.P50);
        Assert.Equal(170, summary.Max);
    }

    [Fact]
    public void KS_statistic_is_the_largest_gap_between_the_two_distributions()
    {
        var (same, pSame) = TimingStats.KolmogorovSmirnov([1, 2, 3, 4], [1, 2, 3, 4]);
        var (half, _) = TimingStats.KolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]);
        var (apart, pApart) = TimingStats.KolmogorovSmirnov([.. Enumerable.Range(0, 200).Select(i => (double)i)], [.. Enumerable.Range(1000, 200).Select(i => (double)i)]);

        Assert.Equal(0, same);
        Assert.Equal(1, pSame);
        Assert.Equal(0.5, half);
        Assert.Equal(1, apart);
        Assert.True(pApart < 1e-10, $"p = {pApart}");
    }

    [Fact]
    public void The_KS_test_rejects_about_one_in_twenty_samples_of_the_same_distribution_at_5_percent()
    {
        var random = new Random(20261128);
        var rejected = 0;
        const int trials = 400;
        for (var trial = 0; trial < trials; trial++)
        {
            var a = Sorted(Enumerable.Range(0, 200).Select(_ => LatencyLike(random)));
            var b = Sorted(Enumerable.Range(0, 300).Select(_ => LatencyLike(random)));
            rejected += TimingStats.KolmogorovSmirnov(a, b).P < 0.05 ? 1 : 0;
        }

        // Expected 20 of 400; the asymptotic p-value is slightly conservative at these sizes.
        Assert.InRange(rejected, 6, 36);
    }

    [Fact]
    public void A_shift_of_a_tenth_of_the_median_is_told_apart_with_two_thousand_samples_and_none_is_not()
    {
        var random = new Random(7);
        var baseline = Enumerable.Range(0, 2_000).Select(_ => LatencyLike(random)).ToArray();
        var same = Enumerable.Range(0, 2_000).Select(_ => LatencyLike(random)).ToArray();
        var shifted = Enumerable.Range(0, 2_000).Select(_ => LatencyLike(random) + 0.03).ToArray();

        var control = TimingStats.Compare(baseline, same, seed: 1);
        var compared = TimingStats.Compare(baseline, shifted, seed: 2);

        Assert.False(control.Distinguishable, $"A/A: D {control.KsD}, p {control.KsP}, ratio [{control.RatioLow}, {control.RatioHigh}]");
        Assert.InRange(control.RatioLow, 0.9, 1.0);
        Assert.InRange(control.RatioHigh, 1.0, 1.1);
        Assert.True(compared.Distinguishable, $"D {compared.KsD}, p {compared.KsP}, ratio [{compared.RatioLow}, {compared.RatioHigh}]");
        Assert.InRange(compared.DifferenceMs, 0.02, 0.04);
        Assert.True(compared.DifferenceLowMs > 0 && compared.DifferenceLowMs < 0.03 && compared.DifferenceHighMs > 0.03);
    }

    [Fact]
    public void The_bootstrap_interval_of_the_ratio_of_medians_covers_the_true_ratio()
    {
        var random = new Random(11);
        var a = Enumerable.Range(0, 1_000).Select(_ => 1 + random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 1_000).Select(_ => 2 * (1 + random.NextDouble())).ToArray();

        var compared = TimingStats.Compare(a, b, seed: 3);

        Assert.InRange(2.0, compared.RatioLow, compared.RatioHigh);
        Assert.True(compared.RatioHigh - compared.RatioLow < 0.2, $"[{compared.RatioLow}, {compared.RatioHigh}]");
        Assert.True(compared.Distinguishable);
    }

    [Fact]
    public void The_bootstrap_resamples_medians_not_other_quantiles()
    {
        // Different shapes: the ratio of medians (2.5 / 1.5) is not that of any other pair of quantiles.
        var random = new Random(12);
        var a = Enumerable.Range(0, 2_000).Select(_ => 1 + random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 2_000).Select(_ => 1 + (3 * random.NextDouble())).ToArray();

        var compared = TimingStats.Compare(a, b, seed: 4);

        Assert.InRange(compared.Ratio, 1.6, 1.74);
        Assert.InRange(2.5 / 1.5, compared.RatioLow, compared.RatioHigh);
        Assert.InRange(1.0, compared.DifferenceLowMs, compared.DifferenceHighMs);
    }

    /// <summary>Skewed like request latencies: about 0.3 ms with a long right tail.</summary>
    private static double LatencyLike(Random random) => 0.2 + (0.1 * -Math.Log(1 - random.NextDouble()));

    private static double[] Sorted(IEnumerable<double> values)
    {
        var array = values.ToArray();
        Array.Sort(array);
        return array;
    }
}
