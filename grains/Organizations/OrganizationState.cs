using System.Collections.Immutable;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Organizations;

[GenerateSerializer]
[Alias("zp.organization-state")]
public sealed class OrganizationState
{
    /// <summary>Member user id to their permissions in this organization.</summary>
    [Id(0)] public Dictionary<string, ImmutableArray<string>> Members { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every token issued here that has not been deleted or revoked (expired ones included until cleaned up).</summary>
    [Id(1)] public Dictionary<Guid, TokenSummary> Tokens { get; set; } = [];

    /// <summary>
    /// Tokens being created: recorded before the token grain stores anything, moved to <see cref="Tokens"/> once it has.
    /// An entry left here by a failure is settled when the organization next activates.
    /// </summary>
    [Id(2)] public Dictionary<Guid, TokenSummary> PendingTokens { get; set; } = [];

    /// <summary>A revocation fan-out in progress: stored before the first token is ended, cleared after the last.</summary>
    [Id(3)] public PendingRevocation? Revocation { get; set; }

    /// <summary>The current revocation epoch: new tokens are issued in it; a bulk revocation ends it.</summary>
    [Id(4)] public long Epoch { get; set; }

    /// <summary>The bulk revocations so far, as marks over epochs; stored with the revocation's intent.</summary>
    [Id(5)] public RevocationEpochs Revoked { get; set; } = RevocationEpochs.None;

    /// <summary>The audit trail's next sequence number; null until first read from the trail (state stored before it existed).</summary>
    [Id(6)] public long? AuditNext { get; set; }

    /// <summary>
    /// Audit events stored with the change they record and not yet known to be in the trail. Handed to the trail after
    /// the write, and again on the next activation or action if that failed, so no event is lost.
    /// </summary>
    [Id(7)] public List<AuditEvent> AuditOutbox { get; set; } = [];

    /// <summary>
    /// Members whose permissions changed and whose tokens may not all follow yet: stored with the change, cleared once
    /// every token has the new permissions, finished on the next activation if a crash comes between.
    /// </summary>
    [Id(8)] public List<string> PermissionSyncs { get; set; } = [];
}

/// <summary>
/// What a revocation must still finish if its silo crashes halfway: which tokens (the organization's or one member's, as
/// listed in its index, which cannot change before the revocation is finished), how, and on whose word. Small and fixed
/// in size, however many tokens it covers.
/// </summary>
[GenerateSerializer]
[Alias("zp.pending-revocation")]
public sealed class PendingRevocation
{
    [Id(1)] public TokenEndReason Reason { get; set; }
    [Id(2)] public string? Note { get; set; }
    [Id(3)] public string Actor { get; set; } = "";

    /// <summary>Whose tokens; null: every token of the organization.</summary>
    [Id(5)] public string? Member { get; set; }

    /// <summary>The revocation is <see cref="Member"/>'s removal: the membership goes too.</summary>
    [Id(6)] public bool RemovesMember { get; set; }
}
