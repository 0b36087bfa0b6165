using System.Security.Cryptography;
using System.Text;

namespace ZeroPath.Tokens;

/// <summary>
/// HMAC-SHA256 of a well-formed secret under a key made for this object and kept nowhere else: what the gateway's cache
/// and a token's activation keep instead of a secret. One reusable HMAC per thread skips the key set-up a one-shot HMAC
/// repeats on every call (measured on the 2-core machine: 0.6 µs instead of 1.4 µs).
/// </summary>
public sealed class SecretDigester : IDisposable
{
    public const int Length = 32;

    private readonly ThreadLocal<IncrementalHash> hmacs;

    public SecretDigester()
    {
        var key = RandomNumberGenerator.GetBytes(Length);
        hmacs = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
    }

    /// <summary>One for the whole process (token activations share it; each keeps only its own digest).</summary>
    public static SecretDigester Process { get; } = new();

    /// <summary>Callers pass only well-formed secrets (ASCII, at most <see cref="TokenSecretFormat.MaxLength"/>).</summary>
    public void Compute(ReadOnlySpan<char> secret, Span<byte> destination)
    {
        Span<byte> ascii = stackalloc byte[TokenSecretFormat.MaxLength];
        var length = Encoding.ASCII.GetBytes(secret, ascii);
        var hmac = hmacs.Value!;
        hmac.AppendData(ascii[..length]);
        hmac.GetHashAndReset(destination);
        CryptographicOperations.ZeroMemory(ascii);
    }

    public void Dispose() => hmacs.Dispose();
}
