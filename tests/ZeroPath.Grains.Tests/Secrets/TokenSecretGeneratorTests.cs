using System.Buffers.Text;
using ZeroPath.Grains.Secrets;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Secrets;

public class TokenSecretGeneratorTests
{
    [Fact]
    public void Secret_is_43_url_safe_characters_carrying_256_bits()
    {
        var secret = TokenSecretGenerator.NewSecret();

        Assert.Equal(43, secret.Length);
        Assert.True(TokenSecretFormat.IsWellFormed(secret));
        Assert.Equal(32, Base64Url.DecodeFromChars(secret).Length);
    }

    [Fact]
    public void Secrets_do_not_repeat()
    {
        var secrets = Enumerable.Range(0, 10_000).Select(_ => TokenSecretGenerator.NewSecret()).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(10_000, secrets.Count);
    }
}
