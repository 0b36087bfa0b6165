using System.Collections.Immutable;
using ZeroPath.Grains.Storage;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

/// <summary>
/// How an organization's token index is cut into shards. Every token gets the organization's next index sequence when it
/// is created; shard <c>n</c> holds sequences <c>n × ShardCapacity</c> up to the next shard's first. So a create writes
/// one shard of bounded size, newest first is descending sequence, and a shard once full never grows again.
/// </summary>
public static class TokenIndexLayout
{
    /// <summary>
    /// Entries per shard. At most 256 × ~750 bytes (a 100-character name of escaped non-ASCII characters) ≈ 190 KB of JSON,
    /// far below a storage entity's limit. Never change it for stored data: it decides which shard lists a token.
    /// </summary>
    public const int ShardCapacity = 256;

    public static long ShardOf(long sequence) => sequence / ShardCapacity;

    /// <summary>The shard's grain key.</summary>
    public static string ShardKey(string organizationId, long shard) => $"{organizationId}/{shard}";
}

/// <summary>One index shard's entries, ordered by sequence. Plain code: the grain only stores it.</summary>
[GenerateSerializer]
[Alias("zp.token-index-shard-state")]
public sealed class TokenIndexShardState
{
    [Id(0)] public List<IndexedToken> Entries { get; set; } = [];

    /// <summary>Adds an entry; false when it is already there (a retried add).</summary>
    public bool Add(long sequence, TokenSummary token)
    {
        var at = Find(sequence);
        if (at >= 0)
        {
            return Entries[at].Token != token
                ? throw new InvalidOperationException($"Index sequence {sequence} already lists token {Entries[at].Token.TokenId}.")
                : false;
        }

        Entries.Insert(~at, new IndexedToken(sequence, token));
        return true;
    }

    /// <summary>Removes the entries with these sequences; how many were there.</summary>
    public int Remove(IEnumerable<long> sequences)
    {
        var removed = 0;
        foreach (var sequence in sequences)
        {
            if (Find(sequence) is var at and >= 0)
            {
                Entries.RemoveAt(at);
                removed++;
            }
        }

        return removed;
    }

    public ImmutableArray<IndexedToken> Page(long before, int limit, DateTimeOffset now)
    {
        var page = ImmutableArray.CreateBuilder<IndexedToken>(Math.Min(limit, Entries.Count));
        for (var i = Entries.Count - 1; i >= 0 && page.Count < limit; i--)
        {
            var entry = Entries[i];
            if (entry.Sequence < before && entry.Token.ExpiresAt > now)
            {
                page.Add(entry);
            }
        }

        return page.ToImmutable();
    }

    public ImmutableArray<IndexedToken> Find(TokenSelection selection) =>
    [
        .. Entries.Where(e =>
            e.Sequence >= selection.From && e.Sequence < selection.Before
            && (selection.UserId is null || e.Token.UserId == selection.UserId)
            && (selection.ExpiredBy is not { } by || e.Token.ExpiresAt <= by)),
    ];

    public TokenShardSummary Summary(int removed = 0) =>
        new(Entries.Count, Entries.Count == 0 ? null : Entries.Min(e => e.Token.ExpiresAt), removed);

    private int Find(long sequence)
    {
        int low = 0, high = Entries.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var compared = Entries[middle].Sequence.CompareTo(sequence);
            if (compared == 0)
            {
                return middle;
            }

            if (compared < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}

/// <summary>Stores one <see cref="TokenIndexShardState"/>; an emptied shard deletes its record.</summary>
public sealed class TokenIndexShardGrain(
    [PersistentState("index", GrainStorageNames.Tokens)] IPersistentState<TokenIndexShardState> state) : Grain, ITokenIndexShardGrain
{
    public async Task Add(long sequence, TokenSummary token)
    {
        if (state.State.Add(sequence, token))
        {
            await state.WriteOrDropAsync(DeactivateOnIdle);
        }
    }

    public async Task<TokenShardSummary> Remove(ImmutableArray<long> sequences)
    {
        var removed = state.State.Remove(sequences);
        if (removed > 0)
        {
            await (state.State.Entries.Count == 0
                ? state.ClearOrDropAsync(DeactivateOnIdle)
                : state.WriteOrDropAsync(DeactivateOnIdle));
        }

        return state.State.Summary(removed);
    }

    public Task<ImmutableArray<IndexedToken>> Page(long before, int limit, DateTimeOffset now) =>
        Task.FromResult(state.State.Page(before, limit, now));

    public Task<ImmutableArray<IndexedToken>> Find(TokenSelection selection) =>
        Task.FromResult(state.State.Find(selection));

    public Task<TokenShardSummary> Summary() => Task.FromResult(state.State.Summary());
}
