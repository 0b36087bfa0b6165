using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// When a token was last used (UTC, truncated to the minute) and from which client address (null: unknown). Recorded by
/// the gateways, so a forged or clock-skewed report can only ever move <see cref="At"/>, never anything else of a token.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-last-use")]
public sealed record TokenLastUse(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string? From);

/// <summary>One token's use as a gateway reports it: the token's place in its organization's index, its id, and its last use.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-use")]
public sealed record TokenUse(
    [property: Id(0)] long Sequence,
    [property: Id(1)] Guid TokenId,
    [property: Id(2)] TokenLastUse Use);

/// <summary>
/// Where last uses are kept: one usage shard per index shard (the same <c>{organization}/{sequence / 256}</c> layout as
/// the token index), so a list page joins one index shard with one usage shard and a gateway's flush sends one batch per shard.
/// </summary>
public static class TokenUsageLayout
{
    /// <summary>Tokens per shard: the token index's shard capacity, which never changes for stored data.</summary>
    public const int ShardCapacity = 256;

    /// <summary>The most uses one <see cref="ITokenUsageShardGrain.Record"/> call may carry (a shard's tokens).</summary>
    public const int MaxBatch = ShardCapacity;

    public static long ShardOf(long sequence) => sequence / ShardCapacity;

    /// <summary>The usage shard's grain key for a token at <paramref name="sequence"/> of <paramref name="organizationId"/>.</summary>
    public static string ShardKey(string organizationId, long sequence) => $"{organizationId}/{ShardOf(sequence)}";

    /// <summary>The minute a use at <paramref name="at"/> is recorded as (UTC, seconds and below dropped).</summary>
    public static DateTimeOffset Minute(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
}

/// <summary>
/// The last uses of one index shard's tokens (key: <c>{organization}/{shard number}</c>, see <see cref="TokenUsageLayout"/>).
/// Keeps, per token, the latest use any gateway reported, and writes its state at most once a minute. It calls no other
/// grain; the organization and the admin API read it.
/// </summary>
[Alias("zp.token-usage-shard")]
public interface ITokenUsageShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Merges uses reported by a gateway: for each token the later use wins (several gateways: the latest of theirs).
    /// Uses outside the shard's sequence range are ignored, times later than a minute from now are clamped to now, and a
    /// call carries at most <see cref="TokenUsageLayout.MaxBatch"/> uses. Edge-callable: it is all a gateway may write.
    /// </summary>
    [Alias("record")]
    [EdgeCallable]
    Task Record(ImmutableArray<TokenUse> uses);

    /// <summary>The last use of every token of the shard that was ever reported, by index sequence.</summary>
    [ReadOnly]
    [Alias("uses")]
    Task<ImmutableArray<TokenUse>> Uses();
}
