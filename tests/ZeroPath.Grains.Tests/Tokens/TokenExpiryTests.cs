using ZeroPath.Grains.Secrets;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

/// <summary>
/// Validation judges expiry by the clock alone: these run on a cluster where no expiry tick can fire (and on a clock no
/// other test class shares).
/// </summary>
public class TokenExpiryTests(NoExpiryTickClusterFixture fixture) : IClassFixture<NoExpiryTickClusterFixture>
{
    [Fact]
    public async Task Expired_token_is_rejected_even_before_any_reminder_exists()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);

        fixture.Cluster.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(TokenValidationOutcome.Expired, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
    }

    [Fact]
    public async Task Expiry_is_exact_to_the_instant()
    {
        var (_, token) = await fixture.IssueAsync(days: 7);
        var clock = fixture.Cluster.Clock;
        Assert.Equal(clock.GetUtcNow().AddDays(7), token.ExpiresAt);

        clock.SetUtcNow(token.ExpiresAt.AddTicks(-1));
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);

        clock.SetUtcNow(token.ExpiresAt);
        Assert.Equal(TokenValidationOutcome.Expired, (await fixture.ValidateAsync(token.TokenId, token.Secret)).Outcome);
    }

    [Fact]
    public async Task Expired_answer_is_given_only_for_the_right_secret()
    {
        var (_, token) = await fixture.IssueAsync(days: 1);
        fixture.Cluster.Clock.Advance(TimeSpan.FromDays(2));

        Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(token.TokenId))).Outcome);
    }

    [Fact]
    public async Task Expired_tokens_leave_the_list_but_unexpired_ones_stay()
    {
        var org = fixture.Grains.GetGrain<IOrganizationGrain>(ZeroPath.Testing.TestSettings.UniqueId("org"));
        await org.SetMember("alice", ["scans:read"]);
        var shortLived = (await org.CreateToken(new CreateTokenCommand("alice", "short", 1))).Token!;
        var longLived = (await org.CreateToken(new CreateTokenCommand("alice", "long", 365))).Token!;

        fixture.Cluster.Clock.Advance(TimeSpan.FromDays(2));

        var listed = await org.ListAllTokensAsync();
        Assert.Equal([longLived.TokenId], listed.Select(t => t.TokenId));
        Assert.DoesNotContain(listed, t => t.TokenId == shortLived.TokenId);
    }
}
