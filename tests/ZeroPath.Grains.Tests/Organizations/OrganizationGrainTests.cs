using System.Text.Json;
using ZeroPath.Grains.Organizations;
using ZeroPath.Grains.Tokens;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class OrganizationGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IOrganizationGrain NewOrg() => fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));

    [Fact]
    public async Task Member_permissions_are_deduplicated_and_sorted()
    {
        var member = await NewOrg().SetMember("alice", ["vulns:write", "scans:read", "vulns:write"]);

        Assert.Equal(["scans:read", "vulns:write"], member.Permissions.ToArray());
    }

    [Fact]
    public async Task Setting_the_same_permissions_again_stores_nothing()
    {
        var (org, _) = await fixture.IssueAsync(["scans:read", "vulns:write"]);
        var before = (await fixture.ReadStoredAsync<OrganizationState>("organization", org)).ETag;

        var member = await org.SetMember("alice", ["vulns:write", "scans:read"]);

        Assert.Equal(["scans:read", "vulns:write"], member.Permissions.ToArray());
        Assert.Equal(before, (await fixture.ReadStoredAsync<OrganizationState>("organization", org)).ETag);
    }

    [Fact]
    public async Task Creating_for_a_non_member_fails_and_stores_nothing()
    {
        var org = NewOrg();

        var result = await org.CreateToken(new CreateTokenCommand("nobody", null, 30));

        Assert.Equal(CreateTokenStatus.MemberNotFound, result.Status);
        Assert.Null(result.Token);
        Assert.Empty(await org.ListAllTokensAsync());
    }

    [Fact]
    public async Task Issued_token_carries_id_secret_name_and_times()
    {
        var clock = fixture.Cluster.Clock;
        var (_, token) = await fixture.IssueAsync(name: "  CI pipeline ", days: 30);

        Assert.NotEqual(Guid.Empty, token.TokenId);
        Assert.Equal(4, token.TokenId.Version);
        Assert.Equal(SecretFormatVerdict.Valid, TestSettings.FormatKeys.Check(token.TokenId, token.Secret));
        Assert.Equal("CI pipeline", token.Name);
        Assert.Equal(clock.GetUtcNow(), token.CreatedAt);
        Assert.Equal(token.CreatedAt.AddDays(30), token.ExpiresAt);
        Assert.DoesNotContain(token.Secret, token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_holds_its_owners_current_permissions()
    {
        var (org, token) = await fixture.IssueAsync(["scans:read"]);
        Assert.Equal(["scans:read"], (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());

        await org.SetMember("alice", ["admin:all", "scans:read"]);

        Assert.Equal(["admin:all", "scans:read"], (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        Assert.Equal(["admin:all", "scans:read"], (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());
    }

    [Fact]
    public async Task List_shows_active_tokens_newest_first()
    {
        var org = NewOrg();
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var first = (await org.CreateToken(new CreateTokenCommand("alice", "first", 30))).Token!;
        fixture.Cluster.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = (await org.CreateToken(new CreateTokenCommand("bob", null, 30))).Token!;

        var listed = await org.ListAllTokensAsync();

        Assert.Equal([second.TokenId, first.TokenId], listed.Select(t => t.TokenId));
        Assert.Equal(new TokenSummary(first.TokenId, "first", "alice", first.CreatedAt, first.ExpiresAt), listed[1]);
        Assert.Null(listed[0].Name);
    }

    [Fact]
    public async Task Deleted_token_stops_validating_before_the_call_returns_and_never_comes_back()
    {
        var (org, token) = await fixture.IssueAsync();
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);

        Assert.True(await org.DeleteToken(token.TokenId));

        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
        Assert.Empty(await org.ListAllTokensAsync());
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
        Assert.False(await org.DeleteToken(token.TokenId));
    }

    [Fact]
    public async Task An_organization_cannot_delete_another_organizations_token()
    {
        var (_, token) = await fixture.IssueAsync();

        Assert.False(await NewOrg().DeleteToken(token.TokenId));
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }

    [Fact]
    public async Task Removing_a_member_ends_their_tokens_and_only_theirs()
    {
        var org = NewOrg();
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var alice1 = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var alice2 = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var bob = (await org.CreateToken(new CreateTokenCommand("bob", null, 30))).Token!;

        Assert.True(await org.RemoveMember("alice"));

        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(alice1.TokenId, alice1.Secret)).Outcome);
        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(alice2.TokenId, alice2.Secret)).Outcome);
        Assert.True((await fixture.ValidateAsync(bob.TokenId, bob.Secret)).IsValid);
        Assert.Equal([bob.TokenId], (await org.ListAllTokensAsync()).Select(t => t.TokenId));
        Assert.Equal(CreateTokenStatus.MemberNotFound, (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Status);
        Assert.False(await org.RemoveMember("alice"));
    }

    [Fact]
    public async Task Stored_state_holds_an_argon2id_hash_and_never_the_secret()
    {
        var (org, token) = await fixture.IssueAsync();

        var tokenState = await fixture.ReadStoredAsync<TokenState>("token", fixture.Grains.GetGrain<ITokenGrain>(token.TokenId));
        var orgState = await fixture.ReadStoredAsync<OrganizationState>("organization", org);

        Assert.True(tokenState.RecordExists);
        Assert.StartsWith("$argon2id$v=19$", tokenState.State!.SecretHash, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, JsonSerializer.Serialize(tokenState.State), StringComparison.Ordinal);
        var shardState = await fixture.ReadStoredAsync<TokenIndexShardState>("index", fixture.Grains.GetGrain<ITokenIndexShardGrain>($"{org.GetPrimaryKeyString()}/0"));
        Assert.Contains(shardState.State!.Entries, e => e.Token.TokenId == token.TokenId);
        Assert.DoesNotContain(token.Secret, JsonSerializer.Serialize(orgState.State), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Secret, JsonSerializer.Serialize(shardState.State), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_drops_the_stored_hash()
    {
        var (org, token) = await fixture.IssueAsync();

        await org.DeleteToken(token.TokenId);

        var tokenState = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Null(tokenState!.SecretHash);
        Assert.Equal(TokenEndReason.Deleted, tokenState.EndReason);
        Assert.Equal(fixture.Cluster.Clock.GetUtcNow(), tokenState.EndedAt);
    }

    [Fact]
    public async Task Invalid_input_reaching_the_grain_is_refused()
    {
        var org = NewOrg();
        await org.SetMember("alice", []);

        await Assert.ThrowsAsync<ArgumentException>(() => org.SetMember("bad id", []));
        await Assert.ThrowsAsync<ArgumentException>(() => org.SetMember("alice", ["a,b"]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => org.CreateToken(new CreateTokenCommand("alice", null, 366)));
        await Assert.ThrowsAsync<ArgumentException>(() => org.CreateToken(new CreateTokenCommand("alice", new string('n', 101), 30)));
    }
}
