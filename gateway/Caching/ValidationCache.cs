using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Caching;

/// <summary>How a cached validation answers a request.</summary>
public enum CacheLookup
{
    /// <summary>Nothing usable: not cached, cached under another secret, or too old to trust without the push channel.</summary>
    Miss = 0,
    Hit = 1,

    /// <summary>The secret matches a cached validation whose token has expired since.</summary>
    Expired = 2,
}

/// <summary>
/// Tokens the cluster validated, by id, with a keyed digest of the secret that passed (HMAC-SHA256 under a key made for
/// this process and never kept elsewhere): a later request with the same pair is answered here without a grain call; a
/// different secret never is. Entries end at the token's expiry (checked on every hit), when the token is pushed as
/// ended or its permissions are pushed as changed, and least recently used first past
/// <see cref="EdgeCacheOptions.MaxEntries"/>. A validation is trusted for <see cref="EdgeCacheOptions.MaxStaleness"/> past
/// the later of when it was made and when the push channel was last confirmed complete, and never longer than
/// <see cref="EdgeCacheOptions.MaxAge"/>; after that it is checked with the cluster again.
/// </summary>
public sealed class ValidationCache : IDisposable
{
    private const int DigestBytes = SecretDigester.Length;

    private readonly SecretDigester digester = new();
    private readonly BoundedLru<Guid, Entry> entries;
    private readonly TimeProvider time;
    private readonly long maxStaleness;
    private readonly long maxAge;

    /// <summary>Validations started before this (a monotonic timestamp) are not trusted: events may have been missed since.</summary>
    private long trustedFrom = long.MinValue;

    /// <summary>Every event published before this timestamp has been applied (0: never confirmed).</summary>
    private long confirmedAt;

    /// <summary>Pushed events received (ended tokens and permission changes): a grain answer that raced one is not kept.</summary>
    private long eventsReceived;

    private readonly Counter<long>? lookups;

    /// <param name="options">Size, staleness and age bounds.</param>
    /// <param name="time">The clock.</param>
    /// <param name="meters">Where lookups by result and the entry count are reported; none in unit tests and benchmarks.</param>
    public ValidationCache(EdgeCacheOptions options, TimeProvider time, IMeterFactory? meters = null)
    {
        entries = new BoundedLru<Guid, Entry>(options.MaxEntries);
        this.time = time;
        maxStaleness = (long)(options.MaxStaleness.TotalSeconds * time.TimestampFrequency);
        maxAge = (long)(options.MaxAge.TotalSeconds * time.TimestampFrequency);
        Enabled = options.Enabled;
        if (meters is not null)
        {
            var meter = meters.Create(ZeroPathTelemetry.MeterName);
            lookups = meter.CreateCounter<long>(
                "zeropath.gateway.cache.lookups", "{lookup}", "Validation cache lookups by zeropath.cache.result: hit (decided here), miss (asked the cluster or the refusals), expired.");
            meter.CreateObservableUpDownCounter("zeropath.gateway.cache.entries", () => entries.Count, "{token}", "Validations cached now.");
        }
    }

    public bool Enabled { get; }

    public int Count => entries.Count;

    /// <summary>A timestamp to take before asking the cluster, and to hand to <see cref="Store"/> with its answer.</summary>
    public Snapshot Begin() => new(time.GetTimestamp(), Interlocked.Read(ref eventsReceived));

    public CacheLookup Lookup(Guid tokenId, ReadOnlySpan<char> secret, out AuthenticatedToken? identity)
    {
        var result = Find(tokenId, secret, out identity);
        lookups?.Add(1, new KeyValuePair<string, object?>("zeropath.cache.result", result switch
        {
            CacheLookup.Hit => "hit",
            CacheLookup.Expired => "expired",
            _ => "miss",
        }));
        return result;
    }

    private CacheLookup Find(Guid tokenId, ReadOnlySpan<char> secret, out AuthenticatedToken? identity)
    {
        identity = null;
        if (!entries.TryGet(tokenId, out var entry))
        {
            return CacheLookup.Miss;
        }

        Span<byte> digest = stackalloc byte[DigestBytes];
        Digest(secret, digest);
        if (!CryptographicOperations.FixedTimeEquals(digest, entry.SecretDigest))
        {
            return CacheLookup.Miss;
        }

        if (time.GetUtcNow() >= entry.Identity.ExpiresAt)
        {
            entries.Remove(tokenId, entry);
            return CacheLookup.Expired;
        }

        if (!IsTrusted(entry.ValidatedAt))
        {
            return CacheLookup.Miss;
        }

        identity = entry.Identity;
        return CacheLookup.Hit;
    }

    /// <summary>True when a cached validation shows this token's secret is in the <c>zp_</c> format.</summary>
    public bool HasTaggedSecret(Guid tokenId) => entries.TryGet(tokenId, out var entry) && entry.TaggedSecret;

    /// <summary>
    /// Keeps a validation the cluster answered, unless an event arrived while the grain call was under way (the answer
    /// may predate it). Checked again after it is added, so an event that arrives meanwhile removes it: events first
    /// count, then remove; this first adds, then compares the count.
    /// </summary>
    public void Store(Guid tokenId, ReadOnlySpan<char> secret, AuthenticatedToken identity, Snapshot before)
    {
        if (Interlocked.Read(ref eventsReceived) != before.EventsReceived)
        {
            return;
        }

        var digest = new byte[DigestBytes];
        Digest(secret, digest);
        var entry = new Entry(digest, identity, before.Timestamp, TokenSecretFormat.Classify(secret) == SecretShape.Current);
        entries.Set(tokenId, entry);
        if (Interlocked.Read(ref eventsReceived) != before.EventsReceived)
        {
            entries.Remove(tokenId, entry);
        }
    }

    /// <summary>
    /// These tokens ended, or their permissions changed: their cached validations go, and the next request asks the
    /// grain, which already holds the change. Removing rather than rewriting means an event that arrives late can never
    /// put back permissions older than the grain's.
    /// </summary>
    public void Forget(IEnumerable<Guid> tokenIds)
    {
        Interlocked.Increment(ref eventsReceived);
        foreach (var id in tokenIds)
        {
            entries.Remove(id);
        }
    }

    /// <summary>Every event published before <paramref name="timestamp"/> has been applied.</summary>
    public void Confirm(long timestamp) => InterlockedMax(ref confirmedAt, timestamp);

    /// <summary>Events may have been missed: validations started before now are checked with the cluster again.</summary>
    public void DistrustUntilNow()
    {
        InterlockedMax(ref trustedFrom, time.GetTimestamp());
        // Nothing cached before now can be used again; free the memory too.
        entries.Clear();
    }

    /// <summary>How long ago the push channel was last confirmed complete; null when it never was.</summary>
    public TimeSpan? SinceConfirmed()
    {
        var confirmed = Interlocked.Read(ref confirmedAt);
        return confirmed == 0 ? null : time.GetElapsedTime(confirmed);
    }

    private bool IsTrusted(long validatedAt)
    {
        var now = time.GetTimestamp();
        if (validatedAt < Interlocked.Read(ref trustedFrom) || now - validatedAt > maxAge)
        {
            return false;
        }

        var freshest = Math.Max(validatedAt, Interlocked.Read(ref confirmedAt));
        return now - freshest <= maxStaleness;
    }

    private void Digest(ReadOnlySpan<char> secret, Span<byte> destination) => digester.Compute(secret, destination);

    public void Dispose() => digester.Dispose();

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>What to take before a grain call: when it started, and how many events had arrived.</summary>
    public readonly record struct Snapshot(long Timestamp, long EventsReceived);

    /// <summary>Reference equality (a class, not a record), so a late clean-up removes only the entry it added.</summary>
    private sealed class Entry(byte[] secretDigest, AuthenticatedToken identity, long validatedAt, bool taggedSecret)
    {
        /// <summary>The validated secret was a <c>zp_</c> secret: an old-format secret can never be this token's.</summary>
        public bool TaggedSecret { get; } = taggedSecret;

        public byte[] SecretDigest { get; } = secretDigest;
        public AuthenticatedToken Identity { get; } = identity;
        public long ValidatedAt { get; } = validatedAt;
    }
}
