using ZeroPath.Grains.Secrets;
using ZeroPath.Grains.Security;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

public class TokenGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Issued_token_validates_with_its_owner_org_and_permissions()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read", "vulns:write"]);

        var result = await fixture.ValidateAsync(token.TokenId, token.Secret);

        Assert.Equal(TokenValidationOutcome.Valid, result.Outcome);
        Assert.Equal(org.GetPrimaryKeyString(), result.OrganizationId);
        Assert.Equal("alice", result.UserId);
        Assert.Equal(["scans:read", "vulns:write"], result.Permissions.ToArray());
        Assert.Equal(token.ExpiresAt, result.ExpiresAt);
    }

    [Fact]
    public async Task Warm_validation_keeps_answering_the_same()
    {
        var (_, token) = await fixture.IssueAsync();

        for (var i = 0; i < 20; i++)
        {
            Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        }
    }

    [Fact]
    public async Task Wrong_secret_is_rejected_and_never_remembered()
    {
        var (_, token) = await fixture.IssueAsync();
        // Correctly tagged for this id (so it reaches Argon2), but not the token's secret.
        var wrong = TestSettings.FormatKeys.NewSecret(token.TokenId);

        // A wrong secret first (cold), again (would pass if it had been remembered), then after the right one warmed the digest.
        Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, wrong)).Outcome);
        Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, wrong)).Outcome);
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, wrong)).Outcome);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("not base64url!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public async Task Malformed_secret_is_invalid_without_hashing(string secret)
    {
        var (_, token) = await fixture.IssueAsync();

        Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, secret)).Outcome);
    }

    [Fact]
    public async Task Unknown_token_id_is_unknown()
    {
        var id = Guid.NewGuid();
        var result = await fixture.ValidateAsync(id, TestSettings.FormatKeys.NewSecret(id));

        Assert.Equal(TokenValidation.Unknown, result);
    }

    [Fact]
    public async Task Token_survives_deactivation_and_still_validates_from_storage()
    {
        var (_, token) = await fixture.IssueAsync();
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);

        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));

        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }

    [Fact]
    public async Task A_token_cannot_be_changed_after_creation()
    {
        var (org, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);
        var forged = new TokenRecord(
            token.TokenId, org.GetPrimaryKeyString(), "mallory", "x", token.CreatedAt, token.ExpiresAt.AddDays(300), "$argon2id$forged", ["admin"]);

        using (ClusterCallOrigin.ActAs(org.GetGrainId()))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Initialize(forged));
        }

        var result = await fixture.ValidateAsync(token.TokenId, token.Secret);
        Assert.Equal("alice", result.UserId);
        Assert.Equal(token.ExpiresAt, result.ExpiresAt);
    }

    [Fact]
    public async Task Initialize_retried_with_the_same_record_is_harmless()
    {
        var tokenId = Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(tokenId);
        using var hasher = new TokenSecretHasher(Microsoft.Extensions.Options.Options.Create(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 }));
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var record = new TokenRecord(tokenId, "org", "alice", null, fixture.Cluster.Clock.GetUtcNow(), fixture.Cluster.Clock.GetUtcNow().AddDays(1), hasher.Hash(secret), ["a", "b"]);

        using (ClusterCallOrigin.ActAs(fixture.Grains.GetGrain<IOrganizationGrain>("org").GetGrainId()))
        {
            await grain.Initialize(record);
            await grain.Initialize(record with { Permissions = ["a", "b"] });
        }

        Assert.True((await fixture.ValidateAsync(tokenId, secret)).IsValid);
    }

    [Fact]
    public async Task Only_its_organization_creates_a_token()
    {
        var tokenId = Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(tokenId);
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var now = fixture.Cluster.Clock.GetUtcNow();
        var record = new TokenRecord(tokenId, "victim", "mallory", null, now, now.AddDays(30), FastHasher.Hash(secret), ["*"], 0, true);

        // The test client holds the call key, so its calls are proven, but it is not the victim's organization grain.
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => grain.Initialize(record));
        using (ClusterCallOrigin.ActAs(fixture.Grains.GetGrain<IOrganizationGrain>("other-org").GetGrainId()))
        {
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => grain.Initialize(record));
        }

        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(tokenId, secret)).Outcome);
    }

    [Theory]
    [InlineData(366, "alice", "scans:read")]
    [InlineData(30, "not a user id", "scans:read")]
    [InlineData(30, "alice", "bad permission")]
    [InlineData(-1, "alice", "scans:read")]
    public async Task Its_organization_cannot_send_a_record_it_would_not_issue(int days, string user, string permission)
    {
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);
        var now = fixture.Cluster.Clock.GetUtcNow();
        var record = new TokenRecord(tokenId, "org", user, null, now, now.AddDays(days), FastHasher.Hash(secret), [permission], 0, true);

        using (ClusterCallOrigin.ActAs(fixture.Grains.GetGrain<IOrganizationGrain>("org").GetGrainId()))
        {
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => fixture.Grains.GetGrain<ITokenGrain>(tokenId).Initialize(record));
        }

        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(tokenId, secret)).Outcome);
    }

    private static readonly TokenSecretHasher FastHasher =
        new(Microsoft.Extensions.Options.Options.Create(new TokenHashingOptions { MemoryKiB = 256, Iterations = 1 }));

    [Fact]
    public async Task A_record_for_another_id_is_refused()
    {
        var record = new TokenRecord(Guid.NewGuid(), "org", "alice", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "$argon2id$x", []);

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Initialize(record));
    }
}
