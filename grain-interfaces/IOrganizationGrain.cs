using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>
/// An organization, keyed by its id: the one writer of its members, its token index and its audit trail. Calls go one
/// way only: the organization calls its members, index shards and tokens; none of them ever calls it back, so no call
/// can wait on another in a cycle.
/// </summary>
[Alias("zp.organization")]
public interface IOrganizationGrain : IGrainWithStringKey
{
    /// <summary>Adds a member or changes their permissions; their live tokens follow before this returns.</summary>
    [Alias("set-member")]
    Task<OrganizationMember> SetMember(string userId, ImmutableArray<string> permissions);

    /// <summary>
    /// Revokes every token of a member: none validates when this returns; each is ended and dropped from the index in
    /// the background after. Null when not a member, else how many were revoked.
    /// </summary>
    [Alias("revoke-member-tokens")]
    Task<int?> RevokeMemberTokens(string userId, string reason);

    /// <summary>Revokes every token of the organization, as <see cref="RevokeMemberTokens"/> does; how many were revoked.</summary>
    [Alias("revoke-all")]
    Task<int> RevokeAll(string reason);

    /// <summary>Removes a member; none of their tokens validates when this returns. False when not a member.</summary>
    [Alias("remove-member")]
    Task<bool> RemoveMember(string userId);

    /// <summary>
    /// Issues a token. Interleaves: the secret is hashed outside the organization's turn, so creates hash in parallel up
    /// to the hasher's bound; only storing the token takes a turn (<see cref="AddToken"/>).
    /// </summary>
    [AlwaysInterleave]
    [Alias("create-token")]
    Task<CreateTokenResult> CreateToken(CreateTokenCommand command);

    /// <summary>Stores a token whose secret <see cref="CreateToken"/> hashed; called only by the organization itself.</summary>
    [Alias("add-token")]
    Task<CreateTokenResult> AddToken(NewToken token);

    /// <summary>
    /// Carries owed fan-outs (bulk revocations, the expiry sweep) one shard further, then asks again while work is left.
    /// Sent by the organization to itself and never awaited, so other calls take turns between steps.
    /// </summary>
    [Alias("run-fan-outs")]
    Task RunFanOuts();

    /// <summary>
    /// Active tokens (neither expired nor ended), newest first, <paramref name="limit"/> at a time. A page's cursor
    /// continues after its last token; tokens created meanwhile are newer, so they never shift or repeat later pages.
    /// </summary>
    [ReadOnly]
    [Alias("list-tokens")]
    Task<TokenPage> ListTokens(string? cursor, int limit);

    /// <summary>
    /// As <see cref="ListTokens"/>, each token with its last use (<see cref="TokenSummary.LastUse"/>, null: never used).
    /// With <paramref name="unusedFor"/>, only tokens created at least that long ago whose last use (a whole minute) lies
    /// entirely before it. Filtered, a page reads a bounded number of index shards: it may hold fewer than
    /// <paramref name="limit"/> tokens (even none) and still have a cursor, but paging never skips a matching token.
    /// </summary>
    [ReadOnly]
    [Alias("list-tokens-with-use")]
    Task<TokenPage> ListTokensWithUse(string? cursor, int limit, TimeSpan? unusedFor);

    /// <summary>Deletes a token of this organization; it has stopped validating when this returns. False when not in this organization.</summary>
    [Alias("delete-token")]
    Task<bool> DeleteToken(Guid tokenId);

    /// <summary>An operator revokes one token of this organization. Null when it is not one.</summary>
    [Alias("revoke-token")]
    Task<TokenDetails?> RevokeToken(Guid tokenId, string reason);

    /// <summary>
    /// Rotates a token: issues its successor with the same owner, name and options (permissions subset, address ranges)
    /// and the rotated token's lifetime from now (shortened to the policy's maximum), and ends the rotated token when the
    /// grace period passes (durably: a crash does not forget it) or at once when it is zero. Interleaves like
    /// <see cref="CreateToken"/>; the successor is stored by <see cref="AddSuccessor"/>.
    /// </summary>
    [AlwaysInterleave]
    [Alias("rotate-token")]
    Task<RotateTokenResult> RotateToken(RotateTokenCommand command);

    /// <summary>Stores a successor whose secret <see cref="RotateToken"/> hashed, and schedules its predecessor's end; called only by the organization itself.</summary>
    [Alias("add-successor")]
    Task<RotateTokenResult> AddSuccessor(Guid predecessor, NewToken successor, TimeSpan gracePeriod);

    /// <summary>The organization's token policy (<see cref="OrganizationPolicy.Default"/> until one is set).</summary>
    [ReadOnly]
    [Alias("get-policy")]
    Task<OrganizationPolicy> GetPolicy();

    /// <summary>
    /// Sets the token policy, recorded in the audit trail. New tokens are checked against it; a change of forbidden
    /// permissions reaches every existing token in the background (see <see cref="PendingWork"/>). Returns what is stored.
    /// </summary>
    [Alias("set-policy")]
    Task<OrganizationPolicy> SetPolicy(OrganizationPolicy policy);

    /// <summary>Work still owed in the background: bulk revocations not yet reached every token, permission changes not yet followed.</summary>
    [ReadOnly]
    [Alias("pending-work")]
    Task<OrganizationWork> PendingWork();
}

/// <summary>One member of one organization (key: "{organization}/{user}"): their permissions. Written only by the organization.</summary>
[Alias("zp.member-grain")]
public interface IMemberGrain : IGrainWithStringKey
{
    /// <summary>The member's permissions; null when not a member.</summary>
    [ReadOnly]
    [Alias("get")]
    Task<ImmutableArray<string>?> GetPermissions();

    /// <summary>Stores the permissions (sorted, distinct); returns what was stored before (null: a new member).</summary>
    [Alias("set")]
    Task<ImmutableArray<string>?> SetPermissions(ImmutableArray<string> permissions);

    /// <summary>Ends the membership; false when not a member.</summary>
    [Alias("remove")]
    Task<bool> Remove();
}

/// <summary>
/// A slice of an organization's token index (key: "{organization}/{shard number}"): the tokens whose index sequence falls
/// in the shard's range, so no stored record grows with the organization. Written only by the organization.
/// </summary>
[Alias("zp.token-index-shard")]
public interface ITokenIndexShardGrain : IGrainWithStringKey
{
    [Alias("add")]
    Task Add(long sequence, TokenSummary token);

    /// <summary>Drops entries; what the shard holds afterwards.</summary>
    [Alias("remove")]
    Task<TokenShardSummary> Remove(ImmutableArray<long> sequences);

    /// <summary>Entries with a sequence below <paramref name="before"/>, newest first, at most <paramref name="limit"/>, skipping those expired at <paramref name="now"/>.</summary>
    [ReadOnly]
    [Alias("page")]
    Task<ImmutableArray<IndexedToken>> Page(long before, int limit, DateTimeOffset now);

    /// <summary>Entries matching a selection (all, one member's, those expired by a time), oldest first.</summary>
    [ReadOnly]
    [Alias("find")]
    Task<ImmutableArray<IndexedToken>> Find(TokenSelection selection);

    [ReadOnly]
    [Alias("summary")]
    Task<TokenShardSummary> Summary();
}

/// <summary>Answers readiness probes: a successful call proves a client can reach a silo that serves grains.</summary>
[Alias("zp.ping")]
public interface IClusterPingGrain : IGrainWithIntegerKey
{
    [Alias("ping")]
    [EdgeCallable]
    Task Ping();
}
