using System.Collections.Immutable;

namespace ZeroPath.Tokens;

[GenerateSerializer]
[Alias("zp.validation-outcome")]
public enum TokenValidationOutcome
{
    /// <summary>Unknown id, wrong secret, deleted or revoked: deliberately one answer.</summary>
    Invalid = 0,
    Valid = 1,
    /// <summary>The secret was right but the token is past its expiry.</summary>
    Expired = 2,
    /// <summary>The secret could not be checked now: Argon2 capacity is exhausted. Retry later.</summary>
    Busy = 3,

    /// <summary>
    /// No live token has this id (never issued, deleted, revoked, or expired and cleaned up): it will never validate,
    /// whatever the secret, so callers may remember that. Told to callers exactly as <see cref="Invalid"/>.
    /// </summary>
    Unknown = 4,

    /// <summary>Too many wrong secrets for this token lately: refused without checking until <see cref="TokenValidation.LockedUntil"/>.</summary>
    Locked = 5,
}

/// <summary>The answer to <see cref="ITokenGrain.Validate"/>; identity fields are set only when <see cref="Outcome"/> is Valid.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-validation")]
public sealed record TokenValidation(
    [property: Id(0)] TokenValidationOutcome Outcome,
    [property: Id(1)] string? OrganizationId,
    [property: Id(2)] string? UserId,
    [property: Id(3)] ImmutableArray<string> Permissions,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] DateTimeOffset? LockedUntil = null,
    [property: Id(6)] bool TaggedSecretOnly = false,
    [property: Id(7)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(8)] TokenRateLimit? RateLimit = null,
    [property: Id(16)] long? IndexSequence = null)
{
    public static readonly TokenValidation Invalid = new(TokenValidationOutcome.Invalid, null, null, [], null);

    /// <summary>
    /// Invalid, and the token's secret is a <c>zp_</c> one: no 43-character secret can ever be right for it, so a gateway
    /// may refuse those itself from now on (a token's secret never changes).
    /// </summary>
    public static readonly TokenValidation InvalidTaggedSecretOnly = new(TokenValidationOutcome.Invalid, null, null, [], null, null, true);
    public static readonly TokenValidation Expired = new(TokenValidationOutcome.Expired, null, null, [], null);
    public static readonly TokenValidation Busy = new(TokenValidationOutcome.Busy, null, null, [], null);
    public static readonly TokenValidation Unknown = new(TokenValidationOutcome.Unknown, null, null, [], null);

    public static TokenValidation Locked(DateTimeOffset until) => new(TokenValidationOutcome.Locked, null, null, [], null, until);

    public bool IsValid => Outcome == TokenValidationOutcome.Valid;
}

/// <summary>
/// Everything a token grain stores about a token at creation. Carries the hash, never the secret. <c>Epoch</c> is the
/// organization's revocation epoch when the token was issued (see <see cref="RevocationMarks"/>). <c>IndexSequence</c>: its place in the
/// organization's token index. <c>TaggedSecret</c>:
/// its secret is in the <c>zp_</c> format, so a 43-character secret presented for it is refused without Argon2.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-record")]
public sealed record TokenRecord(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] string OrganizationId,
    [property: Id(2)] string UserId,
    [property: Id(3)] string? Name,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(6)] string SecretHash,
    [property: Id(7)] ImmutableArray<string> Permissions,
    [property: Id(8)] long Epoch = 0,
    [property: Id(9)] bool TaggedSecret = false,
    [property: Id(10)] long IndexSequence = 0,
    [property: Id(11)] ImmutableArray<string>? RequestedPermissions = null,
    [property: Id(12)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(13)] TokenRateLimit? RateLimit = null);

[GenerateSerializer]
[Alias("zp.token-end-reason")]
public enum TokenEndReason
{
    /// <summary>Deleted by its owner or an operator through the organization.</summary>
    Deleted = 0,
    /// <summary>Its owner stopped being a member of the organization.</summary>
    MemberRemoved = 1,

    /// <summary>Its expiry passed and its organization's expiry sweep cleaned it up.</summary>
    Expired = 2,

    /// <summary>Revoked by a platform operator (one token, a member's tokens or an organization's).</summary>
    Revoked = 3,
}

[GenerateSerializer]
[Alias("zp.token-status")]
public enum TokenStatus
{
    Active = 0,
    Expired = 1,
    Revoked = 2,
    Deleted = 3,
}

/// <summary>What an operator may see of a token: never its secret or hash.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-details")]
public sealed record TokenDetails(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] string OrganizationId,
    [property: Id(2)] string UserId,
    [property: Id(3)] string? Name,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(6)] TokenStatus Status,
    [property: Id(7)] DateTimeOffset? EndedAt,
    [property: Id(8)] string? Reason,
    [property: Id(9)] long IndexSequence = 0,
    [property: Id(10)] ImmutableArray<string>? Permissions = null,
    [property: Id(11)] ImmutableArray<string>? RequestedPermissions = null,
    [property: Id(12)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(13)] TokenRateLimit? RateLimit = null);

/// <summary>
/// A token to create. <c>Permissions</c>: the subset of the owner's permissions it may carry (null: all of them, as the
/// owner's change); <c>AllowedCidrs</c>: the client address ranges it is accepted from (null: any), canonical (see
/// <see cref="TokenRules.TryNormalizeCidrs"/>); <c>RateLimit</c>: requests per second with a burst, across all gateways
/// (null: none; see <see cref="TokenRules.IsValidRateLimit"/>). All are fixed at creation. <c>DefaultLifetime</c>: the
/// caller did not choose <c>ExpiresInDays</c> (the default), so the organization's policy may shorten it instead of refusing it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.create-token")]
public sealed record CreateTokenCommand(
    [property: Id(0)] string UserId,
    [property: Id(1)] string? Name,
    [property: Id(2)] int ExpiresInDays,
    [property: Id(3)] ImmutableArray<string>? Permissions = null,
    [property: Id(4)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(5)] TokenRateLimit? RateLimit = null,
    [property: Id(6)] bool DefaultLifetime = false);

/// <summary>
/// A token's request rate limit, fixed at creation: <c>RequestsPerSecond</c> sustained and up to <c>Burst</c> at once,
/// across all gateways together (each enforces its share; see docs/edge.md). Within <see cref="TokenRules.IsValidRateLimit"/>.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-rate-limit")]
public sealed record TokenRateLimit(
    [property: Id(0)] double RequestsPerSecond,
    [property: Id(1)] int Burst);

[GenerateSerializer]
[Alias("zp.create-token-status")]
public enum CreateTokenStatus
{
    Created = 0,
    MemberNotFound = 1,
    /// <summary>Argon2 capacity is exhausted; nothing was stored.</summary>
    Busy = 2,

    /// <summary>The token asked for a permission its owner does not hold; nothing was stored.</summary>
    PermissionNotHeld = 3,

    /// <summary>The lifetime asked for is longer than the organization's policy allows; nothing was stored.</summary>
    LifetimeExceedsPolicy = 4,

    /// <summary>The token asked for a permission the organization's policy forbids; nothing was stored.</summary>
    PermissionForbidden = 5,

    /// <summary>The organization's policy requires address ranges and none were given; nothing was stored.</summary>
    AllowedCidrsRequired = 6,
}

/// <summary>The only place a token secret ever leaves the cluster: the creation response.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.issued-token")]
public sealed record IssuedToken(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] string Secret,
    [property: Id(2)] string? Name,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] ImmutableArray<string> Permissions,
    [property: Id(6)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(7)] TokenRateLimit? RateLimit = null)
{
    // Records print every member; this one must never print the secret.
    public override string ToString() => $"IssuedToken {{ TokenId = {TokenId}, Name = {Name}, ExpiresAt = {ExpiresAt:O} }}";
}

[GenerateSerializer, Immutable]
[Alias("zp.create-token-result")]
public sealed record CreateTokenResult(
    [property: Id(0)] CreateTokenStatus Status,
    [property: Id(1)] IssuedToken? Token);

[GenerateSerializer, Immutable]
[Alias("zp.token-summary")]
public sealed record TokenSummary(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string UserId,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] TokenRestrictions Restrictions = TokenRestrictions.None,
    [property: Id(16)] TokenLastUse? LastUse = null);

/// <summary>Which creation options narrow a token (what a list shows; the token's details carry the values).</summary>
[Flags]
[GenerateSerializer]
[Alias("zp.token-restrictions")]
public enum TokenRestrictions
{
    None = 0,

    /// <summary>Created with a subset of its owner's permissions.</summary>
    Permissions = 1,

    /// <summary>Accepted only from client addresses in its <c>allowedCidrs</c>.</summary>
    Addresses = 2,

    /// <summary>Limited to a request rate (<c>rateLimit</c>).</summary>
    RateLimit = 4,
}

[GenerateSerializer, Immutable]
[Alias("zp.member")]
public sealed record OrganizationMember(
    [property: Id(0)] string OrganizationId,
    [property: Id(1)] string UserId,
    [property: Id(2)] ImmutableArray<string> Permissions);

/// <summary>A token ready to be stored: its secret already hashed, never the secret itself.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.new-token")]
public sealed record NewToken(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string? Name,
    [property: Id(3)] int ExpiresInDays,
    [property: Id(4)] string SecretHash,
    [property: Id(5)] ImmutableArray<string>? RequestedPermissions = null,
    [property: Id(6)] ImmutableArray<string>? AllowedCidrs = null,
    [property: Id(7)] TokenRateLimit? RateLimit = null,
    [property: Id(8)] bool DefaultLifetime = false);

/// <summary>One page of an organization's tokens, newest first; <c>NextCursor</c> is null on the last page.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-page")]
public sealed record TokenPage(
    [property: Id(0)] ImmutableArray<TokenSummary> Items,
    [property: Id(1)] string? NextCursor);

/// <summary>A token as its organization's index holds it: its place in the index and its summary.</summary>
[GenerateSerializer, Immutable]
[Alias("zp.indexed-token")]
public sealed record IndexedToken(
    [property: Id(0)] long Sequence,
    [property: Id(1)] TokenSummary Token);

/// <summary>
/// Which entries of an index shard: those with a sequence from <c>From</c> up to (not including) <c>Before</c>, and of
/// them only one member's (<c>UserId</c>) or only those expired by <c>ExpiredBy</c> when set.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-selection")]
public sealed record TokenSelection(
    [property: Id(0)] string? UserId = null,
    [property: Id(1)] DateTimeOffset? ExpiredBy = null,
    [property: Id(2)] long Before = long.MaxValue,
    [property: Id(3)] long From = 0);

/// <summary>
/// How many entries an index shard holds, the earliest expiry among them (null when empty) and, after a removal, how many
/// it removed.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.token-shard-summary")]
public sealed record TokenShardSummary(
    [property: Id(0)] int Count,
    [property: Id(1)] DateTimeOffset? EarliestExpiry,
    [property: Id(2)] int Removed = 0);

/// <summary>
/// Background work an organization still owes: bulk revocations in progress, members whose tokens must follow new
/// permissions, policy changes (forbidden permissions) not yet applied to every token.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.organization-work")]
public sealed record OrganizationWork(
    [property: Id(0)] int Revocations,
    [property: Id(1)] int PermissionChanges,
    [property: Id(2)] int PolicyChanges = 0);
