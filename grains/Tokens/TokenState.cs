using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tokens;

/// <summary>
/// A token's stored state. Holds the Argon2id hash while the token lives (prefixed with its pepper key id when made with
/// one, see <see cref="Secrets.TokenSecretHasher"/>), never the secret.
/// </summary>
[GenerateSerializer]
[Alias("zp.token-state")]
public sealed record TokenState
{
    [Id(0)] public string OrganizationId { get; init; } = "";
    [Id(1)] public string UserId { get; init; } = "";
    [Id(2)] public string? Name { get; init; }
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>
    /// The stored hash: <c>$argon2id$…</c>, or <c>$zp-pepper={id}$argon2id$…</c> when made with a pepper key. Null once
    /// the token has ended: nothing can validate against it again.
    /// </summary>
    [Id(5)] public string? SecretHash { get; init; }
    [Id(6)] public ImmutableArray<string> Permissions { get; init; } = [];
    [Id(7)] public DateTimeOffset? EndedAt { get; init; }
    [Id(8)] public TokenEndReason? EndReason { get; init; }

    /// <summary>Why it ended, in the words of whoever ended it (an operator's reason).</summary>
    [Id(9)] public string? EndNote { get; init; }

    /// <summary>The organization's revocation epoch when the token was issued (see <see cref="RevocationMarks"/>).</summary>
    [Id(10)] public long Epoch { get; init; }

    /// <summary>Issued as a <c>zp_</c> secret (false: a 43-character secret from before that format).</summary>
    [Id(11)] public bool TaggedSecret { get; init; }

    /// <summary>Its place in its organization's token index (which shard lists it).</summary>
    [Id(12)] public long IndexSequence { get; init; }

    /// <summary>
    /// The subset of its owner's permissions it was created with; null (every token from before this option, and one
    /// created without it): all of the owner's. <see cref="Permissions"/> is always the owner's current permissions
    /// narrowed to these (<see cref="TokenRules.EffectivePermissions"/>).
    /// </summary>
    [Id(13)] public ImmutableArray<string>? RequestedPermissions { get; init; }

    /// <summary>Client address ranges it is accepted from, canonical; null: any address.</summary>
    [Id(14)] public ImmutableArray<string>? AllowedCidrs { get; init; }

    /// <summary>Its request rate limit across all gateways; null: none.</summary>
    [Id(15)] public TokenRateLimit? RateLimit { get; init; }

    public bool HasEnded => EndedAt is not null;

    /// <summary>Value equality, arrays compared by content (ImmutableArray's own equality is by reference).</summary>
    public bool SameAs(TokenState other) =>
        this with { Permissions = [], RequestedPermissions = null, AllowedCidrs = null }
            == other with { Permissions = [], RequestedPermissions = null, AllowedCidrs = null }
        && Permissions.SequenceEqual(other.Permissions, StringComparer.Ordinal)
        && SameContent(RequestedPermissions, other.RequestedPermissions)
        && SameContent(AllowedCidrs, other.AllowedCidrs);

    private static bool SameContent(ImmutableArray<string>? a, ImmutableArray<string>? b) =>
        a is { } x ? b is { } y && x.SequenceEqual(y, StringComparer.Ordinal) : b is null;

    public TokenStatus StatusAt(DateTimeOffset now) => EndReason switch
    {
        TokenEndReason.Deleted => TokenStatus.Deleted,
        TokenEndReason.MemberRemoved or TokenEndReason.Revoked => TokenStatus.Revoked,
        TokenEndReason.Expired => TokenStatus.Expired,
        _ => now >= ExpiresAt ? TokenStatus.Expired : TokenStatus.Active,
    };

    public static TokenState From(TokenRecord record) => new()
    {
        OrganizationId = record.OrganizationId,
        UserId = record.UserId,
        Name = record.Name,
        CreatedAt = record.CreatedAt,
        ExpiresAt = record.ExpiresAt,
        SecretHash = record.SecretHash,
        Permissions = record.Permissions,
        Epoch = record.Epoch,
        TaggedSecret = record.TaggedSecret,
        IndexSequence = record.IndexSequence,
        RequestedPermissions = record.RequestedPermissions,
        AllowedCidrs = record.AllowedCidrs,
        RateLimit = record.RateLimit,
    };
}
