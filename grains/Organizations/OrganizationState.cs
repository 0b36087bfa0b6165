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
}
