using ZeroPath.Grains.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

public class SecretFailureLimiterTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SecretFailureLimiter limiter = new(new SecretFailureLimitOptions { MaxFailures = 3, Window = TimeSpan.FromMinutes(5) });

    [Fact]
    public void Locks_at_the_limit_until_the_window_that_began_with_the_first_failure_ends()
    {
        Assert.Null(limiter.RecordFailure(Start));
        Assert.Null(limiter.RecordFailure(Start.AddMinutes(1)));
        Assert.Null(limiter.LockedUntil(Start.AddMinutes(1), running: 0));

        Assert.Equal(Start.AddMinutes(5), limiter.RecordFailure(Start.AddMinutes(2)));

        Assert.Equal(Start.AddMinutes(5), limiter.LockedUntil(Start.AddMinutes(2), running: 0));
        Assert.Equal(Start.AddMinutes(5), limiter.LockedUntil(Start.AddMinutes(4.9), running: 0));
        Assert.Null(limiter.LockedUntil(Start.AddMinutes(5), running: 0));
    }

    [Fact]
    public void Failures_spread_over_windows_never_lock()
    {
        for (var i = 0; i < 10; i++)
        {
            var now = Start.AddMinutes(6 * i);
            Assert.Null(limiter.LockedUntil(now, running: 0));
            Assert.Null(limiter.RecordFailure(now));
            Assert.Null(limiter.RecordFailure(now.AddSeconds(1)));
        }
    }

    [Fact]
    public void Running_verifies_count_so_concurrent_wrong_secrets_cannot_exceed_the_limit()
    {
        limiter.RecordFailure(Start);

        Assert.Null(limiter.LockedUntil(Start, running: 1));
        Assert.Equal(Start + SecretFailureLimiter.BusyRetry, limiter.LockedUntil(Start, running: 2));
    }

    [Fact]
    public void Settings_out_of_range_are_named()
    {
        Assert.Contains("MaxFailures", new SecretFailureLimitOptions { MaxFailures = 0 }.Validate(), StringComparison.Ordinal);
        Assert.Contains("Window", new SecretFailureLimitOptions { Window = TimeSpan.Zero }.Validate(), StringComparison.Ordinal);
        Assert.Null(new SecretFailureLimitOptions().Validate());
    }
}
