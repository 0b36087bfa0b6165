using ZeroPath.Grains.Secrets;

namespace ZeroPath.Grains.Tests.Secrets;

public class VerifiedSecretDigestTests
{
    [Fact]
    public void Matches_only_the_remembered_secret_and_nothing_after_forget()
    {
        var digest = new VerifiedSecretDigest();
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());

        Assert.False(digest.Matches(secret));
        digest.Remember(secret);
        Assert.True(digest.Matches(secret));
        Assert.False(digest.Matches(ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid())));
        digest.Forget();
        Assert.False(digest.Matches(secret));
    }

    [Fact]
    public void Two_activations_do_not_share_a_digest()
    {
        var secret = ZeroPath.Testing.TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var first = new VerifiedSecretDigest();
        first.Remember(secret);

        Assert.False(new VerifiedSecretDigest().Matches(secret));
    }
}
