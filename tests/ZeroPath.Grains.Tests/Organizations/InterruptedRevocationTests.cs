using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class InterruptedRevocationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private Task WaitForFanOutsAsync(IOrganizationGrain org) =>
        fixture.EventuallyAsync(async () => (await org.PendingWork()).Revocations == 0, "the fan-out to finish");

    [Fact]
    public async Task A_revocation_cut_short_by_a_crash_is_finished_when_the_organization_comes_back()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 5, i => i < 3 ? "alice" : "bob");

        // What a crash right after storing the revocation of alice's tokens leaves: the fan-out and its marks in the
        // organization's storage, the marks not yet published for the tokens to see, no token ended, no activation.
        await fixture.Cluster.Cluster.DeactivateAsync(org);
        var stored = await fixture.ReadStoredAsync<OrganizationState>("organization", org);
        var revoked = tokens.Take(3).Select(t => t.TokenId).ToList();
        stored.State!.BeginRevocation("alice", TokenEndReason.Revoked, "incident 7", "oncall");
        await fixture.Storage.WriteStateAsync("organization", org.GetGrainId(), stored);

        // The next call activates the organization, which publishes the marks before answering and finishes the fan-out.
        await org.PendingWork();
        Assert.All(await Task.WhenAll(tokens.Take(3).Select(t => fixture.ValidateAsync(t.TokenId, t.Secret))), v => Assert.False(v.IsValid));
        await WaitForFanOutsAsync(org);
        var listed = await org.ListAllTokensAsync();

        Assert.Equal(tokens.Skip(3).Select(t => t.TokenId).Order(), listed.Select(t => t.TokenId).Order());
        foreach (var token in tokens)
        {
            Assert.Equal(!revoked.Contains(token.TokenId), (await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        }

        // Every token the member's mark covered is stored as ended, so the mark itself is gone.
        Assert.False((await fixture.Grains.GetGrain<IRevocationMarksGrain>(org.GetPrimaryKeyString()).Read()).Revokes("alice", 0));
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

        Assert.Equal(100, await org.RevokeAll("incident 8"));

        // In effect at once: the marks refuse every token, including the one the fan-out cannot end yet.
        Assert.All(await Task.WhenAll(tokens.Select(t => fixture.ValidateAsync(t.TokenId, t.Secret))), v => Assert.False(v.IsValid));

        // Nobody calls the organization: its resume reminder comes back and finishes the job.
        await fixture.EventuallyAsync(
            async () => (await fixture.ReadStoredAsync<OrganizationState>("organization", org)).State!.FanOuts.Count == 0,
            "the reminder to finish the revocation");
        foreach (var token in tokens)
        {
            var ended = await fixture.ReadStoredTokenAsync(token.TokenId);
            Assert.Equal((TokenEndReason.Revoked, "incident 8"), (ended!.EndReason, ended.EndNote));
            Assert.Null(ended.SecretHash);
        }

        Assert.Empty(await org.ListAllTokensAsync());
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
        stored.State!.PermissionSyncs.Add("alice");
        await fixture.Storage.WriteStateAsync("organization", org.GetGrainId(), stored);
        var member = fixture.Grains.GetGrain<IMemberGrain>($"{org.GetPrimaryKeyString()}/alice");
        await fixture.Cluster.Cluster.DeactivateAsync(member);
        var storedMember = await fixture.ReadStoredAsync<MemberState>("member", member);
        storedMember.State!.Permissions = ["scans:read"];
        await fixture.Storage.WriteStateAsync("member", member.GetGrainId(), storedMember);
        Assert.Equal(["scans:read", "vulns:write"], (await fixture.ValidateAsync(tokens[0].TokenId, tokens[0].Secret)).Permissions.ToArray());

        // The next call activates the organization, which finishes the change before answering.
        await org.ListAllTokensAsync();

        foreach (var token in tokens)
        {
            Assert.Equal(["scans:read"], (await fixture.ValidateAsync(token.TokenId, token.Secret)).Permissions.ToArray());
        }

        Assert.Empty((await fixture.ReadStoredAsync<OrganizationState>("organization", org)).State!.PermissionSyncs);
    }
}
