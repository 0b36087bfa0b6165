using System.Globalization;
using System.Net;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Authentication;

/// <summary>A silo with the default failure limit (10 wrong secrets in 5 minutes) and two gateways in front of it.</summary>
public sealed class FailureLimitFixture : EdgeFixture
{
    public const int MaxFailures = 10;

    public GatewayFactory Other { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Other = await StartGatewayAsync();
    }
}

public class FailureLimitTests(FailureLimitFixture fixture) : IClassFixture<FailureLimitFixture>
{
    private const string Check = "/auth/check";
    private const string Proxied = "/api/v1/x";

    [Fact]
    public async Task After_too_many_wrong_secrets_auth_check_answers_401_too_many_failures_with_retry_after()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");

        await SendWrongSecretsAsync(probe, Check, token.TokenId);

        using var locked = await probe.ExpectAsync(Check, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "too_many_failures", "cluster");
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.Unauthorized, "too_many_failures");
        Assert.Contains("error=\"too_many_failures\"", locked.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        AssertRetryAfterWithinTheWindow(locked);

        // Remembered at the gateway: no more grain calls for this id until the lock ends.
        using var again = await probe.ExpectAsync(Check, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "too_many_failures", "refusals");
        AssertRetryAfterWithinTheWindow(again);

        // The right secret of a validation this gateway cached still passes, and so does the grain for a secret it verified.
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        using var other = new AuthProbe(fixture.Other);
        await other.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        // The lock is the token's, not one gateway's.
        await other.ExpectAsync(Check, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "too_many_failures", "cluster");
    }

    [Fact]
    public async Task After_too_many_wrong_secrets_a_proxied_route_answers_429_too_many_failures_with_retry_after()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");

        await SendWrongSecretsAsync(probe, Proxied, token.TokenId);

        using var locked = await probe.ExpectAsync(Proxied, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.TooManyRequests, "too_many_failures", "cluster");
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, "too_many_failures");
        AssertRetryAfterWithinTheWindow(locked);
        using var again = await probe.ExpectAsync("/api/v2/y", token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.TooManyRequests, "too_many_failures", "refusals");
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.TooManyRequests, "too_many_failures");
        AssertRetryAfterWithinTheWindow(again);

        using var cached = await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        Assert.Equal(token.TokenId.ToString(), (await GatewayFixture.EchoAsync(cached)).Headers["X-ZeroPath-Token-Id"]);
    }

    [Fact]
    public async Task Once_the_window_ends_the_right_secret_of_a_token_never_validated_works_again()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        using var other = new AuthProbe(fixture.Other);
        await SendWrongSecretsAsync(probe, Check, token.TokenId);
        await probe.ExpectAsync(Check, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "too_many_failures", "cluster");

        // Locked for the right secret too: the gateway remembers the lock, and the grain has never verified this secret.
        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "too_many_failures", "refusals");
        await other.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.TooManyRequests, "too_many_failures", "cluster");

        // The gateways judge the lock by the same (fake) wall clock as the silo: the wait it asks for counts down with it.
        fixture.Silo.Clock.Advance(TimeSpan.FromMinutes(2));
        using var later = await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "too_many_failures", "refusals");
        AssertRetryAfterWithin(later, TimeSpan.FromMinutes(3));
        fixture.Silo.Clock.Advance(TimeSpan.FromMinutes(4));

        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");
        await other.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
    }

    [Fact]
    public async Task Secrets_refused_by_their_tag_never_count_toward_the_limit()
    {
        var (_, token) = await fixture.IssueAsync();
        var (_, other) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        var grain = fixture.Silo.Grains.GetGrain<ITokenGrain>(token.TokenId);

        // Without the format key nobody can lock a token: such secrets stop at the gateway, and at the grain too.
        for (var i = 0; i < FailureLimitFixture.MaxFailures * 2; i++)
        {
            var untagged = i % 2 == 0 ? TestSecrets.WrongSecret(other.TokenId) : TestSecrets.UnderKeyId(TestSettings.FormatKeyId);
            await probe.ExpectAsync(Check, token.TokenId, untagged, HttpStatusCode.Unauthorized, "invalid_token", "format");
            Assert.Equal(TokenValidationOutcome.Invalid, (await grain.Validate(untagged)).Outcome);
        }

        await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        // The count is still at zero: the whole limit of well-tagged wrong secrets passes before the lock.
        await SendWrongSecretsAsync(probe, Check, token.TokenId);
        await probe.ExpectAsync(Check, token.TokenId, TestSecrets.WrongSecret(token.TokenId), HttpStatusCode.Unauthorized, "too_many_failures", "cluster");
    }

    /// <summary>As many well-tagged wrong secrets as the limit allows: each one reaches Argon2 and is refused as invalid.</summary>
    private static async Task SendWrongSecretsAsync(AuthProbe probe, string path, Guid tokenId)
    {
        for (var i = 0; i < FailureLimitFixture.MaxFailures; i++)
        {
            using var wrong = await probe.ExpectAsync(path, tokenId, TestSecrets.WrongSecret(tokenId), HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        }
    }

    private static void AssertRetryAfterWithinTheWindow(HttpResponseMessage response) => AssertRetryAfterWithin(response, TimeSpan.FromMinutes(5));

    /// <summary>Whole seconds, at least 1, at most <paramref name="bound"/>.</summary>
    private static void AssertRetryAfterWithin(HttpResponseMessage response, TimeSpan bound)
    {
        var seconds = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), NumberStyles.None, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, (int)bound.TotalSeconds);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }
}
