using System.Collections.Immutable;
using Orleans.Concurrency;

namespace ZeroPath.Tokens;

/// <summary>An organization, keyed by its id: its members and their permissions, and the index of its tokens.</summary>
[Alias("zp.organization")]
public interface IOrganizationGrain : IGrainWithStringKey
{
    /// <summary>Adds a member or changes their permissions; their live tokens follow before this returns.</summary>
    [Alias("set-member")]
    Task<OrganizationMember> SetMember(string userId, ImmutableArray<string> permissions);

    /// <summary>Revokes every token of a member; null when not a member, else how many were revoked.</summary>
    [Alias("revoke-member-tokens")]
    Task<int?> RevokeMemberTokens(string userId, string reason);

    /// <summary>Revokes every token of the organization; how many were revoked.</summary>
    [Alias("revoke-all")]
    Task<int> RevokeAll(string reason);

    /// <summary>Removes a member and ends all of their tokens before returning. False when not a member.</summary>
    [Alias("remove-member")]
    Task<bool> RemoveMember(string userId);

    [Alias("create-token")]
    Task<CreateTokenResult> CreateToken(CreateTokenCommand command);

    /// <summary>Active tokens (neither expired nor ended), newest first.</summary>
    [ReadOnly]
    [Alias("list-tokens")]
    Task<ImmutableArray<TokenSummary>> ListTokens();

    /// <summary>Deletes a token of this organization; it has stopped validating when this returns. False when not in this organization.</summary>
    [Alias("delete-token")]
    Task<bool> DeleteToken(Guid tokenId);

    /// <summary>
    /// Called by a token that ended on its own (expired, revoked by id): drops it from the index and records why.
    /// Idempotent: only the call that removes the entry records an event.
    /// </summary>
    [Alias("forget-token")]
    Task ForgetToken(Guid tokenId, AuditAction action, string? reason);
}

/// <summary>Answers readiness probes: a successful call proves a client can reach a silo that serves grains.</summary>
[Alias("zp.ping")]
public interface IClusterPingGrain : IGrainWithIntegerKey
{
    [Alias("ping")]
    [EdgeCallable]
    Task Ping();
}
