using ZeroPath.Gateway.Caching;

namespace ZeroPath.Gateway.Tests.Caching;

public class LegacyLookupBudgetTests
{
    [Fact]
    public void A_second_s_worth_of_lookups_may_be_spent_at_once_and_no_more()
    {
        using var budget = new LegacyLookupBudget(new EdgeCacheOptions { LegacyLookupsPerSecond = 50 });

        var granted = Enumerable.Range(0, 1_000).Count(_ => budget.TryAcquire());

        // 1,000 asked at once: the bucket's 50 and whatever refilled meanwhile (5 per 100 ms; this takes far less than
        // a second, so well under the 100 a whole second would add).
        Assert.InRange(granted, 50, 99);
    }

    [Fact]
    public void Zero_means_unbounded()
    {
        using var budget = new LegacyLookupBudget(new EdgeCacheOptions { LegacyLookupsPerSecond = 0 });

        Assert.All(Enumerable.Range(0, 10_000), _ => Assert.True(budget.TryAcquire()));
    }
}
