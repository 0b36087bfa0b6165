using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>One API token, keyed by its Token ID. Holds the secret's hash, expiry, owner and permission snapshot.</summary>
/// <remarks>
/// A token calls no other grain but its organization's revocation marks (read-only): its organization calls it, never the
/// reverse, so no call path can cycle. The calls an organization makes (<c>Terminate</c>, <c>UpdatePermissions</c>,
/// <c>Describe</c>) and <c>IsLive</c> still interleave with a validation waiting for Argon2; the token's writes take turns
/// among themselves, and a validation re-reads the state after every wait.
/// </remarks>
[Alias("zp.token")]
public interface ITokenGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Checks a presented secret. Read-only, so warm validations never queue behind a cold Argon2 verify. Cancelled (a
    /// caller that gave up), a verify still waiting for Argon2 capacity is dropped. No storage I/O for an active token.
    /// </summary>
    [ReadOnly]
    [Alias("validate")]
    [EdgeCallable]
    Task<TokenValidation> Validate(string secret, CancellationToken cancellationToken = default);

    /// <summary>
    /// True while the token is stored and has not ended (expired tokens included). Edge-callable: a gateway rechecks the
    /// tokens of its long-lived connections with it after missed events.
    /// </summary>
    [AlwaysInterleave]
    [Alias("is-live")]
    [EdgeCallable]
    Task<bool> IsLive();

    /// <summary>Stores a newly issued token. Called once, by its organization; a second, different record is refused.</summary>
    [Alias("initialize")]
    Task Initialize(TokenRecord record);

    /// <summary>
    /// Ends the token for good: the hash is dropped and every later validation fails. Idempotent. <see cref="TokenEndReason.Expired"/>
    /// ends it as of its expiry, and only once that has passed.
    /// </summary>
    [AlwaysInterleave]
    [Alias("terminate")]
    Task Terminate(TokenEndReason reason, string? note);

    /// <summary>The token's metadata and status; null when no such token was ever issued.</summary>
    [AlwaysInterleave]
    [Alias("describe")]
    Task<TokenDetails?> Describe();

    /// <summary>
    /// The owner's permissions in the organization changed: the token follows them (narrowed to the subset it was created
    /// with, if any). Kept for callers from before <see cref="FollowOwnerPermissions"/>, which does the same.
    /// </summary>
    [AlwaysInterleave]
    [Alias("update-permissions")]
    Task UpdatePermissions(ImmutableArray<string> permissions);

    /// <summary>
    /// The owner's permissions in the organization are now <paramref name="ownerPermissions"/>: the token takes them,
    /// narrowed to the subset it was created with, and returns what it now carries (null: no such live token).
    /// </summary>
    [AlwaysInterleave]
    [Alias("follow-owner-permissions")]
    Task<ImmutableArray<string>?> FollowOwnerPermissions(ImmutableArray<string> ownerPermissions);
}
