using Microsoft.Extensions.DependencyInjection;
using ZeroPath.Grains.Revocations;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>Three silos, so marks have to travel to silos other than the one that raised them.</summary>
public sealed class ThreeSiloClusterFixture : ClusterFixture
{
    protected override short Silos => 3;
}

public class RevocationMarksClusterTests(ThreeSiloClusterFixture fixture) : IClassFixture<ThreeSiloClusterFixture>
{
    [Fact]
    public async Task Raised_marks_stop_a_members_tokens_on_every_silo_before_any_token_is_ended()
    {
        var orgId = TestSettings.UniqueId("org");
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(orgId);
        await org.SetMember("alice", ["scans:read"]);
        await org.SetMember("bob", ["scans:read"]);
        var tokens = await ClusterFixture.IssueManyAsync(org, 12, i => i % 2 == 0 ? "alice" : "bob");
        var alice = tokens.Where((_, i) => i % 2 == 0).ToList();
        var bob = tokens.Where((_, i) => i % 2 == 1).ToList();

        // Warm: every token active somewhere in the cluster, its organization's marks loaded there.
        Assert.All(await Task.WhenAll(tokens.Select(t => fixture.ValidateAsync(t.TokenId, t.Secret))), v => Assert.True(v.IsValid));

        // The first step of a member revocation, and only that: what a crash right after it leaves behind.
        await fixture.Grains.GetGrain<IRevocationMarksGrain>(orgId).Publish(RevocationMarks.None.RevokeMember("alice", 0));

        foreach (var token in alice)
        {
            Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
            Assert.Equal(TokenStatus.Revoked, (await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Describe())!.Status);
            // Not ended by any fan-out: the marks alone refuse it.
            Assert.NotNull((await fixture.ReadStoredTokenAsync(token.TokenId))!.SecretHash);
        }

        Assert.All(await Task.WhenAll(bob.Select(t => fixture.ValidateAsync(t.TokenId, t.Secret))), v => Assert.True(v.IsValid));
        foreach (var silo in fixture.Cluster.Cluster.Silos)
        {
            var cache = silo.ServiceProvider.GetRequiredService<RevocationMarksCache>();
            Assert.True(cache.TryGet(orgId, out var marks), $"silo {silo.SiloAddress} has no marks for {orgId}");
            Assert.True(marks.Revokes("alice", 0));
        }
    }

    [Fact]
    public async Task A_silo_that_never_saw_the_organization_reads_its_marks_before_judging_a_token()
    {
        var orgId = TestSettings.UniqueId("org");
        await fixture.Grains.GetGrain<IRevocationMarksGrain>(orgId).Publish(RevocationMarks.None.RevokeOrganization(4));
        var silo = fixture.Cluster.Cluster.Silos[^1].ServiceProvider;
        var cache = new RevocationMarksCache();

        var marks = await cache.GetAsync(orgId, silo.GetRequiredService<IGrainFactory>());

        Assert.True(marks.Revokes("anyone", 4));
        Assert.False(marks.Revokes("anyone", 5));
        Assert.True(cache.TryGet(orgId, out _));
    }
}
