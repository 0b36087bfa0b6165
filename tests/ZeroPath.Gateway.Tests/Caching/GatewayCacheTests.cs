using System.Net;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Caching;

/// <summary>A gateway with the cache (defaults) and one without it, on one silo.</summary>
public sealed class CacheFixture : EdgeFixture
{
    public GatewayFactory Uncached { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Uncached = await StartGatewayAsync(GatewayFactory.Setting("ZeroPath:Gateway:Cache:Enabled", false));
    }
}

public class GatewayCacheTests(CacheFixture fixture) : IClassFixture<CacheFixture>
{
    private const string Check = "/auth/check";
    private const string Proxied = "/api/v1/x";

    [Fact]
    public async Task After_one_validation_repeated_requests_are_answered_from_the_cache()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var probe = new AuthProbe(fixture.Gateway);

        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        for (var i = 0; i < 3; i++)
        {
            using var checkedAgain = await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
            Assert.Equal(org.GetPrimaryKeyString(), checkedAgain.Headers.GetValues("X-ZeroPath-Org-Id").Single());
        }

        using var proxied = await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        var echo = await GatewayFixture.EchoAsync(proxied);
        Assert.Equal((org.GetPrimaryKeyString(), "alice", token.TokenId.ToString(), "scans:read"), (
            echo.Headers["X-ZeroPath-Org-Id"], echo.Headers["X-ZeroPath-User-Id"], echo.Headers["X-ZeroPath-Token-Id"], echo.Headers["X-ZeroPath-Permissions"]));
        Assert.False(echo.Headers.ContainsKey("X-ZeroPath-API-Token-Secret"));
    }

    [Fact]
    public async Task A_different_well_tagged_secret_for_a_cached_id_is_decided_by_the_cluster_and_refused()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");

        foreach (var path in new[] { Check, Proxied })
        {
            using var wrong = await probe.ExpectAsync(path, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "invalid_token", "cluster");
            await GatewayProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_token");
        }

        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
    }

    [Fact]
    public async Task An_old_format_secret_for_a_token_cached_with_a_zp_secret_is_refused_without_the_cluster()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");

        for (var i = 0; i < 3; i++)
        {
            await probe.ExpectAsync(Check, token.TokenId, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "cache");
        }
    }

    [Fact]
    public async Task Once_the_cluster_said_a_token_has_a_zp_secret_old_format_secrets_for_it_are_refused_without_the_cluster()
    {
        // Not cached here (never validated through this gateway): the first old-format guess asks the cluster, whose
        // answer says the token's secret is a zp_ one; later guesses are refused by the gateway, as fast as an unknown id.
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "cluster");

        for (var i = 0; i < 3; i++)
        {
            await probe.ExpectAsync(Check, token.TokenId, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "refusals");
        }

        // The token itself is untouched: its own secret still validates.
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
    }

    [Fact]
    public async Task With_the_cache_disabled_every_request_is_decided_by_the_cluster()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Uncached);

        for (var i = 0; i < 3; i++)
        {
            await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
            await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        }
    }

    [Theory]
    [InlineData("deleted")]
    [InlineData("revoked")]
    [InlineData("organization-revoked")]
    [InlineData("member-removed")]
    public async Task A_cached_token_that_ends_is_refused_by_the_next_request_without_a_cluster_call(string how)
    {
        var (org, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        var pushed = EdgeFixture.EndedPush(fixture.Gateway, token.TokenId);

        switch (how)
        {
            case "deleted":
                Assert.True(await org.DeleteToken(token.TokenId));
                break;
            case "revoked":
                Assert.NotNull(await fixture.Silo.Grains.RevokeTokenAsync(token.TokenId, "test"));
                break;
            case "organization-revoked":
                Assert.Equal(1, await org.RevokeAll("test"));
                break;
            case "member-removed":
                Assert.True(await org.RemoveMember("alice"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(how), how, null);
        }

        await pushed.WaitAsync(TimeSpan.FromSeconds(5));
        foreach (var path in new[] { Check, Proxied })
        {
            using var refused = await probe.ExpectAsync(path, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "invalid_token", "refusals");
            await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_token");
        }
    }

    [Fact]
    public async Task A_cached_token_answers_token_expired_from_the_cache_once_the_clock_passes_its_expiry()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");

        fixture.Silo.Clock.Advance(token.ExpiresAt - fixture.Silo.Clock.GetUtcNow());

        using var expired = await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "token_expired", "cache");
        await GatewayProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, "token_expired");
        // The expired entry is gone: the cluster, which judges expiry by the same clock, says so too.
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "token_expired", "cluster");
    }

    [Fact]
    public async Task A_permission_change_drops_the_cached_validation_and_the_next_answer_carries_it()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        using var before = await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        Assert.Equal("scans:read", before.Headers.GetValues("X-ZeroPath-Permissions").Single());

        // Returns once every subscribed gateway acknowledged the pushed change (and dropped its cached validation).
        await org.SetMember("alice", ["scans:read", "vulns:write"]);

        using var after = await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        Assert.Equal("scans:read,vulns:write", after.Headers.GetValues("X-ZeroPath-Permissions").Single());
        using var proxied = await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        Assert.Equal("scans:read,vulns:write", (await GatewayFixture.EchoAsync(proxied)).Headers["X-ZeroPath-Permissions"]);
    }

}
