using System.Security.Cryptography;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Secrets;

public class SecretFormatKeyRingTests
{
    private static readonly byte[] OldKey = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] NewKey = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void A_secret_checks_valid_for_its_own_token_id_only()
    {
        var tokenId = Guid.NewGuid();
        var secret = TestSettings.FormatKeys.NewSecret(tokenId);

        Assert.Equal(SecretFormatVerdict.Valid, TestSettings.FormatKeys.Check(tokenId, secret));
        Assert.Equal(SecretFormatVerdict.BadTag, TestSettings.FormatKeys.Check(Guid.NewGuid(), secret));
    }

    [Fact]
    public void A_well_formed_secret_with_an_invented_tag_is_a_bad_tag()
    {
        var tokenId = Guid.NewGuid();
        var real = TestSettings.FormatKeys.NewSecret(tokenId);
        // Right checksum (anyone can compute it), tag changed: only the format key can make a tag.
        var forged = TokenSecretFormatTests.WithChecksum(real[..48] + new string('0', 11));

        Assert.Equal(SecretShape.Current, TokenSecretFormat.Classify(forged));
        Assert.Equal(SecretFormatVerdict.BadTag, TestSettings.FormatKeys.Check(tokenId, forged));
    }

    [Fact]
    public void Rotation_keeps_secrets_of_the_old_key_valid_while_it_is_configured()
    {
        var tokenId = Guid.NewGuid();
        var before = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = OldKey }, "k1", acceptLegacySecrets: true);
        var during = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = OldKey, ["k2"] = NewKey }, "k2", acceptLegacySecrets: true);
        var after = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k2"] = NewKey }, "k2", acceptLegacySecrets: true);
        var old = before.NewSecret(tokenId);
        var issuedDuring = during.NewSecret(tokenId);

        Assert.StartsWith("zp_k2", issuedDuring, StringComparison.Ordinal);
        Assert.Equal(SecretFormatVerdict.Valid, during.Check(tokenId, old));
        Assert.Equal(SecretFormatVerdict.Valid, during.Check(tokenId, issuedDuring));
        Assert.Equal(SecretFormatVerdict.Valid, after.Check(tokenId, issuedDuring));
        Assert.Equal(SecretFormatVerdict.UnknownKey, after.Check(tokenId, old));
    }

    [Fact]
    public void The_same_key_id_with_another_key_does_not_validate()
    {
        var tokenId = Guid.NewGuid();
        var ours = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = OldKey }, "k1", acceptLegacySecrets: true);
        var theirs = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = NewKey }, "k1", acceptLegacySecrets: true);

        Assert.Equal(SecretFormatVerdict.BadTag, ours.Check(tokenId, theirs.NewSecret(tokenId)));
    }

    [Fact]
    public void Legacy_secrets_pass_to_argon2_only_while_accepted()
    {
        var legacy = TestSettings.LegacySecret();
        var refusing = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = OldKey }, null, acceptLegacySecrets: false);

        Assert.Equal(SecretFormatVerdict.Legacy, TestSettings.FormatKeys.Check(Guid.NewGuid(), legacy));
        Assert.Equal(SecretFormatVerdict.LegacyRefused, refusing.Check(Guid.NewGuid(), legacy));
        Assert.Equal(SecretFormatVerdict.Malformed, refusing.Check(Guid.NewGuid(), legacy + "!"));
    }

    [Fact]
    public void A_checking_only_ring_cannot_issue()
    {
        var gateway = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["k1"] = OldKey }, null, acceptLegacySecrets: true);

        Assert.Throws<InvalidOperationException>(() => gateway.NewSecret(Guid.NewGuid()));
    }

    [Fact]
    public void Settings_problems_name_each_bad_setting()
    {
        var options = new SecretFormatOptions
        {
            CurrentKeyId = "k9",
            Keys = { ["K1"] = Convert.ToBase64String(OldKey), ["k2"] = "not base64", ["k3"] = Convert.ToBase64String(new byte[16]) },
        };

        var problems = options.Problems(issuing: true).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["CurrentKeyId", "Keys:K1", "Keys:k2", "Keys:k3"], problems);
        Assert.Equal(["Keys"], new SecretFormatOptions().Problems(issuing: false).Select(p => p.Key));
        Assert.Empty(new SecretFormatOptions { Keys = { ["k1"] = Convert.ToBase64String(OldKey) } }.Problems(issuing: false));
    }
}
