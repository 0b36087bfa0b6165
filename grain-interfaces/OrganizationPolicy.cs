using System.Collections.Immutable;

namespace ZeroPath.Tokens;

/// <summary>
/// What an organization allows its tokens: the longest lifetime a new token may have, permissions no token may carry
/// (compared as exact strings; taken out of every token's permissions, existing ones included), and whether every new
/// token must be limited to client address ranges. Stored with the organization; <see cref="Default"/> until set.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.organization-policy")]
public sealed record OrganizationPolicy(
    [property: Id(0)] int MaxTokenLifetimeDays,
    [property: Id(1)] ImmutableArray<string> ForbiddenPermissions,
    [property: Id(2)] bool RequireAllowedCidrs)
{
    public const int MaxForbiddenPermissions = TokenRules.MaxPermissions;

    public static readonly OrganizationPolicy Default = new(TokenRules.MaxExpiresInDays, [], false);

    /// <summary>The owner's permissions as a token of this organization may carry them: without the forbidden ones.</summary>
    public ImmutableArray<string> Allowed(ImmutableArray<string> held) =>
        ForbiddenPermissions.IsDefaultOrEmpty ? held : held.RemoveAll(p => ForbiddenPermissions.Contains(p, StringComparer.Ordinal));

    /// <summary>The first of <paramref name="requested"/> the policy forbids, or null.</summary>
    public string? FirstForbidden(IEnumerable<string> requested) =>
        ForbiddenPermissions.IsDefaultOrEmpty ? null : requested.FirstOrDefault(p => ForbiddenPermissions.Contains(p, StringComparer.Ordinal));

    /// <summary>One line for the audit trail.</summary>
    public string Describe() =>
        $"maxTokenLifetimeDays={MaxTokenLifetimeDays}; forbiddenPermissions=[{string.Join(", ", ForbiddenPermissions.IsDefault ? [] : ForbiddenPermissions)}]; requireAllowedCidrs={(RequireAllowedCidrs ? "true" : "false")}";

    public bool SameAs(OrganizationPolicy other) =>
        MaxTokenLifetimeDays == other.MaxTokenLifetimeDays && RequireAllowedCidrs == other.RequireAllowedCidrs
        && ForbiddenPermissions.SequenceEqual(other.ForbiddenPermissions, StringComparer.Ordinal);
}

/// <summary>
/// Rotate a token: issue its successor (same owner, name and options) and end it <c>GracePeriod</c> from now (zero: at
/// once), unless its own expiry comes first.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.rotate-token")]
public sealed record RotateTokenCommand(
    [property: Id(0)] Guid TokenId,
    [property: Id(1)] TimeSpan GracePeriod)
{
    public static readonly TimeSpan MaxGracePeriod = TimeSpan.FromDays(7);
}

[GenerateSerializer]
[Alias("zp.rotate-token-status")]
public enum RotateTokenStatus
{
    Rotated = 0,

    /// <summary>No such token in this organization.</summary>
    NotFound = 1,

    /// <summary>The token has ended or expired: there is nothing to rotate.</summary>
    NotActive = 2,

    /// <summary>The token was rotated before and already has a successor.</summary>
    AlreadyRotated = 3,

    /// <summary>Issuing the successor failed: see <see cref="RotateTokenResult.Create"/>.</summary>
    CreateFailed = 4,
}

/// <summary>
/// The successor (<c>Create.Token</c>, with its secret) and when the rotated token ends (<c>RotatedTokenEndsAt</c>: the
/// end of the grace period, or the token's own expiry if sooner).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("zp.rotate-token-result")]
public sealed record RotateTokenResult(
    [property: Id(0)] RotateTokenStatus Status,
    [property: Id(1)] CreateTokenResult? Create = null,
    [property: Id(2)] DateTimeOffset? RotatedTokenEndsAt = null);
