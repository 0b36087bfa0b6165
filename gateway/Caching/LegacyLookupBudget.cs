using System.Threading.RateLimiting;

namespace ZeroPath.Gateway.Caching;

/// <summary>
/// How many cluster lookups per second this gateway makes for old-format secrets it could not decide itself. Such a
/// secret has no tag, so a random id with 43 random characters reaches the cluster and costs an activation and a
/// storage read; the budget bounds what a flood of them can cost. Valid legacy tokens need a lookup only when not
/// cached (first use, then at most every <see cref="EdgeCacheOptions.MaxAge"/>). Zero: no bound.
/// </summary>
public sealed class LegacyLookupBudget : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);
    private readonly TokenBucketRateLimiter? bucket;

    public LegacyLookupBudget(EdgeCacheOptions options)
    {
        if (options.LegacyLookupsPerSecond > 0)
        {
            bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                // A second's worth may be spent at once; it refills a tenth every 100 ms.
                TokenLimit = options.LegacyLookupsPerSecond,
                TokensPerPeriod = Math.Max(1, options.LegacyLookupsPerSecond / 10),
                ReplenishmentPeriod = Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
    }

    public bool TryAcquire()
    {
        if (bucket is null)
        {
            return true;
        }

        using var lease = bucket.AttemptAcquire();
        return lease.IsAcquired;
    }

    public void Dispose() => bucket?.Dispose();
}
