using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class InterruptedRevocationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_revocation_cut_short_by_a_crash_is_finished_when_the_organization_comes_back()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 5, i => i < 3 ? "alice" : "bob");

        // What a crash right after storing the intent of revoking alice's tokens leaves: the intent and its marks in the
        // organization's storage, the marks not yet raised for the tokens to see, no token ended, no activation.
        await fixture.Cluster.Cluster.DeactivateAsync(org);
        var stored = await fixture.ReadStoredAsync<OrganizationState>("organization", org);
        var revoked = tokens.Take(3).Select(t => t.TokenId).ToList();
        stored.State!.Revocation = new PendingRevocation { Member = "alice", Reason = TokenEndReason.Revoked, Note = "incident 7", Actor = "oncall" };
        stored.State.Revoked = stored.State.Revoked.RevokeMember("alice", stored.State.Epoch);
        stored.State.Epoch++;
        await fixture.Storage.WriteStateAsync("organization", org.GetGrainId(), stored);

        // The next call activates the organization, which finishes the revocation before answering.
        var listed = await org.ListTokens();

        Assert.Equal(tokens.Skip(3).Select(t => t.TokenId).Order(), listed.Select(t => t.TokenId).Order());
        foreach (var token in tokens)
        {
            Assert.Equal(!revoked.Contains(token.TokenId), (await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        }

        Assert.True((await fixture.Grains.GetGrain<IRevocationEpochGrain>(org.GetPrimaryKeyString()).Read()).Revokes("alice", 0));
        var audit = await fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString()).GetPage(null, 3);
        Assert.All(audit.Events, e => Assert.Equal((AuditAction.TokenRevoked, "oncall", "incident 7"), (e.Action, e.Actor, e.Reason)));
        Assert.Equal(revoked.Order(), audit.Events.Select(e => e.TokenId).Order());
    }

    [Fact]
    public async Task A_fan_out_that_fails_drops_the_organization_and_its_reminder_finishes_the_revocation()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 100);

        // One token's activation holds a stale ETag (its stored state was rewritten behind it): its next write fails, as
        // a storage fault or a lost silo would make it fail, and that fails the fan-out.
        var stale = tokens[70];
        Assert.True((await fixture.ValidateAsync(stale.TokenId, stale.Secret)).IsValid);
        var stored = await fixture.ReadStoredAsync<Grains.Tokens.TokenState>("token", fixture.Grains.GetGrain<ITokenGrain>(stale.TokenId));
        await fixture.Storage.WriteStateAsync("token", fixture.Grains.GetGrain<ITokenGrain>(stale.TokenId).GetGrainId(), stored);

        await Assert.ThrowsAnyAsync<Exception>(() => org.RevokeAll("incident 8"));

        // Unfinished, yet in effect: the marks refuse every token, including the one the fan-out could not end.
        Assert.NotNull((await fixture.ReadStoredTokenAsync(stale.TokenId))!.SecretHash);
        Assert.All(await Task.WhenAll(tokens.Select(t => fixture.ValidateAsync(t.TokenId, t.Secret))), v => Assert.False(v.IsValid));

        // Nobody calls the organization: its resume reminder comes back and finishes the job.
        await fixture.EventuallyAsync(
            async () => (await fixture.ReadStoredAsync<OrganizationState>("organization", org)).State!.Revocation is null,
            "the reminder to finish the revocation");
        foreach (var token in tokens)
        {
            var ended = await fixture.ReadStoredTokenAsync(token.TokenId);
            Assert.Equal((TokenEndReason.Revoked, "incident 8"), (ended!.EndReason, ended.EndNote));
            Assert.Null(ended.SecretHash);
        }

        Assert.Empty(await org.ListTokens());
    }

    [Fact]
    public async Task A_permission_change_cut_short_by_a_crash_reaches_every_token_when_the_organization_comes_back()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read", "vulns:write"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 5);

        // What a crash right after storing a downgrade leaves: the new permissions and what is owed stored, no token told.
        await fixture.Cluster.Cluster.DeactivateAsync(org);
        var stored = await fixture.ReadStoredAsync<OrganizationState>("organization", org);
        stored.State!.Members["alice"] = ["scans:read"];
        stored.State.PermissionSyncs.Add("alice");
        await fixture.Storage.WriteStateAsync("organization", org.GetGrainId(), stored);
        Assert.Equal(["scans:read", "vulns:write"], (await fixture.ValidateAsync(tokens[0].TokenId, tokens[0].Secret)).Permissions.ToArray());

        // The next call activates the organization, which finishes the change before answering.
        await org.ListTokens();

        foreach (var token in tokens)
        {
            Assert.Equal(["scans:read"], (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());
        }

        Assert.Empty((await fixture.ReadStoredAsync<OrganizationState>("organization", org)).State!.PermissionSyncs);
    }
}
