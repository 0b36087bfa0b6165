using System.Security.Cryptography;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Secrets;

/// <summary>
/// Remembers, for one activation, a secret that already passed Argon2, as its keyed digest
/// (<see cref="SecretDigester"/>, key per process, never stored), so later validations cost under a microsecond. Only a
/// verified secret is ever remembered.
/// </summary>
public sealed class VerifiedSecretDigest
{
    private byte[]? verified;

    public bool Matches(string secret)
    {
        if (verified is null)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SecretDigester.Length];
        SecretDigester.Process.Compute(secret, digest);
        return CryptographicOperations.FixedTimeEquals(digest, verified);
    }

    public void Remember(string secret)
    {
        var digest = new byte[SecretDigester.Length];
        SecretDigester.Process.Compute(secret, digest);
        verified = digest;
    }

    public void Forget() => verified = null;
}
