using System.Diagnostics;
using System.Globalization;
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

    /// <summary>
    /// The hash was made with a pepper key this process does not have: nothing can be checked, so nothing validates
    /// (fail closed) until the key is configured again. Not a wrong secret.
    /// </summary>
    PepperKeyMissing = 3,
}

/// <summary>
/// Argon2id hashing and verification of token secrets, off the calling grain's turn and bounded: at most
/// <see cref="TokenHashingOptions.MaxConcurrentOperations"/> run at once and a fixed number wait, so a flood of wrong
/// secrets answers Busy instead of taking every core from warm validations.
/// <para>
/// A stored hash is the Argon2id PHC string, preceded by <c>$zp-pepper={id}</c> when it was made with a pepper key
/// (<see cref="TokenPepperOptions"/>, Argon2's secret input); without that prefix it was made with none. The PHC string
/// itself records the cost, the salt and the hash, never whether a secret key went in, hence the prefix.
/// </para>
/// </summary>
public sealed class TokenSecretHasher : IDisposable
{
    /// <summary>Precedes the PHC string of a hash made with a pepper key: <c>$zp-pepper=p1$argon2id$v=19$…</c>.</summary>
    public const string PepperPrefix = "$zp-pepper=";

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly TokenHashingOptions options;
    private readonly ConcurrencyLimiter limiter;
    private readonly Dictionary<string, byte[]> pepperKeys;
    private readonly string? currentPepperId;

    /// <summary>How a hash made now starts, up to its salt: a stored hash that starts so needs no upgrade.</summary>
    private readonly string currentPrefix;

    private readonly TokenMetrics? metrics;

    /// <param name="options">Cost, pepper keys and bounds.</param>
    /// <param name="metrics">Where durations, rejections and the current load are reported; none in unit tests and benchmarks.</param>
    public TokenSecretHasher(IOptions<TokenHashingOptions> options, TokenMetrics? metrics = null)
    {
        this.options = options.Value;
        if (this.options.Pepper.Validate() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        pepperKeys = this.options.Pepper.DecodeKeys();
        currentPepperId = this.options.Pepper.CurrentKeyId is { Length: > 0 } id ? id : null;
        currentPrefix = (currentPepperId is null ? "" : PepperPrefix + currentPepperId) +
            string.Create(CultureInfo.InvariantCulture, $"$argon2id$v=19$m={this.options.MemoryKiB},t={this.options.Iterations},p={this.options.Parallelism}$");
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = this.options.MaxConcurrentOperations,
            QueueLimit = this.options.MaxQueuedOperations,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        this.metrics = metrics;
        metrics?.ObserveArgon2(() =>
        {
            var statistics = limiter.GetStatistics();
            return statistics is null ? (0, 0) : (this.options.MaxConcurrentOperations - statistics.CurrentAvailablePermits, statistics.CurrentQueuedCount);
        });
    }

    /// <summary>The stored form (see the class summary) made with the current cost and pepper key, or null when Busy.</summary>
    public Task<string?> HashAsync(string secret, CancellationToken cancellationToken = default) =>
        Bounded(() => Hash(secret), null, "hash", cancellationToken);

    /// <summary>
    /// Runs Argon2 work when a slot is free, or answers <paramref name="busy"/> when the queue is full. The slot is asked
    /// for at once, so slots go in call order; waiting for it, the work and the slot's release then happen on the thread
    /// pool, never on the caller's scheduler: a grain's single-threaded turn queue can neither hold a slot past the end of
    /// its hash nor delay the next hash from starting.
    /// </summary>
    private Task<T> Bounded<T>(Func<T> work, T busy, string operation, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var acquiring = limiter.AcquireAsync(1, cancellationToken);
        return Task.Run(
            async () =>
            {
                using var lease = await acquiring.ConfigureAwait(false);
                if (!lease.IsAcquired)
                {
                    metrics?.Argon2Rejected(operation);
                    return busy;
                }

                // Every caller gave up while it waited: nothing to check.
                cancellationToken.ThrowIfCancellationRequested();
                var result = work();
                metrics?.Argon2Done(operation, started);
                return result;
            },
            CancellationToken.None);
    }

    /// <summary>
    /// Like <see cref="HashAsync"/>, but only if a slot is free now and nobody waits for one, else null at once: for work
    /// that can wait (a hash upgrade), so it never delays or crowds out a verify.
    /// </summary>
    public Task<string?> HashIfIdleAsync(string secret)
    {
        var lease = limiter.AttemptAcquire(1);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            return Task.FromResult<string?>(null);
        }

        var started = Stopwatch.GetTimestamp();
        return Task.Run(() =>
        {
            using (lease)
            {
                var hash = (string?)Hash(secret);
                metrics?.Argon2Done("hash", started);
                return hash;
            }
        });
    }

    public Task<SecretCheck> VerifyAsync(string storedHash, string secret, CancellationToken cancellationToken = default) =>
        // A hash whose key is gone fails closed before taking any Argon2 capacity.
        TryGetPepper(storedHash, out _, out _, out _)
            ? Bounded(() => Check(storedHash, secret), SecretCheck.Busy, "verify", cancellationToken)
            : Task.FromResult(SecretCheck.PepperKeyMissing);

    /// <summary>
    /// True when <paramref name="storedHash"/> was made with the current cost (memory, iterations, parallelism) and the
    /// current pepper key (or none when none is current): no upgrade is due. A string comparison, no Argon2.
    /// </summary>
    public bool IsCurrent(string storedHash) => storedHash.StartsWith(currentPrefix, StringComparison.Ordinal);

    /// <summary>The pepper key id a stored hash was made with; null when none.</summary>
    public static string? PepperKeyIdOf(string storedHash) => SplitPepper(storedHash).KeyId;

    /// <summary>Hashes on the calling thread, unbounded: for benchmarks and tests of the raw cost.</summary>
    public string Hash(string secret)
    {
        // A copy, wiped after use (the library clears it too): the key itself is never handed out.
        var pepper = currentPepperId is null ? null : (byte[])pepperKeys[currentPepperId].Clone();
        try
        {
            var phc = WithPassword(secret, password => Argon2.Hash(new Argon2Config
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
                Secret = pepper,
                ClearSecret = true,
                AssociatedData = null,
            }));
            return currentPepperId is null ? phc : PepperPrefix + currentPepperId + phc;
        }
        finally
        {
            if (pepper is not null)
            {
                CryptographicOperations.ZeroMemory(pepper);
            }
        }
    }

    /// <summary>Verifies on the calling thread, unbounded. The cost comes from the stored hash, not from options.</summary>
    public bool Verify(string storedHash, string secret) => Check(storedHash, secret) == SecretCheck.Match;

    /// <summary>Checks on the calling thread, unbounded: Match, Mismatch or PepperKeyMissing.</summary>
    public SecretCheck Check(string storedHash, string secret)
    {
        if (!TryGetPepper(storedHash, out var phc, out var key, out _))
        {
            return SecretCheck.PepperKeyMissing;
        }

        // A copy, wiped after use: the library is handed only what it may clear.
        var pepper = key is null ? null : (byte[])key.Clone();
        try
        {
            return WithPassword(secret, password => pepper is null
                ? Argon2.Verify(phc, password, options.Parallelism)
                : Argon2.Verify(phc, password, pepper, options.Parallelism)) ? SecretCheck.Match : SecretCheck.Mismatch;
        }
        finally
        {
            if (pepper is not null)
            {
                CryptographicOperations.ZeroMemory(pepper);
            }
        }
    }

    public void Dispose() => limiter.Dispose();

    /// <summary>Splits a stored hash into its pepper key and PHC string; false when it names a key this process lacks.</summary>
    private bool TryGetPepper(string storedHash, out string phc, out byte[]? key, out string? keyId)
    {
        (keyId, phc) = SplitPepper(storedHash);
        key = null;
        return keyId is null || pepperKeys.TryGetValue(keyId, out key);
    }

    private static (string? KeyId, string Phc) SplitPepper(string storedHash)
    {
        if (!storedHash.StartsWith(PepperPrefix, StringComparison.Ordinal))
        {
            return (null, storedHash);
        }

        var end = storedHash.IndexOf('$', PepperPrefix.Length);
        return end < 0
            ? (storedHash[PepperPrefix.Length..], "")
            : (storedHash[PepperPrefix.Length..end], storedHash[end..]);
    }

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
