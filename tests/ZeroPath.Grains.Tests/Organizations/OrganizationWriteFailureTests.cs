using ZeroPath.Grains.Tests.Tokens;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

/// <summary>A bulk revocation whose call failed part way is put in effect by its retry, not reported as "nothing to revoke".</summary>
public class OrganizationWriteFailureTests(CountingStorageClusterFixture fixture) : IClassFixture<CountingStorageClusterFixture>
{
    [Fact]
    public async Task A_revoke_all_whose_marks_could_not_be_stored_is_put_in_effect_by_its_retry()
    {
        var (org, token) = await fixture.IssueAsync();
        var marks = fixture.Grains.GetGrain<IRevocationMarksGrain>(org.GetPrimaryKeyString());
        Assert.True((await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Validate(token.Secret)).IsValid);

        // The fan-out is stored with the organization, then storing the marks fails: the call fails.
        fixture.Storage.FailWrites(marks.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => org.RevokeAll("incident 9"));
        fixture.Storage.Heal(marks.GetGrainId());

        // The retry finds the token already being revoked (not counted again), and puts the marks in effect at once.
        Assert.Equal(0, await org.RevokeAll("incident 9"));
        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.Grains.GetGrain<ITokenGrain>(token.TokenId).Validate(token.Secret)).Outcome);

        await ClusterFixture.WaitForFanOutsAsync(org);
        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Equal((TokenEndReason.Revoked, "incident 9"), (stored!.EndReason, stored.EndNote));
        Assert.Null(stored.SecretHash);
    }
}
