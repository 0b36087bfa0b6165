namespace ZeroPath.Gateway.Caching;

/// <summary>
/// Token ids the gateway refuses without asking the cluster, each until a set time: ids the cluster said have no live
/// token, tokens pushed as ended, tokens locked after too many wrong secrets, and (for 43-character secrets only) tokens
/// the cluster said have a <c>zp_</c> secret. Bounded (least recently used out): forgetting an id only costs one grain
/// call for it.
/// </summary>
public sealed class RefusalCache(EdgeCacheOptions options, TimeProvider time)
{
    private readonly BoundedLru<Guid, Refusal> refusals = new(options.MaxRefusedIds);

    public int Count => refusals.Count;

    /// <summary>True while the id is known to have no live token: unknown, deleted, revoked or expired.</summary>
    public bool IsGone(Guid tokenId) =>
        refusals.TryGet(tokenId, out var refusal) && refusal.Kind == RefusalKind.Gone && Active(tokenId, refusal);

    /// <summary>Until when the token is locked after too many wrong secrets; null when it is not.</summary>
    public DateTimeOffset? LockedUntil(Guid tokenId) =>
        refusals.TryGet(tokenId, out var refusal) && refusal.Kind == RefusalKind.Locked && Active(tokenId, refusal) ? refusal.Until : null;

    /// <summary>True while the cluster is known to have said the token's secret is a <c>zp_</c> one.</summary>
    public bool RefusesLegacySecrets(Guid tokenId) =>
        refusals.TryGet(tokenId, out var refusal) && refusal.Kind == RefusalKind.TaggedSecretOnly && Active(tokenId, refusal);

    public void RememberUnknown(Guid tokenId) => refusals.Set(tokenId, new Refusal(RefusalKind.Gone, time.GetUtcNow() + options.UnknownIdTtl));

    /// <summary>
    /// The token's secret is a <c>zp_</c> one, so any 43-character secret for it is wrong: remembered as long as an
    /// unknown id, and never in place of what is known of an ended or locked token.
    /// </summary>
    public void RememberTaggedSecretOnly(Guid tokenId)
    {
        var now = time.GetUtcNow();
        refusals.SetUnless(tokenId, new Refusal(RefusalKind.TaggedSecretOnly, now + options.UnknownIdTtl), known => known.Kind != RefusalKind.TaggedSecretOnly && now < known.Until);
    }

    public void RememberEnded(IEnumerable<Guid> tokenIds)
    {
        var until = time.GetUtcNow() + options.EndedIdTtl;
        foreach (var id in tokenIds)
        {
            refusals.Set(id, new Refusal(RefusalKind.Gone, until));
        }
    }

    /// <summary>Never replaces what is known of an ended token (decided atomically with the write).</summary>
    public void RememberLocked(Guid tokenId, DateTimeOffset until)
    {
        var now = time.GetUtcNow();
        refusals.SetUnless(tokenId, new Refusal(RefusalKind.Locked, until), known => known.Kind == RefusalKind.Gone && now < known.Until);
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

    private enum RefusalKind
    {
        Gone,
        Locked,
        TaggedSecretOnly,
    }

    private readonly record struct Refusal(RefusalKind Kind, DateTimeOffset Until);
}
