using System.Security.Cryptography;
using System.Text;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Secrets;

/// <summary>
/// Remembers, for one activation, a secret that already passed Argon2: HMAC-SHA256 under a key that never leaves this
/// object, so later validations cost about a microsecond. Only a verified secret is ever remembered.
/// </summary>
public sealed class VerifiedSecretDigest
{
    private const int DigestBytes = 32;
    private readonly byte[] key = RandomNumberGenerator.GetBytes(DigestBytes);
    private byte[]? verified;

    public bool Matches(string secret)
    {
        if (verified is null)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[DigestBytes];
        Compute(secret, digest);
        return CryptographicOperations.FixedTimeEquals(digest, verified);
    }

    public void Remember(string secret)
    {
        var digest = new byte[DigestBytes];
        Compute(secret, digest);
        verified = digest;
    }

    public void Forget() => verified = null;

    private void Compute(string secret, Span<byte> destination)
    {
        // Callers pass only well-formed (ASCII, bounded) secrets, so the encoded form fits on the stack.
        Span<byte> utf8 = stackalloc byte[TokenSecretFormat.MaxLength];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        HMACSHA256.HashData(key, utf8[..length], destination);
        CryptographicOperations.ZeroMemory(utf8);
    }
}
