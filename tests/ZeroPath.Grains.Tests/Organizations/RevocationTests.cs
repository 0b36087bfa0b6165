using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class RevocationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Revoking_an_organization_refuses_a_thousand_tokens_before_the_call_returns_and_ends_each_after()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 1000, i => i % 2 == 0 ? "alice" : "bob");

        Assert.Equal(1000, await org.RevokeAll("incident 42"));

        var outcomes = await Task.WhenAll(tokens.Select(t => fixture.ValidateAsync(t.TokenId, t.Secret)));
        Assert.All(outcomes, o => Assert.Equal(TokenValidationOutcome.Unknown, o.Outcome));
        await ClusterFixture.WaitForFanOutsAsync(org);
        Assert.Empty(await org.ListAllTokensAsync());
        Assert.All(await Task.WhenAll(tokens.Select(t => fixture.ReadStoredTokenAsync(t.TokenId))), t => Assert.Null(t!.SecretHash));
        var details = await fixture.Grains.GetGrain<ITokenGrain>(tokens[500].TokenId).Describe();
        Assert.Equal(TokenStatus.Revoked, details!.Status);
        Assert.Equal("incident 42", details.Reason);
        Assert.Equal(0, await org.RevokeAll("again"));
        var issuedAfter = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        Assert.True((await fixture.ValidateAsync(issuedAfter.TokenId, issuedAfter.Secret)).IsValid);
    }

    [Fact]
    public async Task Revoking_a_members_tokens_leaves_other_members_tokens_and_the_membership()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var alice = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var bob = (await org.CreateToken(new CreateTokenCommand("bob", null, 30))).Token!;

        Assert.Equal(1, await org.RevokeMemberTokens("alice", "laptop stolen"));

        Assert.False((await fixture.ValidateAsync(alice.TokenId, alice.Secret)).IsValid);
        Assert.True((await fixture.ValidateAsync(bob.TokenId, bob.Secret)).IsValid);
        // Issued after the revocation: a new epoch, untouched by it.
        var aliceAgain = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        Assert.True((await fixture.ValidateAsync(aliceAgain.TokenId, aliceAgain.Secret)).IsValid);
        Assert.Null(await org.RevokeMemberTokens("nobody", "x"));
    }

    [Fact]
    public async Task Revoking_by_token_id_alone_ends_it_and_drops_it_from_its_organization()
    {
        var (org, token) = await fixture.IssueAsync();

        var details = await fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked in a public repo");

        Assert.Equal(TokenStatus.Revoked, details!.Status);
        Assert.Equal("leaked in a public repo", details.Reason);
        Assert.Equal(fixture.Cluster.Clock.GetUtcNow(), details.EndedAt);
        Assert.False((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        Assert.Empty(await org.ListAllTokensAsync());
        Assert.Null(await fixture.Grains.RevokeTokenAsync(Guid.NewGuid(), "unknown"));
    }

    [Fact]
    public async Task Describe_reports_each_status_and_never_the_secret_or_hash()
    {
        var (org, active) = await fixture.IssueAsync();
        var deleted = (await org.CreateToken(new CreateTokenCommand("alice", "d", 30))).Token!;
        await org.DeleteToken(deleted.TokenId);
        var removed = (await org.CreateToken(new CreateTokenCommand("alice", "r", 30))).Token!;

        var activeDetails = await fixture.Grains.GetGrain<ITokenGrain>(active.TokenId).Describe();
        // Arrays compare by reference in a record: the permissions on their own.
        Assert.Equal(new TokenDetails(active.TokenId, org.GetPrimaryKeyString(), "alice", "CI", active.CreatedAt, active.ExpiresAt, TokenStatus.Active, null, null), activeDetails! with { Permissions = null });
        Assert.Equal(["scans:read"], activeDetails.Permissions!.Value.ToArray());
        Assert.DoesNotContain(active.Secret, activeDetails!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("argon2", activeDetails.ToString(), StringComparison.Ordinal);
        Assert.Equal(TokenStatus.Deleted, (await fixture.Grains.GetGrain<ITokenGrain>(deleted.TokenId).Describe())!.Status);
        await org.RemoveMember("alice");
        var removedDetails = await fixture.Grains.GetGrain<ITokenGrain>(removed.TokenId).Describe();
        Assert.Equal(TokenStatus.Revoked, removedDetails!.Status);
        Assert.Equal("owner removed from the organization", removedDetails.Reason);
        Assert.Null(await fixture.Grains.GetGrain<ITokenGrain>(Guid.NewGuid()).Describe());
    }
}
