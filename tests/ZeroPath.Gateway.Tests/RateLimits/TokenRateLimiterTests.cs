using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.RateLimits;

/// <summary>The per-token bucket on a fake clock: exact counts, no timing.</summary>
public class TokenRateLimiterTests
{
    private readonly FakeTimeProvider clock = new();

    private static string NewToken() => Guid.NewGuid().ToString("D");

    private static int Admitted(TokenRateLimiter limiter, string token, TokenRateLimit limit, int attempts)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            admitted += limiter.TryAcquire(token, limit, out _) ? 1 : 0;
        }

        return admitted;
    }

    [Fact]
    public void A_new_token_gets_its_burst_at_once_then_the_rate()
    {
        var limiter = new TokenRateLimiter(clock);
        var token = NewToken();
        var limit = new TokenRateLimit(10, 20);

        Assert.Equal(20, Admitted(limiter, token, limit, 100));

        // 10 a second: one every 100 ms.
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(limiter.TryAcquire(token, limit, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(1), wait);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Admitted(limiter, token, limit, 10));

        // A whole second: exactly 10 more.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(10, Admitted(limiter, token, limit, 100));
    }

    [Fact]
    public void Sustained_load_is_admitted_at_exactly_the_rate()
    {
        var limiter = new TokenRateLimiter(clock);
        var token = NewToken();
        var limit = new TokenRateLimit(4, 1);
        var admitted = 0;

        // 60 seconds, an attempt every 10 ms: 6,000 attempts for 4 a second.
        for (var i = 0; i < 6000; i++)
        {
            admitted += limiter.TryAcquire(token, limit, out _) ? 1 : 0;
            clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(240, admitted);
    }

    [Fact]
    public void Idle_time_refills_up_to_the_burst_and_no_further()
    {
        var limiter = new TokenRateLimiter(clock);
        var token = NewToken();
        var limit = new TokenRateLimit(2, 5);
        Assert.Equal(5, Admitted(limiter, token, limit, 10));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Admitted(limiter, token, limit, 10));

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Admitted(limiter, token, limit, 10));
    }

    [Fact]
    public void A_fractional_rate_admits_one_request_per_interval_and_says_when()
    {
        var limiter = new TokenRateLimiter(clock);
        var token = NewToken();
        var limit = new TokenRateLimit(0.5, 1);

        Assert.True(limiter.TryAcquire(token, limit, out _));
        Assert.False(limiter.TryAcquire(token, limit, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(2), wait);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(limiter.TryAcquire(token, limit, out wait));
        Assert.Equal(TimeSpan.FromSeconds(0.5), wait);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(limiter.TryAcquire(token, limit, out _));
    }

    [Fact]
    public void Tokens_have_buckets_of_their_own()
    {
        var limiter = new TokenRateLimiter(clock);
        var limit = new TokenRateLimit(1, 3);
        var first = NewToken();
        var second = NewToken();

        Assert.Equal(3, Admitted(limiter, first, limit, 10));
        Assert.Equal(3, Admitted(limiter, second, limit, 10));
        Assert.Equal(2, limiter.Count);
    }

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 30)]
    [InlineData(3, 20)]
    public void Each_of_n_gateways_admits_its_share_of_rate_and_burst(int gateways, int share)
    {
        var limiter = new TokenRateLimiter(clock) { Gateways = gateways };
        var token = NewToken();
        // 20 a second with a burst of 60: each of n gateways admits 60/n at once and 20/n a second.
        var limit = new TokenRateLimit(20, 60);

        Assert.Equal(share, Admitted(limiter, token, limit, 1000));
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(share / 2, Admitted(limiter, token, limit, 1000));
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(share, Admitted(limiter, token, limit, 1000));
        // Never more than the burst's share, however long it was idle.
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(share, Admitted(limiter, token, limit, 1000));
    }

    [Fact]
    public void A_share_of_the_burst_is_never_below_one_request()
    {
        var limiter = new TokenRateLimiter(clock) { Gateways = 3 };
        var token = NewToken();
        var limit = new TokenRateLimit(1, 1);

        Assert.Equal(1, Admitted(limiter, token, limit, 10));
        // A third of a request a second here: the next one after 3 seconds.
        Assert.False(limiter.TryAcquire(token, limit, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(3), wait);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, Admitted(limiter, token, limit, 10));
    }

    [Fact]
    public void The_gateway_count_is_at_least_one()
    {
        var limiter = new TokenRateLimiter(clock) { Gateways = 0 };

        Assert.Equal(1, limiter.Gateways);
        Assert.Equal(5, Admitted(limiter, NewToken(), new TokenRateLimit(5, 5), 100));
    }

    [Fact]
    public void A_sweep_drops_only_full_buckets_so_nothing_is_forgotten()
    {
        var limiter = new TokenRateLimiter(clock);
        var limit = new TokenRateLimit(1, 2);
        var idle = NewToken();
        var busy = NewToken();
        Assert.Equal(2, Admitted(limiter, idle, limit, 2));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, Admitted(limiter, busy, limit, 10));

        limiter.Sweep();

        // The idle token's bucket had refilled: dropped. The busy one is kept, still empty.
        Assert.Equal(1, limiter.Count);
        Assert.False(limiter.TryAcquire(busy, limit, out _));
        Assert.Equal(2, Admitted(limiter, idle, limit, 10));
    }

    [Fact]
    public void The_map_stays_within_its_capacity()
    {
        var limiter = new TokenRateLimiter(clock, capacity: 100);
        var limit = new TokenRateLimit(1, 1);

        // All of them busy (empty buckets): past the capacity, arbitrary ones go down to 90%.
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(NewToken(), limit, out _));
            Assert.InRange(limiter.Count, 1, 100);
        }
    }

    [Fact]
    public void Concurrent_requests_for_one_token_take_exactly_the_burst()
    {
        var limiter = new TokenRateLimiter(clock);
        var token = NewToken();
        var limit = new TokenRateLimit(1, 1000);
        var admitted = 0;

        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (limiter.TryAcquire(token, limit, out _))
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });

        Assert.Equal(1000, admitted);
    }
}
