using System.Collections.Concurrent;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// This gateway's share of every rate-limited token's limit: with <see cref="Gateways"/> live gateways (as the cluster's
/// event hub counts them), each admits <c>r/N</c> requests per second with a burst of <c>b/N</c> (at least 1), so all
/// of them together admit about <c>r</c> when clients spread evenly (docs/edge.md says how close, and what uneven
/// balancing does).
/// <para>
/// One bucket per token, in the generic cell rate algorithm's form: a single <c>long</c>, the theoretical arrival time
/// (TAT) of the next request in <see cref="TimeProvider.GetTimestamp"/> ticks, moved forward by one emission interval
/// (<c>N/r</c> seconds) per admitted request with one compare-and-swap, never locked. A request is admitted while the TAT
/// after it stays within the burst's worth of intervals ahead of now. A bucket whose TAT is in the past is full, the
/// same as a new one, so it is dropped losslessly by a sweep; the map is bounded (<see cref="Capacity"/>).
/// </para>
/// Tokens without a limit never reach this class: the authenticator checks one field for null.
/// </summary>
public sealed class TokenRateLimiter
{
    /// <summary>Limited tokens kept per gateway when none is configured.</summary>
    public const int DefaultCapacity = 100_000;

    /// <summary>How often inserting a new bucket also sweeps out full (idle) ones.</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly Lock sweeping = new();
    private int count;
    private int gateways = 1;
    private long lastSweep;

    public TokenRateLimiter(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.time = time;
        Capacity = capacity;
        lastSweep = time.GetTimestamp();
    }

    /// <summary>Most tokens with a bucket at once; past it, full buckets go first, then arbitrary ones (each such token gets a fresh burst).</summary>
    public int Capacity { get; }

    /// <summary>Tokens with a bucket now.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>Whether this token has a bucket here (it took from its limit lately).</summary>
    public bool HasBucket(string tokenId) => buckets.ContainsKey(tokenId);

    /// <summary>
    /// Live gateways sharing each limit, this one included (at least 1). Set from the event hub's answer on every renewal
    /// (<see cref="Events.TokenEventFeed"/>); 1 until the first, and kept as last known while the hub cannot be reached.
    /// </summary>
    public int Gateways
    {
        get => Volatile.Read(ref gateways);
        set => Volatile.Write(ref gateways, Math.Max(1, value));
    }

    /// <summary>
    /// Takes one request from <paramref name="tokenId"/>'s share of <paramref name="limit"/>. False: over the limit, and
    /// <paramref name="retryAfter"/> is how long until one more would be admitted here.
    /// </summary>
    public bool TryAcquire(string tokenId, TokenRateLimit limit, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        var frequency = time.TimestampFrequency;
        var n = Gateways;
        // Per gateway: r/N a second, so one request every N/r seconds; a burst of b/N requests, never below one.
        var interval = Math.Max(1, (long)Math.Round(frequency * (double)n / limit.RequestsPerSecond));
        var share = Math.Max(1.0, (double)limit.Burst / n);
        var tolerance = (long)Math.Round(share * interval);
        while (true)
        {
            if (!buckets.TryGetValue(tokenId, out var bucket))
            {
                bucket = Add(tokenId, now);
            }

            switch (bucket.TryTake(now, interval, tolerance, out var wait))
            {
                case Take.Admitted:
                    retryAfter = TimeSpan.Zero;
                    return true;
                case Take.Refused:
                    retryAfter = TimeSpan.FromSeconds((double)wait / frequency);
                    return false;
                default:
                    // Retired by a sweep after this lookup: gone from the map (or about to be); take a fresh one.
                    Remove(tokenId, bucket);
                    continue;
            }
        }
    }

    /// <summary>
    /// Adds a bucket, sweeping first when the map is full or a sweep is due: a sweep after the add would find the new
    /// bucket full and retire it, and its token would add it again, forever, while the map stays full of busy buckets.
    /// </summary>
    private Bucket Add(string tokenId, long now)
    {
        if (Volatile.Read(ref count) >= Capacity || now - Volatile.Read(ref lastSweep) > SweepEvery.TotalSeconds * time.TimestampFrequency)
        {
            Sweep(now);
        }

        var fresh = new Bucket(now);
        var bucket = buckets.GetOrAdd(tokenId, fresh);
        if (ReferenceEquals(bucket, fresh))
        {
            Interlocked.Increment(ref count);
        }

        return bucket;
    }

    /// <summary>
    /// Drops every full bucket (lossless: a new one is the same); if the map is still at <see cref="Capacity"/> or over,
    /// drops arbitrary ones down to 90% of it. One sweep at a time; others go on without waiting.
    /// </summary>
    public void Sweep() => Sweep(time.GetTimestamp());

    private void Sweep(long now)
    {
        if (!sweeping.TryEnter())
        {
            return;
        }

        try
        {
            Volatile.Write(ref lastSweep, now);
            foreach (var (key, bucket) in buckets)
            {
                if (bucket.TryRetireIfFull(now))
                {
                    Remove(key, bucket);
                }
            }

            var target = Capacity - (Capacity / 10);
            if (Volatile.Read(ref count) >= Capacity)
            {
                foreach (var (key, bucket) in buckets)
                {
                    if (Volatile.Read(ref count) <= target)
                    {
                        break;
                    }

                    bucket.Retire();
                    Remove(key, bucket);
                }
            }
        }
        finally
        {
            sweeping.Exit();
        }
    }

    private void Remove(string key, Bucket bucket)
    {
        if (buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket)))
        {
            Interlocked.Decrement(ref count);
        }
    }

    private enum Take
    {
        Admitted,
        Refused,
        Retired,
    }

    /// <summary>One token's bucket: the theoretical arrival time of its next request, or <see cref="RetiredMark"/>.</summary>
    private sealed class Bucket(long now)
    {
        private const long RetiredMark = long.MinValue;

        private long tat = now;

        public Take TryTake(long now, long interval, long tolerance, out long wait)
        {
            while (true)
            {
                var current = Volatile.Read(ref tat);
                if (current == RetiredMark)
                {
                    wait = 0;
                    return Take.Retired;
                }

                var next = Math.Max(current, now) + interval;
                if (next - now > tolerance)
                {
                    // Admitted again once now reaches next - tolerance.
                    wait = next - tolerance - now;
                    return Take.Refused;
                }

                if (Interlocked.CompareExchange(ref tat, next, current) == current)
                {
                    wait = 0;
                    return Take.Admitted;
                }
            }
        }

        /// <summary>Retires the bucket if it is full (its TAT has passed): nothing is lost by dropping it.</summary>
        public bool TryRetireIfFull(long now)
        {
            var current = Volatile.Read(ref tat);
            return current != RetiredMark && current <= now && Interlocked.CompareExchange(ref tat, RetiredMark, current) == current;
        }

        public void Retire() => Volatile.Write(ref tat, RetiredMark);
    }
}
