using System.Security.Cryptography;
using System.Text;
using ZeroPath.Grains.Secrets;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Secrets;

/// <summary>A secret's fingerprint (the key of the secret → token lookup secret scanning uses), and the lookup itself.</summary>
public class SecretFingerprintTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public void A_fingerprint_is_keyed_hex_that_names_one_secret_and_is_not_its_plain_hash()
    {
        var secret = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var fingerprint = TestSettings.FormatKeys.Fingerprint(secret);

        Assert.Matches("^[0-9a-f]{64}$", fingerprint);
        Assert.Equal(fingerprint, TestSettings.FormatKeys.Fingerprint(secret));
        Assert.NotEqual(fingerprint, TestSettings.FormatKeys.Fingerprint(TestSettings.FormatKeys.NewSecret(Guid.NewGuid())));
        // Not the secret's SHA-256 (which secret-scanning answers carry, and anyone holding the secret can compute).
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret))), fingerprint);
        Assert.DoesNotContain(secret[TokenSecretFormat.RandomStart..TokenSecretFormat.TagStart], fingerprint, StringComparison.OrdinalIgnoreCase);

        // Another key under the same key id makes another fingerprint: without the format key it cannot be recomputed.
        var otherRing = new SecretFormatKeyRing(
            new Dictionary<string, byte[]> { [TestSettings.FormatKeyId] = RandomNumberGenerator.GetBytes(32) }, TestSettings.FormatKeyId, acceptLegacySecrets: true);
        Assert.NotNull(otherRing.Fingerprint(secret));
        Assert.NotEqual(fingerprint, otherRing.Fingerprint(secret));
    }

    [Fact]
    public void Only_current_format_secrets_under_a_held_key_have_a_fingerprint()
    {
        var secret = TestSettings.FormatKeys.NewSecret(Guid.NewGuid());
        var wrongChecksum = secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A');
        var otherKeyId = new SecretFormatKeyRing(new Dictionary<string, byte[]> { ["x9"] = RandomNumberGenerator.GetBytes(32) }, "x9", acceptLegacySecrets: true)
            .NewSecret(Guid.NewGuid());

        Assert.Null(TestSettings.FormatKeys.Fingerprint(TestSettings.LegacySecret()));
        Assert.Null(TestSettings.FormatKeys.Fingerprint(wrongChecksum));
        Assert.Null(TestSettings.FormatKeys.Fingerprint(otherKeyId));
        Assert.Null(TestSettings.FormatKeys.Fingerprint(""));
        Assert.Null(TestSettings.FormatKeys.Fingerprint(secret + "x"));
    }

    [Fact]
    public async Task Creating_a_token_records_its_fingerprint_and_the_lookup_finds_its_id()
    {
        var (_, token) = await fixture.IssueAsync();

        var fingerprint = TestSettings.FormatKeys.Fingerprint(token.Secret)!;
        Assert.Equal(token.TokenId, await fixture.Grains.GetGrain<ISecretFingerprintGrain>(fingerprint).TokenId());

        // Stored: the record survives the grain's activation, and holds the token id, never the secret.
        var stored = await fixture.ReadStoredAsync<SecretFingerprintState>("secret-fingerprint", fixture.Grains.GetGrain<ISecretFingerprintGrain>(fingerprint));
        Assert.True(stored.RecordExists);
        Assert.Equal(token.TokenId, stored.State!.TokenId);

        // A fingerprint nobody recorded finds nothing.
        var unknown = TestSettings.FormatKeys.Fingerprint(TestSettings.FormatKeys.NewSecret(Guid.NewGuid()))!;
        Assert.Null(await fixture.Grains.GetGrain<ISecretFingerprintGrain>(unknown).TokenId());
    }
}
