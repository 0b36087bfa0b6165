using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Proxy;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Proxy;

public sealed class InFlightRequestsTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider clock = new(TestSettings.Epoch);

    [Fact]
    public void An_ended_token_aborts_its_requests_in_flight_only()
    {
        var registry = Registry();
        var (a, b) = (Identity(), Identity());
        var first = Request();
        var second = Request();
        var finished = Request();
        var otherToken = Request();
        using var r1 = registry.Track(first.Context, a);
        using var r2 = registry.Track(second.Context, a);
        registry.Track(finished.Context, a).Dispose();
        using var r3 = registry.Track(otherToken.Context, b);

        Assert.Equal(2, registry.AbortEnded([Guid.Parse(a.TokenId)]));

        Assert.Equal((true, true, false, false), (first.Aborted, second.Aborted, finished.Aborted, otherToken.Aborted));
    }

    [Fact]
    public void A_permission_change_aborts_requests_made_under_other_permissions()
    {
        var registry = Registry();
        var id = Guid.NewGuid();
        var old = Request();
        var current = Request();
        using var r1 = registry.Track(old.Context, Identity(id, ["scans:read"]));
        using var r2 = registry.Track(current.Context, Identity(id, ["scans:read", "scans:write"]));

        Assert.Equal(1, registry.AbortChangedPermissions([id], ["scans:read", "scans:write"]));

        Assert.Equal((true, false), (old.Aborted, current.Aborted));
    }

    [Fact]
    public void Requests_are_aborted_once_their_token_has_expired()
    {
        var registry = Registry();
        var soon = Request();
        var later = Request();
        using var r1 = registry.Track(soon.Context, Identity(expiresAt: clock.GetUtcNow().AddMinutes(1)));
        using var r2 = registry.Track(later.Context, Identity(expiresAt: clock.GetUtcNow().AddMinutes(2)));

        Assert.Equal(0, registry.AbortExpired());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, registry.AbortExpired());

        Assert.Equal((true, false), (soon.Aborted, later.Aborted));
    }

    [Fact]
    public void Finished_requests_leave_nothing_behind()
    {
        var registry = Registry();
        var identity = Identity();
        Parallel.For(0, 10_000, _ => registry.Track(Request().Context, identity).Dispose());

        Assert.Equal(0, registry.Count);
        var late = Request();
        using (registry.Track(late.Context, identity))
        {
            Assert.Equal(1, registry.Count);
        }

        Assert.Equal(0, registry.AbortEnded([Guid.Parse(identity.TokenId)]));
        Assert.False(late.Aborted);
    }

    [Fact]
    public async Task A_recheck_aborts_the_requests_of_tokens_the_cluster_no_longer_has()
    {
        await using var cluster = await TokenTestCluster.StartAsync();
        var org = cluster.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var live = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var revoked = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        await cluster.Grains.RevokeTokenAsync(revoked.TokenId, "recheck test");
        var registry = Registry(cluster.Grains);
        var ofLive = Request();
        var ofRevoked = Request();
        var ofUnknown = Request();
        using var r1 = registry.Track(ofLive.Context, Identity(live.TokenId));
        using var r2 = registry.Track(ofRevoked.Context, Identity(revoked.TokenId));
        using var r3 = registry.Track(ofUnknown.Context, Identity());

        Assert.Equal(2, await registry.RecheckAsync(CancellationToken.None));

        Assert.Equal((false, true, true), (ofLive.Aborted, ofRevoked.Aborted, ofUnknown.Aborted));
    }

    public void Dispose() => services.Dispose();

    private InFlightRequests Registry(IGrainFactory? grains = null) => new(
        grains!, new EdgeCacheOptions(), clock, NullLogger<InFlightRequests>.Instance, services.GetRequiredService<IMeterFactory>());

    private AuthenticatedToken Identity(Guid? id = null, string[]? permissions = null, DateTimeOffset? expiresAt = null) =>
        new(id ?? Guid.NewGuid(), "org", "alice", permissions ?? ["scans:read"], expiresAt ?? clock.GetUtcNow().AddDays(1));

    private static TrackedRequest Request() => new();

    /// <summary>A request whose abort is observed.</summary>
    private sealed class TrackedRequest : IHttpRequestLifetimeFeature
    {
        public TrackedRequest()
        {
            Context = new DefaultHttpContext();
            Context.Features.Set<IHttpRequestLifetimeFeature>(this);
        }

        public DefaultHttpContext Context { get; }

        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }
}
