using System.Net;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests.Authentication;

/// <summary>
/// One silo issuing under key t1, and gateways that check with: t1 (the default), t1 and a new key t2 (mid-rotation),
/// t2 alone (t1 retired), and t1 with legacy secrets refused.
/// </summary>
public sealed class SecretFormatFixture : EdgeFixture
{
    public GatewayFactory Rotating { get; private set; } = null!;
    public GatewayFactory WithoutOldKey { get; private set; } = null!;
    public GatewayFactory NoLegacy { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var second = TestSecrets.SecondKey();
        Rotating = await StartGatewayAsync(GatewayFactory.Setting($"ZeroPath:SecretFormat:Keys:{second.Id}", second.Base64));
        WithoutOldKey = await StartGatewayWithFormatAsync(GatewayFactory.Setting($"ZeroPath:SecretFormat:Keys:{second.Id}", second.Base64));
        NoLegacy = await StartGatewayAsync(GatewayFactory.Setting("ZeroPath:SecretFormat:AcceptLegacySecrets", false));
    }
}

public class SecretFormatAtTheEdgeTests(SecretFormatFixture fixture) : IClassFixture<SecretFormatFixture>
{
    private const string Check = "/auth/check";
    private const string Proxied = "/api/v1/x";

    [Fact]
    public async Task A_secret_with_one_character_changed_fails_its_checksum_with_the_headers()
    {
        var (_, token) = await fixture.IssueAsync();
        var mangled = TestSecrets.OneCharacterChanged(token.Secret);
        using var probe = new AuthProbe(fixture.Gateway);

        foreach (var path in new[] { Check, Proxied, Check })
        {
            using var refused = await probe.ExpectAsync(path, token.TokenId, mangled, HttpStatusCode.Unauthorized, "malformed_credentials", "headers");
            await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "malformed_credentials");
        }
    }

    [Fact]
    public async Task A_real_secret_sent_with_another_tokens_id_is_refused_by_its_tag()
    {
        var (_, a) = await fixture.IssueAsync();
        var (_, b) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.Gateway);
        // B cached: a cache keyed by id must still not take A's secret for it.
        await probe.ExpectAsync(Check, b.TokenId, b.Secret, HttpStatusCode.OK, "ok", "cluster");

        foreach (var path in new[] { Check, Proxied, Check })
        {
            using var refused = await probe.ExpectAsync(path, b.TokenId, a.Secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
            await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_token");
        }

        await probe.ExpectAsync(Check, b.TokenId, b.Secret, HttpStatusCode.OK, "ok", "cache");
    }

    [Fact]
    public async Task A_secret_under_an_unknown_key_id_is_refused_by_format()
    {
        var (_, token) = await fixture.IssueAsync();
        var unknownKey = TestSecrets.UnderKeyId("zz");
        Assert.Equal(SecretShape.Current, TokenSecretFormat.Classify(unknownKey));
        using var probe = new AuthProbe(fixture.Gateway);

        foreach (var id in new[] { token.TokenId, Guid.NewGuid() })
        {
            await probe.ExpectAsync(Check, id, unknownKey, HttpStatusCode.Unauthorized, "invalid_token", "format");
            await probe.ExpectAsync(Proxied, id, unknownKey, HttpStatusCode.Unauthorized, "invalid_token", "format");
        }
    }

    [Fact]
    public async Task Random_ids_with_well_formed_secrets_are_refused_by_format_every_time()
    {
        using var probe = new AuthProbe(fixture.Gateway);

        for (var i = 0; i < 5; i++)
        {
            var id = Guid.NewGuid();
            foreach (var secret in new[] { TestSecrets.WrongSecret(Guid.NewGuid()), TestSecrets.UnderKeyId(TestSettings.FormatKeyId) })
            {
                // Refused by the tag each time: nothing is remembered of them, and nothing reaches the cluster.
                await probe.ExpectAsync(Check, id, secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
                await probe.ExpectAsync(Proxied, id, secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
            }
        }
    }

    [Fact]
    public async Task A_gateway_that_also_knows_a_new_key_accepts_secrets_issued_under_the_old_one()
    {
        var (_, token) = await fixture.IssueAsync();
        var underNewKey = TestSecrets.SecondKey().Ring.NewSecret(token.TokenId);
        using var rotating = new AuthProbe(fixture.Rotating);
        using var current = new AuthProbe(fixture.Gateway);

        await rotating.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cluster");
        await rotating.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.OK, "ok", "cache");

        // A secret tagged under the new key passes this gateway's check, and the silo (which has no t2 yet) refuses it;
        // a gateway that does not know t2 refuses it itself.
        await rotating.ExpectAsync(Check, token.TokenId, underNewKey, HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        await current.ExpectAsync(Check, token.TokenId, underNewKey, HttpStatusCode.Unauthorized, "invalid_token", "format");
    }

    [Fact]
    public async Task A_gateway_without_the_old_key_refuses_its_secrets_without_a_cluster_call()
    {
        var (_, token) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.WithoutOldKey);

        for (var i = 0; i < 2; i++)
        {
            using var refused = await probe.ExpectAsync(Check, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
            await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_token");
            await probe.ExpectAsync(Proxied, token.TokenId, token.Secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
        }
    }

    [Fact]
    public async Task A_legacy_token_validates_through_the_gateway_and_is_cached()
    {
        var (tokenId, secret, org) = await fixture.CreateLegacyTokenAsync();
        using var probe = new AuthProbe(fixture.Gateway);

        using var first = await probe.ExpectAsync(Check, tokenId, secret, HttpStatusCode.OK, "ok", "cluster");
        Assert.Equal(org, first.Headers.GetValues("X-ZeroPath-Org-Id").Single());
        await probe.ExpectAsync(Check, tokenId, secret, HttpStatusCode.OK, "ok", "cache");
        using var proxied = await probe.ExpectAsync(Proxied, tokenId, secret, HttpStatusCode.OK, "ok", "cache");
        Assert.Equal(tokenId.ToString(), (await GatewayFixture.EchoAsync(proxied)).Headers["X-ZeroPath-Token-Id"]);

        // Another legacy secret for the same id is not the token's: only Argon2 can tell, so the cluster is asked.
        await probe.ExpectAsync(Check, tokenId, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "cluster");
    }

    [Fact]
    public async Task A_random_id_with_a_legacy_secret_is_asked_once_then_refused_locally()
    {
        var id = Guid.NewGuid();
        using var probe = new AuthProbe(fixture.Gateway);

        await probe.ExpectAsync(Check, id, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "cluster");
        for (var i = 0; i < 3; i++)
        {
            using var refused = await probe.ExpectAsync(i % 2 == 0 ? Check : Proxied, id, TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "refusals");
            await GatewayProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_token");
        }
    }

    [Fact]
    public async Task A_gateway_refusing_legacy_secrets_refuses_them_by_format()
    {
        var (tokenId, secret, _) = await fixture.CreateLegacyTokenAsync();
        var (_, current) = await fixture.IssueAsync();
        using var probe = new AuthProbe(fixture.NoLegacy);

        await probe.ExpectAsync(Check, tokenId, secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
        await probe.ExpectAsync(Proxied, tokenId, secret, HttpStatusCode.Unauthorized, "invalid_token", "format");
        await probe.ExpectAsync(Check, Guid.NewGuid(), TestSettings.LegacySecret(), HttpStatusCode.Unauthorized, "invalid_token", "format");
        await probe.ExpectAsync(Check, current.TokenId, current.Secret, HttpStatusCode.OK, "ok", "cluster");
    }
}
