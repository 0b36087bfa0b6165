namespace ZeroPath.Bench.Edge;

/// <summary>
/// One kind's latencies in one phase, in milliseconds: nearest-rank percentiles and a coarse histogram whose buckets
/// double from 0.25 ms (<see cref="TimingStats.BucketEdges"/>: a sample counts in the first bucket whose edge exceeds it).
/// </summary>
internal sealed record LatencySummary(int Count, double P50, double P90, double P99, double P999, double Max, double Mean, long[] Histogram)
{
    public static LatencySummary Of(double[] samples)
    {
        if (samples.Length == 0)
        {
            return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, new long[TimingStats.BucketEdges.Length + 1]);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        var histogram = new long[TimingStats.BucketEdges.Length + 1];
        foreach (var value in sorted)
        {
            histogram[TimingStats.Bucket(value)]++;
        }

        return new LatencySummary(
            sorted.Length,
            TimingStats.Percentile(sorted, 0.50),
            TimingStats.Percentile(sorted, 0.90),
            TimingStats.Percentile(sorted, 0.99),
            TimingStats.Percentile(sorted, 0.999),
            sorted[^1],
            sorted.Average(),
            histogram);
    }
}

/// <summary>
/// Two samples compared: the ratio and the difference of their medians (B against A) with bootstrap 95% intervals, and
/// the two-sample Kolmogorov-Smirnov statistic D (largest gap between the two empirical distributions) with its
/// asymptotic p-value.
/// </summary>
internal sealed record SampleComparison(
    int CountA,
    int CountB,
    double MedianA,
    double MedianB,
    double Ratio,
    double RatioLow,
    double RatioHigh,
    double DifferenceMs,
    double DifferenceLowMs,
    double DifferenceHighMs,
    double KsD,
    double KsP)
{
    /// <summary>
    /// Told apart beyond noise: the ratio's 95% interval leaves out 1 and the KS test rejects "same distribution" at
    /// p &lt; 0.001. With thousands of samples a shift of a few microseconds passes; the difference says how large it is.
    /// </summary>
    public bool Distinguishable => KsP < 0.001 && (RatioLow > 1 || RatioHigh < 1);
}

internal static class TimingStats
{
    /// <summary>Upper edges of the histogram buckets in milliseconds; the last bucket holds everything from 256 ms.</summary>
    public static readonly double[] BucketEdges = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256];

    public const int BootstrapResamples = 2_000;

    public static int Bucket(double milliseconds)
    {
        for (var i = 0; i < BucketEdges.Length; i++)
        {
            if (milliseconds < BucketEdges[i])
            {
                return i;
            }
        }

        return BucketEdges.Length;
    }

    public static string BucketLabel(int bucket) =>
        bucket == 0 ? FormattableString.Invariant($"< {BucketEdges[0]}")
        : bucket == BucketEdges.Length ? FormattableString.Invariant($">= {BucketEdges[^1]}")
        : FormattableString.Invariant($"{BucketEdges[bucket - 1]}-{BucketEdges[bucket]}");

    /// <summary>Nearest rank, as <see cref="Distribution"/>: the smallest value with at least p of the sample at or below it.</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];

    public static SampleComparison Compare(double[] a, double[] b, int seed)
    {
        var sortedA = a.ToArray();
        var sortedB = b.ToArray();
        Array.Sort(sortedA);
        Array.Sort(sortedB);
        var medianA = Percentile(sortedA, 0.5);
        var medianB = Percentile(sortedB, 0.5);

        var random = new Random(seed);
        var ratios = new double[BootstrapResamples];
        var differences = new double[BootstrapResamples];
        var countsA = new int[sortedA.Length];
        var countsB = new int[sortedB.Length];
        for (var i = 0; i < BootstrapResamples; i++)
        {
            var resampledA = ResampledMedian(sortedA, countsA, random);
            var resampledB = ResampledMedian(sortedB, countsB, random);
            ratios[i] = resampledB / resampledA;
            differences[i] = resampledB - resampledA;
        }

        Array.Sort(ratios);
        Array.Sort(differences);
        var (d, p) = KolmogorovSmirnov(sortedA, sortedB);
        return new SampleComparison(
            a.Length,
            b.Length,
            medianA,
            medianB,
            medianB / medianA,
            Percentile(ratios, 0.025),
            Percentile(ratios, 0.975),
            medianB - medianA,
            Percentile(differences, 0.025),
            Percentile(differences, 0.975),
            d,
            p);
    }

    /// <summary>
    /// The median of a resample with replacement of <paramref name="sorted"/>, in O(n): the resample's k-th smallest value
    /// is the value at its k-th smallest drawn index, since the sample is sorted; the draws are counted per index.
    /// </summary>
    private static double ResampledMedian(double[] sorted, int[] counts, Random random)
    {
        var n = sorted.Length;
        Array.Clear(counts);
        for (var i = 0; i < n; i++)
        {
            counts[random.Next(n)]++;
        }

        var rank = Math.Max(1, (int)Math.Ceiling(0.5 * n));
        var seen = 0;
        for (var index = 0; index < n; index++)
        {
            seen += counts[index];
            if (seen >= rank)
            {
                return sorted[index];
            }
        }

        return sorted[^1];
    }

    /// <summary>Two-sample KS statistic on sorted samples (ties stepped over together) and its asymptotic p-value.</summary>
    public static (double D, double P) KolmogorovSmirnov(double[] sortedA, double[] sortedB)
    {
        int n = sortedA.Length, m = sortedB.Length, i = 0, j = 0;
        double d = 0;
        while (i < n && j < m)
        {
            var value = Math.Min(sortedA[i], sortedB[j]);
            while (i < n && sortedA[i] <= value)
            {
                i++;
            }

            while (j < m && sortedB[j] <= value)
            {
                j++;
            }

            d = Math.Max(d, Math.Abs(((double)i / n) - ((double)j / m)));
        }

        var effective = (double)n * m / (n + m);
        var root = Math.Sqrt(effective);
        return (d, KolmogorovQ((root + 0.12 + (0.11 / root)) * d));
    }

    /// <summary>P(K > lambda) for the Kolmogorov distribution (Stephens' small-sample correction applied by the caller).</summary>
    private static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2)
        {
            return 1;
        }

        double sum = 0, sign = 1;
        for (var k = 1; k <= 100; k++)
        {
            var term = sign * Math.Exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-12)
            {
                break;
            }

            sign = -sign;
        }

        return Math.Clamp(2 * sum, 0, 1);
    }
}
