using System.Net;
using Microsoft.Extensions.Time.Testing;
using ZeroPath.Silo.Apis;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Apis;

public class FailedAuthenticationLimiterTests
{
    private readonly FakeTimeProvider clock = new(TestSettings.Epoch);

    private FailedAuthenticationLimiter Limiter(int maxFailures = 3, int window = 60, int capacity = 100) =>
        new(new FailedAuthenticationOptions { MaxFailures = maxFailures, Window = TimeSpan.FromSeconds(window), MaxTrackedAddresses = capacity }, clock);

    [Fact]
    public void An_address_is_locked_at_the_limit_until_the_window_that_began_with_its_first_failure_ends()
    {
        var limiter = Limiter();
        var address = IPAddress.Parse("192.0.2.1");

        Assert.False(limiter.RecordFailure(address));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.False(limiter.RecordFailure(address));
        Assert.False(limiter.IsLocked(address, out _));
        Assert.True(limiter.RecordFailure(address));

        Assert.True(limiter.IsLocked(address, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(40), retryAfter);
        Assert.False(limiter.IsLocked(IPAddress.Parse("192.0.2.2"), out _));
        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.True(limiter.IsLocked(address, out retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(limiter.IsLocked(address, out _));
    }

    [Fact]
    public void Failures_in_an_ended_window_do_not_count_towards_the_next()
    {
        var limiter = Limiter();
        var address = IPAddress.Parse("192.0.2.1");
        limiter.RecordFailure(address);
        limiter.RecordFailure(address);

        clock.Advance(TimeSpan.FromSeconds(60));
        limiter.RecordFailure(address);
        limiter.RecordFailure(address);

        Assert.False(limiter.IsLocked(address, out _));
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1", true)]
    [InlineData("192.0.2.1", "192.0.2.2", false)]
    public void IPv6_addresses_count_per_64_and_mapped_IPv4_as_IPv4(string first, string second, bool shared)
    {
        var limiter = Limiter(maxFailures: 2);

        limiter.RecordFailure(IPAddress.Parse(first));
        limiter.RecordFailure(IPAddress.Parse(second));

        Assert.Equal(shared, limiter.IsLocked(IPAddress.Parse(first), out _));
    }

    [Fact]
    public void Connections_without_an_address_share_one_count()
    {
        var limiter = Limiter(maxFailures: 2);

        limiter.RecordFailure(null);
        limiter.RecordFailure(null);

        Assert.True(limiter.IsLocked(null, out _));
    }

    [Fact]
    public void Memory_stays_bounded_ended_windows_go_first_then_the_oldest()
    {
        var limiter = Limiter(maxFailures: 1, capacity: 100);
        var first = IPAddress.Parse("198.51.100.1");
        limiter.RecordFailure(first);
        clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 10_000; i++)
        {
            limiter.RecordFailure(new IPAddress(0x0A000000u + (uint)i));
        }

        Assert.Equal(100, limiter.TrackedAddresses);
        Assert.False(limiter.IsLocked(first, out _));
        Assert.True(limiter.IsLocked(new IPAddress(0x0A000000u + 9_999), out _));

        clock.Advance(TimeSpan.FromSeconds(60));
        limiter.RecordFailure(first);
        Assert.Equal(1, limiter.TrackedAddresses);
    }
}
