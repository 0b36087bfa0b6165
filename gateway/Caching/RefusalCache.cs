namespace ZeroPath.Gateway.Caching;

/// <summary>
/// Token ids the gateway refuses without asking the cluster, each until a set time: ids the cluster said have no live
/// token, tokens pushed as ended, and tokens locked after too many wrong secrets. Bounded (least recently used out):
/// forgetting an id only costs one grain call for it.
/// </summary>
public sealed class RefusalCache(EdgeCacheOptions options, TimeProvider time)
{
    private readonly BoundedLru<Guid, Refusal> refusals = new(options.MaxRefusedIds);

    public int Count => refusals.Count;

    /// <summary>True while the id is known to have no live token: unknown, deleted, revoked or expired.</summary>
    public bool IsGone(Guid tokenId) =>
        refusals.TryGet(tokenId, out var refusal) && refusal.Gone && Active(tokenId, refusal);

    /// <summary>Until when the token is locked after too many wrong secrets; null when it is not.</summary>
    public DateTimeOffset? LockedUntil(Guid tokenId) =>
        refusals.TryGet(tokenId, out var refusal) && !refusal.Gone && Active(tokenId, refusal) ? refusal.Until : null;

    public void RememberUnknown(Guid tokenId) => refusals.Set(tokenId, new Refusal(true, time.GetUtcNow() + options.UnknownIdTtl));

    public void RememberEnded(IEnumerable<Guid> tokenIds)
    {
        var until = time.GetUtcNow() + options.EndedIdTtl;
        foreach (var id in tokenIds)
        {
            refusals.Set(id, new Refusal(true, until));
        }
    }

    /// <summary>Never replaces what is known of an ended token (decided atomically with the write).</summary>
    public void RememberLocked(Guid tokenId, DateTimeOffset until)
    {
        var now = time.GetUtcNow();
        refusals.SetUnless(tokenId, new Refusal(false, until), known => known.Gone && now < known.Until);
    }

    private bool Active(Guid tokenId, Refusal refusal)
    {
        if (time.GetUtcNow() < refusal.Until)
        {
            return true;
        }

        refusals.Remove(tokenId, refusal);
        return false;
    }

    private readonly record struct Refusal(bool Gone, DateTimeOffset Until);
}
