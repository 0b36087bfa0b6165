using ZeroPath.ServiceDefaults;

namespace ZeroPath.Gateway.Caching;

/// <summary>What the gateway keeps in memory to decide requests without the cluster. Section <c>ZeroPath:Gateway:Cache</c>.</summary>
public sealed class EdgeCacheOptions
{
    public const string SectionName = "ZeroPath:Gateway:Cache";

    /// <summary>Answer repeated valid (token id, secret) pairs in process. Off: every request is one grain call.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Validated tokens kept; past this the least recently used goes (about 0.5 KB each).</summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>
    /// While the push channel is not confirmed (subscription lost, events missed, cluster unreachable), a cached
    /// validation older than this is checked with the cluster again; if the cluster cannot answer, the request fails
    /// closed (503). This bounds how stale a revocation can be at a gateway that lost its push channel.
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// However healthy the push channel, a cached validation is checked with the cluster again after this long: a
    /// bound on anything the push could not say (for example an ended token whose event was never published).
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the gateway renews its subscription and confirms it has missed no event.</summary>
    public TimeSpan ConfirmEvery { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Token ids refused without a cluster call (unknown, ended, locked); past this the least recently used goes.</summary>
    public int MaxRefusedIds { get; set; } = 100_000;

    /// <summary>How long an id the cluster says has no live token is refused locally.</summary>
    public TimeSpan UnknownIdTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a token pushed as ended is refused locally (after that its grain answers, as always).</summary>
    public TimeSpan EndedIdTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Cluster lookups per second for old-format (43-character) secrets the gateway could not decide itself; beyond it
    /// such a request answers 503 <c>validation_busy</c>. 0: unbounded. See <see cref="LegacyLookupBudget"/>.
    /// </summary>
    public int LegacyLookupsPerSecond { get; set; } = 50;

    /// <summary>
    /// Rate-limited tokens this gateway keeps a bucket for (about 100 bytes each); idle (full) buckets go first, then
    /// arbitrary ones, each of which gets a fresh burst. See <see cref="Authentication.TokenRateLimiter"/>.
    /// </summary>
    public int MaxRateLimitedTokens { get; set; } = Authentication.TokenRateLimiter.DefaultCapacity;

    public void Validate(StartupSettings settings)
    {
        settings.RequireRange(SectionName, nameof(LegacyLookupsPerSecond), LegacyLookupsPerSecond, 0, 1_000_000);
        settings.RequireRange(SectionName, nameof(MaxEntries), MaxEntries, 1, 10_000_000);
        settings.RequireRange(SectionName, nameof(MaxRefusedIds), MaxRefusedIds, 1, 10_000_000);
        settings.RequireRange(SectionName, nameof(MaxRateLimitedTokens), MaxRateLimitedTokens, 1, 10_000_000);
        RequireDuration(settings, nameof(MaxStaleness), MaxStaleness, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        RequireDuration(settings, nameof(MaxAge), MaxAge, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        RequireDuration(settings, nameof(ConfirmEvery), ConfirmEvery, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        RequireDuration(settings, nameof(UnknownIdTtl), UnknownIdTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        RequireDuration(settings, nameof(EndedIdTtl), EndedIdTtl, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        if (ConfirmEvery >= MaxStaleness)
        {
            settings.Fail(SectionName, nameof(ConfirmEvery), $"must be shorter than MaxStaleness ({MaxStaleness}), or a healthy push channel could never be confirmed in time.");
        }
    }

    private static void RequireDuration(StartupSettings settings, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            settings.Fail(SectionName, key, $"must be between {min} and {max} (was {value}).");
        }
    }
}
