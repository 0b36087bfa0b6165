using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests;

public class TokenRulesTests
{
    [Theory]
    [InlineData("acme", true)]
    [InlineData("A-b_9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/", false)]
    [InlineData("dot.", false)]
    [InlineData("ümlaut", false)]
    public void Ids_are_letters_digits_dash_underscore(string id, bool valid) => Assert.Equal(valid, TokenRules.IsValidId(id));

    [Fact]
    public void Ids_are_at_most_64_characters()
    {
        Assert.True(TokenRules.IsValidId(new string('a', 64)));
        Assert.False(TokenRules.IsValidId(new string('a', 65)));
    }

    [Theory]
    [InlineData("scans:read", true)]
    [InlineData("org.*", true)]
    [InlineData("a,b", false)]
    [InlineData("with space", false)]
    [InlineData("", false)]
    public void Permissions_cannot_break_the_comma_separated_header(string permission, bool valid) =>
        Assert.Equal(valid, TokenRules.IsValidPermission(permission));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(30, true)]
    [InlineData(365, true)]
    [InlineData(366, false)]
    [InlineData(-1, false)]
    public void Expiry_is_1_to_365_days(int days, bool valid) => Assert.Equal(valid, TokenRules.IsValidExpiresInDays(days));

    [Theory]
    [InlineData(null, true, null)]
    [InlineData("   ", true, null)]
    [InlineData("  CI  ", true, "CI")]
    public void Names_are_trimmed_and_blank_means_unnamed(string? name, bool ok, string? expected)
    {
        Assert.Equal(ok, TokenRules.TryNormalizeName(name, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Names_are_at_most_100_characters_after_trimming()
    {
        Assert.True(TokenRules.TryNormalizeName(" " + new string('n', 100) + " ", out _));
        Assert.False(TokenRules.TryNormalizeName(new string('n', 101), out _));
    }

    [Theory]
    [InlineData(42, false)]
    [InlineData(43, true)]
    [InlineData(44, false)]
    [InlineData(65, false)]
    [InlineData(128, false)]
    public void Legacy_secrets_are_exactly_43_characters(int length, bool valid) =>
        Assert.Equal(valid, TokenSecretFormat.IsWellFormed(new string('a', length)));

    [Theory]
    [InlineData('+')]
    [InlineData('/')]
    [InlineData('=')]
    [InlineData(' ')]
    [InlineData('é')]
    public void Legacy_secrets_are_base64url_only(char bad) =>
        Assert.False(TokenSecretFormat.IsWellFormed(new string('a', 42) + bad));
}
