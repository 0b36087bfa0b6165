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

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData(" 203.0.113.7 ", "203.0.113.7/32")]
    [InlineData("203.0.113.0/24", "203.0.113.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:DB8::/32", "2001:db8::/32")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128")]
    [InlineData("::/0", "::/0")]
    public void Address_ranges_are_stored_in_canonical_form(string text, string canonical)
    {
        Assert.True(TokenRules.TryNormalizeCidr(text, out var normalized));
        Assert.Equal(canonical, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.1")]
    [InlineData("010.0.0.1")]
    [InlineData("2001:db8::/129")]
    [InlineData("2001:db8::1/32")]
    [InlineData("fe80::1%eth0")]
    [InlineData("::ffff:10.0.0.0/104")]
    [InlineData("example.com")]
    [InlineData("10.0.0.0 /8")]
    public void Anything_else_is_not_an_address_range(string text) => Assert.False(TokenRules.TryNormalizeCidr(text, out _));

    [Fact]
    public void A_tokens_ranges_are_one_to_32_distinct_and_ordered()
    {
        Assert.True(TokenRules.TryNormalizeCidrs(["2001:db8::/32", "10.0.0.0/8", "10.0.0.0/8"], out var normalized, out _));
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], normalized.ToArray());
        Assert.True(TokenRules.AreCanonicalCidrs(normalized));
        Assert.False(TokenRules.AreCanonicalCidrs(["2001:db8::/32", "10.0.0.0/8"]));
        Assert.False(TokenRules.TryNormalizeCidrs([], out _, out _));
        Assert.False(TokenRules.TryNormalizeCidrs([.. Enumerable.Range(0, 33).Select(i => $"10.0.{i}.0/24")], out _, out _));
        Assert.True(TokenRules.TryNormalizeCidrs([.. Enumerable.Range(0, 32).Select(i => $"10.0.{i}.0/24")], out _, out _));
        Assert.False(TokenRules.TryNormalizeCidrs(["10.0.0.0/8", "nope"], out _, out var invalid));
        Assert.Equal("nope", invalid);
    }

    [Fact]
    public void Effective_permissions_are_the_owners_narrowed_to_the_tokens_subset()
    {
        Assert.Equal(["a", "b"], TokenRules.EffectivePermissions(null, ["a", "b"]).ToArray());
        Assert.Equal(["b"], TokenRules.EffectivePermissions(["b", "c"], ["a", "b"]).ToArray());
        Assert.Empty(TokenRules.EffectivePermissions([], ["a", "b"]));
        Assert.Equal("c", TokenRules.FirstNotHeld(["b", "c"], ["a", "b"]));
        Assert.Null(TokenRules.FirstNotHeld(["b"], ["a", "b"]));
    }
}
