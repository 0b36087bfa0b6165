using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Isopoh.Cryptography.Argon2;
using Microsoft.Extensions.Options;

namespace ZeroPath.Grains.Secrets;

public enum SecretCheck
{
    Mismatch = 0,
    Match = 1,
    /// <summary>No Argon2 capacity: too many operations running and queued.</summary>
    Busy = 2,
}

/// <summary>
/// Argon2id hashing and verification of token secrets, off the calling grain's turn and bounded: at most
/// <see cref="TokenHashingOptions.MaxConcurrentOperations"/> run at once and a fixed number wait, so a flood of wrong
/// secrets answers Busy instead of taking every core from warm validations.
/// </summary>
public sealed class TokenSecretHasher : IDisposable
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly TokenHashingOptions options;
    private readonly ConcurrencyLimiter limiter;

    public TokenSecretHasher(IOptions<TokenHashingOptions> options)
    {
        this.options = options.Value;
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = this.options.MaxConcurrentOperations,
            QueueLimit = this.options.MaxQueuedOperations,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The encoded PHC string (<c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c>), or null when Busy.</summary>
    public async Task<string?> HashAsync(string secret, CancellationToken cancellationToken = default)
    {
        using var lease = await limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            return null;
        }

        return await Task.Run(() => Hash(secret), cancellationToken);
    }

    public async Task<SecretCheck> VerifyAsync(string encodedHash, string secret, CancellationToken cancellationToken = default)
    {
        using var lease = await limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            return SecretCheck.Busy;
        }

        return await Task.Run(() => Verify(encodedHash, secret) ? SecretCheck.Match : SecretCheck.Mismatch, cancellationToken);
    }

    /// <summary>Hashes on the calling thread, unbounded: for benchmarks and tests of the raw cost.</summary>
    public string Hash(string secret) => WithPassword(secret, password => Argon2.Hash(new Argon2Config
    {
        Type = Argon2Type.HybridAddressing,
        Version = Argon2Version.Nineteen,
        MemoryCost = options.MemoryKiB,
        TimeCost = options.Iterations,
        Lanes = options.Parallelism,
        Threads = options.Parallelism,
        HashLength = HashBytes,
        Salt = RandomNumberGenerator.GetBytes(SaltBytes),
        Password = password,
        ClearPassword = true,
    }));

    /// <summary>Verifies on the calling thread, unbounded. The cost comes from the encoded hash, not from options.</summary>
    public bool Verify(string encodedHash, string secret) =>
        WithPassword(secret, password => Argon2.Verify(encodedHash, password, options.Parallelism));

    public void Dispose() => limiter.Dispose();

    /// <summary>Hands the secret's UTF-8 bytes to <paramref name="use"/> and wipes them afterwards.</summary>
    private static T WithPassword<T>(string secret, Func<byte[], T> use)
    {
        var password = Encoding.UTF8.GetBytes(secret);
        try
        {
            return use(password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }
}
