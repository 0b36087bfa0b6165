using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Tokens;

/// <summary>The default limit: 10 wrong secrets in a 5-minute window that starts at the first of them.</summary>
public class TokenFailureLimitTests(NoExpiryTickClusterFixture fixture) : IClassFixture<NoExpiryTickClusterFixture>
{
    private const int MaxFailures = 10;

    [Fact]
    public async Task After_ten_wrong_secrets_even_the_right_one_is_refused_without_hashing_until_the_window_ends()
    {
        var (_, token) = await fixture.IssueAsync();
        var started = fixture.Cluster.Clock.GetUtcNow();
        for (var i = 0; i < MaxFailures; i++)
        {
            Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, TestSettings.FormatKeys.NewSecret(token.TokenId))).Outcome);
        }

        var wrong = await fixture.ValidateAsync(token.TokenId, TestSettings.FormatKeys.NewSecret(token.TokenId));
        // The activation never verified the right secret, so only Argon2 could tell it apart: Locked proves none ran.
        var right = await fixture.ValidateAsync(token.TokenId, token.Secret);

        Assert.Equal(TokenValidationOutcome.Locked, wrong.Outcome);
        Assert.Equal(TokenValidationOutcome.Locked, right.Outcome);
        Assert.Equal(started.AddMinutes(5), right.LockedUntil);

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(5));

        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }

    [Fact]
    public async Task A_secret_already_verified_keeps_working_while_the_token_is_locked()
    {
        var (_, token) = await fixture.IssueAsync();
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);

        for (var i = 0; i <= MaxFailures; i++)
        {
            await fixture.ValidateAsync(token.TokenId, TestSettings.FormatKeys.NewSecret(token.TokenId));
        }

        Assert.Equal(TokenValidationOutcome.Locked, (await fixture.ValidateAsync(token.TokenId, TestSettings.FormatKeys.NewSecret(token.TokenId))).Outcome);
        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }

    [Fact]
    public async Task Concurrent_wrong_secrets_start_no_more_verifies_than_the_limit()
    {
        var (_, token) = await fixture.IssueAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 60)
            .Select(_ => fixture.ValidateAsync(token.TokenId, TestSettings.FormatKeys.NewSecret(token.TokenId))));

        Assert.InRange(outcomes.Count(o => o.Outcome == TokenValidationOutcome.Invalid), 1, MaxFailures);
        Assert.All(outcomes, o => Assert.Contains(o.Outcome, new[] { TokenValidationOutcome.Invalid, TokenValidationOutcome.Locked }));
    }

    [Fact]
    public async Task Concurrent_requests_with_the_right_secret_share_one_verify_and_all_pass()
    {
        var (_, token) = await fixture.IssueAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => fixture.ValidateAsync(token.TokenId, token.Secret)));

        Assert.All(outcomes, o => Assert.True(o.IsValid));
    }

    [Fact]
    public async Task Old_format_secrets_for_a_new_format_token_are_refused_without_argon2_and_not_counted()
    {
        var (_, token) = await fixture.IssueAsync();

        for (var i = 0; i < 3 * MaxFailures; i++)
        {
            Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, TestSettings.LegacySecret())).Outcome);
        }

        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }

    [Fact]
    public async Task Secrets_the_format_refuses_are_not_counted()
    {
        var (_, token) = await fixture.IssueAsync();
        var otherTokens = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        for (var i = 0; i < 3 * MaxFailures; i++)
        {
            Assert.Equal(TokenValidationOutcome.Invalid, (await fixture.ValidateAsync(token.TokenId, otherTokens)).Outcome);
        }

        Assert.True((await fixture.ValidateAsync(token.TokenId, token.Secret)).IsValid);
    }
}
