using System.Collections.Immutable;

namespace ZeroPath.Tokens;

/// <summary>
/// An organization's bulk revocations as epochs. Every token records the organization's epoch when it was issued; a
/// revocation of the organization (or of one member's tokens) marks every epoch up to the current one as revoked and
/// moves the organization to the next epoch, so tokens issued afterwards are untouched. A token checks this on every
/// validation, which makes a bulk revocation take effect at once, before its per-token fan-out has reached the token.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.revocation-epochs")]
public sealed record RevocationMarks(
    [property: Id(0)] long OrganizationThrough,
    [property: Id(1)] ImmutableDictionary<string, long> MembersThrough)
{
    /// <summary>Nothing revoked yet (epochs start at 0).</summary>
    public static RevocationMarks None { get; } = new(-1, ImmutableDictionary.Create<string, long>(StringComparer.Ordinal));

    /// <summary>True when a token of <paramref name="userId"/> issued in <paramref name="tokenEpoch"/> is revoked.</summary>
    public bool Revokes(string userId, long tokenEpoch) =>
        tokenEpoch <= OrganizationThrough || (MembersThrough.TryGetValue(userId, out var through) && tokenEpoch <= through);

    /// <summary>Revokes every token issued up to <paramref name="epoch"/>.</summary>
    public RevocationMarks RevokeOrganization(long epoch) =>
        OrganizationThrough >= epoch ? this : this with { OrganizationThrough = epoch };

    /// <summary>Revokes every token of <paramref name="userId"/> issued up to <paramref name="epoch"/>.</summary>
    public RevocationMarks RevokeMember(string userId, long epoch) =>
        MembersThrough.TryGetValue(userId, out var through) && through >= epoch
            ? this
            : this with { MembersThrough = MembersThrough.SetItem(userId, epoch) };

    /// <summary>
    /// Drops a member's mark once every token it covered has ended and been stored as ended: from then on it protects
    /// nothing, and keeping it would make the marks grow with every member ever revoked.
    /// </summary>
    public RevocationMarks WithoutMember(string userId) =>
        MembersThrough.ContainsKey(userId) ? this with { MembersThrough = MembersThrough.Remove(userId) } : this;

    /// <summary>Both sets of revocations (marks only ever rise, so merging in any order gives the same result).</summary>
    public RevocationMarks Merge(RevocationMarks other)
    {
        var merged = RevokeOrganization(other.OrganizationThrough);
        foreach (var (userId, through) in other.MembersThrough)
        {
            merged = merged.RevokeMember(userId, through);
        }

        return merged;
    }

    /// <summary>True when this revokes at least everything <paramref name="other"/> does.</summary>
    public bool Covers(RevocationMarks other) =>
        OrganizationThrough >= other.OrganizationThrough &&
        other.MembersThrough.All(m => MembersThrough.TryGetValue(m.Key, out var through) && through >= m.Value);
}
