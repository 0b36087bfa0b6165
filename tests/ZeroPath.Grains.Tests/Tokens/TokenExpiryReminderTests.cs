using Orleans.Runtime;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

/// <summary>Its own cluster and clock: these tests move time by up to a year.</summary>
public class TokenExpiryReminderTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private async Task AssertCleanedUpAsync(IOrganizationGrain org, IssuedToken token)
    {
        await fixture.EventuallyAsync(
            async () => (await fixture.ReadStoredTokenAsync(token.TokenId))?.EndReason == TokenEndReason.Expired,
            "the expiry tick to end the token");
        var stored = await fixture.ReadStoredTokenAsync(token.TokenId);
        Assert.Null(stored!.SecretHash);
        Assert.Equal(token.ExpiresAt, stored.EndedAt);
        await fixture.EventuallyAsync(
            async () => (await org.ListAllTokensAsync()).All(t => t.TokenId != token.TokenId) && !await IndexedAsync(org, token.TokenId),
            "the organization to drop the expired token");
    }

    private async Task<bool> IndexedAsync(IOrganizationGrain org, Guid tokenId) =>
        (await fixture.ReadStoredAsync<ZeroPath.Grains.Organizations.TokenIndexShardState>(
            "index", fixture.Grains.GetGrain<ITokenIndexShardGrain>($"{org.GetPrimaryKeyString()}/0"))).State!.Entries.Any(e => e.Token.TokenId == tokenId);

    /// <summary>The organization's expiry tick, delivered by hand (as a late, duplicate or early tick would be).</summary>
    private static Task TickAsync(IOrganizationGrain org) =>
        org.AsReference<IRemindable>().ReceiveReminder("expire", new TickStatus(DateTime.UtcNow, TimeSpan.FromHours(1), DateTime.UtcNow));

    [Fact]
    public async Task A_one_day_token_is_cleaned_up_by_its_organizations_expiry_reminder_after_a_day()
    {
        var (org, token) = await fixture.IssueAsync(days: 1);

        await fixture.AdvanceAsync(TimeSpan.FromHours(23));
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        Assert.Null((await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);

        await fixture.AdvanceAsync(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));

        await AssertCleanedUpAsync(org, token);
        Assert.Equal(TokenValidationOutcome.Unknown, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
        var newest = (await fixture.Grains.GetGrain<IAuditLogGrain>(org.GetPrimaryKeyString()).GetPage(null, 1)).Events.Single();
        Assert.Equal((AuditAction.TokenExpired, token.TokenId, AuditActor.System), (newest.Action, newest.TokenId, newest.Actor));
    }

    [Fact]
    public async Task A_365_day_token_stays_until_its_last_day_and_is_cleaned_up_after_it()
    {
        var (org, token) = await fixture.IssueAsync(days: 365);

        await fixture.AdvanceAsync(TimeSpan.FromDays(364));
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        Assert.Null((await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
        Assert.Contains(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);

        await fixture.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        await AssertCleanedUpAsync(org, token);
    }

    [Fact]
    public async Task Late_duplicate_and_early_ticks_are_harmless()
    {
        var (org, token) = await fixture.IssueAsync(days: 2);

        // Early: a tick before expiry changes nothing.
        await TickAsync(org);
        await fixture.EventuallyAsync(async () => (await org.PendingWork()) == new OrganizationWork(0, 0) && (await fixture.ReadStoredAsync<ZeroPath.Grains.Organizations.OrganizationState>("organization", org)).State!.FanOuts.Count == 0, "the early sweep to finish");
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
        Assert.True(await IndexedAsync(org, token.TokenId));

        // Late: the clock is 30 days past expiry when the tick arrives; it still ends the token as of its expiry.
        await fixture.AdvanceAsync(TimeSpan.FromDays(32));
        await AssertCleanedUpAsync(org, token);
        var ended = await fixture.ReadStoredTokenAsync(token.TokenId);

        // Duplicates after the clean-up change nothing either.
        await TickAsync(org);
        await TickAsync(org);
        Assert.True(ended!.SameAs((await fixture.ReadStoredTokenAsync(token.TokenId))!));
        Assert.DoesNotContain(await org.ListAllTokensAsync(), t => t.TokenId == token.TokenId);
    }

    [Fact]
    public async Task A_deleted_token_is_not_turned_into_an_expired_one_by_a_later_tick()
    {
        var (org, token) = await fixture.IssueAsync(days: 1);
        await org.DeleteToken(token.TokenId);

        await fixture.AdvanceAsync(TimeSpan.FromDays(2));
        await TickAsync(org);

        Assert.Equal(TokenEndReason.Deleted, (await fixture.ReadStoredTokenAsync(token.TokenId))!.EndReason);
    }
}
