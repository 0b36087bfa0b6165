using Orleans.Runtime;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

/// <summary>
/// A change to a token is acknowledged only once it is stored, and a failed write leaves every activation answering from
/// what storage holds: the one that saw the failure and the one after collection agree with storage and with each other.
/// </summary>
public class TokenWriteFailureTests(CountingStorageClusterFixture fixture) : IClassFixture<CountingStorageClusterFixture>
{
    private Task CollectAsync(ITokenGrain grain) => fixture.Cluster.Cluster.DeactivateAsync(grain);

    [Fact]
    public async Task A_revoke_whose_write_fails_throws_and_the_token_stays_as_stored_until_a_retry_ends_it_durably()
    {
        var (org, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);
        Assert.True((await grain.Validate(token.Secret)).IsValid);

        fixture.Storage.FailWrites(grain.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"));

        // Not ended in storage, so not ended anywhere: not in the activation that saw the failure, not after collection.
        Assert.Null((await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        Assert.Equal(TokenStatus.Active, (await grain.Describe())!.Status);
        await CollectAsync(grain);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        Assert.Contains(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);

        // Storage recovers: the retried revoke ends it for good.
        fixture.Storage.Heal(grain.GetGrainId());
        Assert.Equal(TokenStatus.Revoked, (await fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"))!.Status);

        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Equal(TokenEndReason.Revoked, stored!.EndReason);
        Assert.Null(stored.SecretHash);
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
        await CollectAsync(grain);
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
        Assert.DoesNotContain(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);
    }

    [Fact]
    public async Task A_retried_revoke_in_the_same_activation_is_not_acknowledged_until_it_is_stored()
    {
        var (_, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);

        fixture.Storage.FailWrites(grain.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"));
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"));
        Assert.Null((await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);

        fixture.Storage.Heal(grain.GetGrainId());
        await fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked");
        Assert.Equal(TokenEndReason.Revoked, (await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
    }

    [Fact]
    public async Task A_delete_whose_token_write_fails_fails_and_the_token_stays_listed_and_valid()
    {
        var (org, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);

        fixture.Storage.FailWrites(grain.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => org.DeleteToken(token.TokenId));

        Assert.True((await grain.Validate(token.Secret)).IsValid);
        await CollectAsync(grain);
        Assert.True((await grain.Validate(token.Secret)).IsValid);
        Assert.Contains(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);

        fixture.Storage.Heal(grain.GetGrainId());
        Assert.True(await org.DeleteToken(token.TokenId));
        Assert.Equal(TokenEndReason.Deleted, (await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
    }

    [Fact]
    public async Task An_end_stored_despite_a_reported_failure_is_what_every_later_call_sees()
    {
        var (org, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);
        Assert.True((await grain.Validate(token.Secret)).IsValid);

        // The write lands but the caller hears it failed (a timeout after the fact).
        fixture.Storage.FailWrites(grain.GetGrainId(), WriteFault.FailAfterWriting);
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"));
        fixture.Storage.Heal(grain.GetGrainId());

        // The activation that heard the failure went; the next reads storage, which holds the end.
        Assert.Equal(TokenValidationOutcome.Unknown, (await grain.Validate(token.Secret)).Outcome);
        Assert.Equal(TokenStatus.Revoked, (await fixture.Grains.RevokeTokenAsync(token.TokenId, "leaked"))!.Status);
        Assert.DoesNotContain(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);
    }

    [Fact]
    public async Task A_permission_change_whose_write_fails_throws_and_validations_keep_the_stored_permissions()
    {
        var (_, token) = await fixture.IssueAsync();
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);
        Assert.Equal(["scans:read"], (await grain.Validate(token.Secret)).Permissions.ToArray());

        fixture.Storage.FailWrites(grain.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => grain.UpdatePermissions(["scans:read", "admin"]));

        Assert.Equal(["scans:read"], (await grain.Validate(token.Secret)).Permissions.ToArray());
        await CollectAsync(grain);
        Assert.Equal(["scans:read"], (await grain.Validate(token.Secret)).Permissions.ToArray());
        Assert.Equal(["scans:read"], (await fixture.ReadStoredTokenAsync(token.TokenId))!.Permissions.ToArray());

        fixture.Storage.Heal(grain.GetGrainId());
        await grain.UpdatePermissions(["scans:read", "admin"]);
        Assert.Equal(["scans:read", "admin"], (await grain.Validate(token.Secret)).Permissions.ToArray());
        Assert.Equal(["scans:read", "admin"], (await fixture.ReadStoredTokenAsync(token.TokenId))!.Permissions.ToArray());
    }

    [Fact]
    public async Task An_expiry_end_whose_write_fails_leaves_the_token_as_stored_and_a_later_sweep_ends_it()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        var grain = fixture.Grains.GetGrain<ITokenGrain>(token.TokenId);
        fixture.Storage.FailWrites(grain.GetGrainId());
        fixture.Cluster.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        await Assert.ThrowsAnyAsync<Exception>(() => grain.Terminate(TokenEndReason.Expired, null));

        Assert.Null((await grain.Describe())!.EndedAt);
        Assert.Null((await fixture.ReadStoredTokenAsync(token.TokenId))!.EndedAt);
        Assert.Equal(TokenValidationOutcome.Expired, (await grain.Validate(token.Secret)).Outcome);

        fixture.Storage.Heal(grain.GetGrainId());
        await grain.Terminate(TokenEndReason.Expired, null);
        Assert.Equal(TokenEndReason.Expired, (await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
        Assert.Equal(token.ExpiresAt, (await grain.Describe())!.EndedAt);
    }
}
