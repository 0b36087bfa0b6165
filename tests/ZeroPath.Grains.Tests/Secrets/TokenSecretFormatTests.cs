using System.Text.RegularExpressions;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Secrets;

public class TokenSecretFormatTests
{
    [Fact]
    public void A_new_secret_is_zp_then_62_base62_characters_and_matches_the_published_pattern()
    {
        var secret = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        Assert.Equal(65, secret.Length);
        Assert.StartsWith("zp_t1", secret, StringComparison.Ordinal);
        Assert.Matches(new Regex($"^{TokenSecretFormat.Pattern}$"), secret);
        Assert.Equal(SecretShape.Current, TokenSecretFormat.Classify(secret));
    }

    [Fact]
    public void The_checksum_is_the_standard_crc32_written_big_endian_in_base62()
    {
        // The CRC-32 check value every implementation agrees on (zlib, PNG, Ethernet).
        Assert.Equal(0xCBF43926u, TokenSecretFormat.Checksum("123456789"));

        Span<char> digits = stackalloc char[6];
        TokenSecretFormat.WriteBase62(0xCBF43926u, digits);
        // 3421780262 = 3*62^5 + 45*62^4 + 35*62^3 + 27*62^2 + 22*62 + 14, digits 0-9A-Za-z.
        Assert.Equal("3jZRME", digits.ToString());

        var secret = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        TokenSecretFormat.WriteBase62(TokenSecretFormat.Checksum(secret.AsSpan(0, 59)), digits);
        Assert.Equal(secret[59..], digits.ToString());
    }

    [Fact]
    public void Any_single_changed_character_fails_the_checksum()
    {
        var secret = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        for (var i = 3; i < secret.Length; i++)
        {
            var chars = secret.ToCharArray();
            chars[i] = chars[i] == 'a' ? 'b' : 'a';
            Assert.Equal(SecretShape.Malformed, TokenSecretFormat.Classify(new string(chars)));
        }
    }

    [Theory]
    [InlineData("zp_")]
    [InlineData("")]
    [InlineData("xp_t1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Other_shapes_are_malformed(string secret) =>
        Assert.Equal(SecretShape.Malformed, TokenSecretFormat.Classify(secret));

    [Fact]
    public void An_upper_case_key_id_is_malformed_even_with_a_right_checksum()
    {
        var secret = WithChecksum("zp_T1" + new string('a', 43) + new string('b', 11));

        Assert.Equal(SecretShape.Malformed, TokenSecretFormat.Classify(secret));
        Assert.Equal(SecretShape.Current, TokenSecretFormat.Classify(WithChecksum("zp_t1" + new string('a', 43) + new string('b', 11))));
    }

    [Fact]
    public void Secrets_do_not_repeat()
    {
        var id = Guid.NewGuid();
        var secrets = Enumerable.Range(0, 10_000).Select(_ => TestSettings.FormatKeys.NewSecret(id)).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(10_000, secrets.Count);
    }

    [Fact]
    public void The_random_part_uses_the_whole_alphabet()
    {
        var seen = Enumerable.Range(0, 200)
            .SelectMany(_ => TestSettings.FormatKeys.NewSecret(Guid.NewGuid()).Substring(TokenSecretFormat.RandomStart, TokenSecretFormat.RandomLength))
            .ToHashSet();

        Assert.Equal(62, seen.Count);
    }

    /// <summary>Appends the right checksum to 59 characters, as anyone who knows the published rule can.</summary>
    public static string WithChecksum(string body)
    {
        Span<char> checksum = stackalloc char[TokenSecretFormat.ChecksumLength];
        TokenSecretFormat.WriteBase62(TokenSecretFormat.Checksum(body), checksum);
        return body + checksum.ToString();
    }
}
