using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>Listing tokens with their last use: each index shard page joined with its usage shard.</summary>
public sealed partial class OrganizationGrain
{
    /// <summary>Index shards one filtered page reads at most (2 grain calls each) before it answers with what it found.</summary>
    public const int MaxShardsPerFilteredPage = 8;

    private ITokenUsageShardGrain UsageShard(long shard) =>
        GrainFactory.GetGrain<ITokenUsageShardGrain>(TokenIndexLayout.ShardKey(OrganizationId, shard));

    public async Task<TokenPage> ListTokensWithUse(string? cursor, int limit, TimeSpan? unusedFor)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var before = TokenPageCursor.Parse(cursor) ?? long.MaxValue;
        var now = time.GetUtcNow();
        DateTimeOffset? staleBefore = unusedFor is { } window ? now - window : null;
        var found = new List<IndexedToken>(limit + 1);
        var last = before == long.MaxValue ? long.MaxValue : TokenIndexLayout.ShardOf(before - 1);
        var read = 0;
        for (var i = Org.Shards.Count - 1; i >= 0 && found.Count <= limit; i--)
        {
            var shard = Org.Shards[i];
            if (shard > last)
            {
                continue;
            }

            if (staleBefore is not null && read == MaxShardsPerFilteredPage)
            {
                // Everything from the last shard read up to the cursor has been looked at: the next page starts below it.
                var readDownTo = Org.Shards[i + 1] * TokenIndexLayout.ShardCapacity;
                return Page(found, limit, readDownTo);
            }

            read++;
            var entries = await Shard(shard).Page(before, staleBefore is null ? limit + 1 - found.Count : TokenIndexLayout.ShardCapacity, now);
            if (entries.IsEmpty)
            {
                continue;
            }

            var uses = (await UsageShard(shard).Uses()).ToDictionary(u => u.Sequence);
            foreach (var entry in entries)
            {
                var token = entry.Token with { LastUse = LastUseOf(entry, uses) };
                if (staleBefore is not { } stale || IsUnused(token, stale))
                {
                    found.Add(entry with { Token = token });
                    if (found.Count > limit)
                    {
                        break;
                    }
                }
            }
        }

        return Page(found, limit, null);
    }

    /// <summary>A page of the first <paramref name="limit"/> found; its cursor follows the last of them, or <paramref name="readDownTo"/> when the read stopped early.</summary>
    private static TokenPage Page(List<IndexedToken> found, int limit, long? readDownTo)
    {
        if (found.Count > limit)
        {
            return new TokenPage([.. found.Take(limit).Select(t => t.Token)], TokenPageCursor.After(found[limit - 1].Sequence));
        }

        return new TokenPage([.. found.Select(t => t.Token)], readDownTo is { } at ? TokenPageCursor.After(at) : null);
    }

    /// <summary>
    /// The use kept for this entry's sequence, if it is this token's and not before the minute it was created (a report
    /// can only be as early as the token; anything earlier came from a bad clock and is not shown).
    /// </summary>
    private static TokenLastUse? LastUseOf(IndexedToken entry, Dictionary<long, TokenUse> uses) =>
        uses.TryGetValue(entry.Sequence, out var use) && use.TokenId == entry.Token.TokenId
        && use.Use.At >= TokenUsageLayout.Minute(entry.Token.CreatedAt)
            ? use.Use
            : null;

    /// <summary>Created at or before <paramref name="staleBefore"/>, and no use in a minute that reaches it.</summary>
    public static bool IsUnused(TokenSummary token, DateTimeOffset staleBefore) =>
        token.CreatedAt <= staleBefore && (token.LastUse is not { } use || use.At.AddMinutes(1) <= staleBefore);
}
