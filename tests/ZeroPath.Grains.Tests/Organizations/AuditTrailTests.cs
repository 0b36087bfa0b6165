using ZeroPath.Grains.Organizations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class AuditTrailTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Create_delete_and_revoke_are_recorded_newest_first_with_actor_and_reason()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        AuditActor.Set("ops@example.com");
        var deleted = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var revoked = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        await org.DeleteToken(deleted.TokenId);
        await fixture.Grains.RevokeTokenAsync(revoked.TokenId, "leaked");
        // A second revoke of the same token records nothing more.
        await fixture.Grains.RevokeTokenAsync(revoked.TokenId, "again");

        var page = await fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString()).GetPage(null, 10);

        Assert.Equal(
            [(AuditAction.TokenRevoked, revoked.TokenId, "leaked"), (AuditAction.TokenDeleted, deleted.TokenId, null), (AuditAction.TokenCreated, revoked.TokenId, null), (AuditAction.TokenCreated, deleted.TokenId, null)],
            page.Events.Select(e => (e.Action, e.TokenId, e.Reason)));
        Assert.All(page.Events, e => Assert.Equal("ops@example.com", e.Actor));
        Assert.All(page.Events, e => Assert.Equal("alice", e.UserId));
        Assert.Equal([3L, 2, 1, 0], page.Events.Select(e => e.Sequence));
        Assert.Null(page.NextBefore);
    }

    [Fact]
    public async Task Paging_walks_every_event_once_across_segments()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        await ClusterFixture.IssueManyAsync(org, 600);

        await org.RevokeAll("rotation");
        await ClusterFixture.WaitForFanOutsAsync(org);
        var log = fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString());

        var seen = new List<AuditEvent>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = await log.GetPage(before, 170);
            seen.AddRange(page.Events);
            before = page.NextBefore;
            pages++;
        }
        while (before is not null);

        Assert.Equal(1200, seen.Count);
        Assert.Equal(Enumerable.Range(0, 1200).Reverse().Select(i => (long)i), seen.Select(e => e.Sequence));
        Assert.Equal(600, seen.Count(e => e.Action == AuditAction.TokenRevoked && e.Reason == "rotation"));
        Assert.Equal(8, pages);
    }

    [Fact]
    public async Task An_event_the_trail_failed_to_take_is_kept_and_recorded_with_the_next_action_and_the_action_succeeds()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var first = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;
        var log = fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString());

        // The trail's activation holds a stale ETag (its state rewritten behind it), so its next write fails.
        var stored = await fixture.ReadStoredAsync<Audit.AuditLogState>("audit", log);
        await fixture.Storage.WriteStateAsync("audit", log.GetGrainId(), stored);

        Assert.True(await org.DeleteToken(first.TokenId));
        Assert.Single((await log.GetPage(null, 10)).Events);
        Assert.Single((await fixture.ReadStoredAsync<OrganizationState>("organization", org)).State!.AuditOutbox);

        var second = (await org.CreateToken(new CreateTokenCommand("alice", null, 30))).Token!;

        var page = await log.GetPage(null, 10);
        Assert.Equal(
            [(2L, AuditAction.TokenCreated, second.TokenId), (1L, AuditAction.TokenDeleted, first.TokenId), (0L, AuditAction.TokenCreated, first.TokenId)],
            page.Events.Select(e => (e.Sequence, e.Action, e.TokenId)));
    }

    [Fact]
    public async Task Recording_the_same_events_again_rewrites_them_in_place()
    {
        var log = fixture.Grains.GetGrain<IAuditLogGrain>(TestSettings.UniqueId("org"));
        var at = fixture.Cluster.Clock.GetUtcNow();
        var events = Enumerable.Range(0, 3)
            .Select(i => new AuditEntry(at, AuditAction.TokenRevoked, "oncall", Guid.NewGuid(), "alice", "incident").Numbered(i))
            .ToArray();

        await log.Record([.. events]);
        await log.Record([events[1], events[2]]);

        Assert.Equal(3, await log.Count());
        Assert.Equal(events.Reverse(), (await log.GetPage(null, 10)).Events);
    }
}
