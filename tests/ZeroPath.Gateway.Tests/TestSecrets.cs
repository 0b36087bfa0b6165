using System.Security.Cryptography;
using ZeroPath.Testing;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Tests;

/// <summary>Secrets a client could send that are not a token's: built to reach exactly one step of the gateway's checks.</summary>
public static class TestSecrets
{
    /// <summary>Correctly tagged for <paramref name="tokenId"/> under the test silo's key, but not its secret: only Argon2 can refuse it.</summary>
    public static string WrongSecret(Guid tokenId) => TestSettings.FormatKeys.NewSecret(tokenId);

    /// <summary><paramref name="secret"/> with one character of its random part changed: its checksum no longer matches.</summary>
    public static string OneCharacterChanged(string secret)
    {
        var chars = secret.ToCharArray();
        var at = TokenSecretFormat.RandomStart + 10;
        chars[at] = chars[at] == 'a' ? 'b' : 'a';
        return new string(chars);
    }

    /// <summary>A well-formed secret (right prefix, alphabet and checksum) under key id <paramref name="keyId"/>, with a random tag.</summary>
    public static string UnderKeyId(string keyId)
    {
        Span<char> secret = stackalloc char[TokenSecretFormat.Length];
        TokenSecretFormat.Prefix.CopyTo(secret);
        keyId.CopyTo(secret[TokenSecretFormat.KeyIdStart..]);
        RandomNumberGenerator.GetItems(TokenSecretFormat.Alphabet, secret[TokenSecretFormat.RandomStart..TokenSecretFormat.ChecksumStart]);
        TokenSecretFormat.WriteBase62(TokenSecretFormat.Checksum(secret[..TokenSecretFormat.ChecksumStart]), secret[TokenSecretFormat.ChecksumStart..]);
        return new string(secret);
    }

    /// <summary>A second format key (as for a rotation): its id, its base64 value, and a ring that issues under it.</summary>
    public static (string Id, string Base64, SecretFormatKeyRing Ring) SecondKey()
    {
        const string id = "t2";
        var key = SHA256.HashData("zeropath second test format key"u8);
        return (id, Convert.ToBase64String(key), new SecretFormatKeyRing(new Dictionary<string, byte[]> { [id] = key }, id, acceptLegacySecrets: true));
    }
}
