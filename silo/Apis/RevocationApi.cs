using System.Collections.Immutable;
using ZeroPath.Grains;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

/// <summary>Operators' routes: look a token up and revoke one token, a member's tokens or an organization's.</summary>
internal static class RevocationApi
{
    public const int MaxReasonLength = 500;

    public static void MapRevocationApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/tokens/{tokenId}", GetToken)
            .AdminRoute("GetToken", "A token's metadata and status, never its secret")
            .Produces<TokenDetailsResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_token_id")
            .Problem(StatusCodes.Status404NotFound, "token_not_found");
        admin.MapPost("/tokens/{tokenId}/revoke", RevokeToken)
            .AdminRoute("RevokeToken", "Revoke one token by id, without knowing its organization")
            .JsonBody<ReasonRequest>()
            .Produces<TokenDetailsResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_token_id", "invalid_reason")
            .Problem(StatusCodes.Status404NotFound, "token_not_found")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
        admin.MapPost("/orgs/{orgId}/members/{userId}/revoke-tokens", RevokeMemberTokens)
            .AdminRoute("RevokeMemberTokens", "Revoke every token of a member")
            .JsonBody<ReasonRequest>()
            .Produces<RevocationResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_user_id", "invalid_reason")
            .Problem(StatusCodes.Status404NotFound, "member_not_found")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
        admin.MapPost("/orgs/{orgId}/revoke", RevokeOrganization)
            .AdminRoute("RevokeOrganization", "Revoke every token of an organization")
            .JsonBody<ReasonRequest>()
            .Produces<RevocationResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_reason")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
    }

    private static async Task<IResult> GetToken(string tokenId, IGrainFactory grains)
    {
        if (RouteIds.CheckToken(tokenId, out var id) is { } badId)
        {
            return badId;
        }

        return await grains.GetGrain<ITokenGrain>(id).Describe() is { } details
            ? TypedResults.Ok(TokenDetailsResponse.From(details, await LastUseAsync(grains, details)))
            : TokenNotFound(id);
    }

    private static async Task<IResult> RevokeToken(string tokenId, HttpRequest request, IGrainFactory grains, TokenMetrics metrics, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckToken(tokenId, out var id) is { } badId)
        {
            return badId;
        }

        var (reason, problem) = await ReadReasonAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (await grains.RevokeTokenAsync(id, reason!) is not { } details)
        {
            return TokenNotFound(id);
        }

        metrics.Revoked("token");
        return TypedResults.Ok(TokenDetailsResponse.From(details, await LastUseAsync(grains, details)));
    }

    private static async Task<IResult> RevokeMemberTokens(string orgId, string userId, HttpRequest request, IGrainFactory grains, TokenMetrics metrics, CancellationToken cancellationToken)
    {
        if ((RouteIds.CheckOrganization(orgId) ?? RouteIds.CheckUser(userId)) is { } badId)
        {
            return badId;
        }

        var (reason, problem) = await ReadReasonAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (await grains.GetGrain<IOrganizationGrain>(orgId).RevokeMemberTokens(userId, reason!) is not { } revoked)
        {
            return Problems.NotFound("member_not_found", $"User '{userId}' is not a member of organization '{orgId}'.");
        }

        metrics.Revoked("member");
        return TypedResults.Ok(new RevocationResponse(orgId, userId, revoked, reason!));
    }

    private static async Task<IResult> RevokeOrganization(string orgId, HttpRequest request, IGrainFactory grains, TokenMetrics metrics, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        var (reason, problem) = await ReadReasonAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var revoked = await grains.GetGrain<IOrganizationGrain>(orgId).RevokeAll(reason!);
        metrics.Revoked("organization");
        return TypedResults.Ok(new RevocationResponse(orgId, null, revoked, reason!));
    }

    private static async Task<(string? Reason, IResult? Problem)> ReadReasonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ReasonRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        var reason = body!.Reason?.Trim();
        return string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength
            ? (null, Problems.BadRequest("invalid_reason", $"reason is required: 1–{MaxReasonLength} characters saying why (it goes to the audit trail)."))
            : (reason, null);
    }

    /// <summary>The token's last use, from its usage shard (as the token list joins it); null when never used.</summary>
    internal static async Task<TokenLastUse?> LastUseAsync(IGrainFactory grains, TokenDetails details)
    {
        var uses = await grains.GetGrain<ITokenUsageShardGrain>(TokenUsageLayout.ShardKey(details.OrganizationId, details.IndexSequence)).Uses();
        foreach (var use in uses)
        {
            if (use.Sequence == details.IndexSequence && use.TokenId == details.TokenId && use.Use.At >= TokenUsageLayout.Minute(details.CreatedAt))
            {
                return use.Use;
            }
        }

        return null;
    }

    private static IResult TokenNotFound(Guid id) => Problems.NotFound("token_not_found", $"No token {id} was ever issued.");

    private sealed record ReasonRequest(string? Reason);

    private sealed record RevocationResponse(string OrgId, string? UserId, int Revoked, string Reason);
}

/// <summary>A token as operators see it: metadata and status, never a secret or hash.</summary>
internal sealed record TokenDetailsResponse(
    Guid TokenId, string OrgId, string UserId, string? Name, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    string Status, DateTimeOffset? RevokedAt, string? Reason, ImmutableArray<string>? Permissions, ImmutableArray<string>? RequestedPermissions,
    ImmutableArray<string>? AllowedCidrs, RateLimitBody? RateLimit, DateTimeOffset? LastUsedAt, string? LastUsedFrom)
{
    public static TokenDetailsResponse From(TokenDetails d, TokenLastUse? lastUse) => new(
        d.TokenId, d.OrganizationId, d.UserId, d.Name, d.CreatedAt, d.ExpiresAt,
        d.Status switch
        {
            TokenStatus.Active => "active",
            TokenStatus.Expired => "expired",
            TokenStatus.Revoked => "revoked",
            _ => "deleted",
        },
        d.Status is TokenStatus.Revoked or TokenStatus.Deleted ? d.EndedAt : null,
        d.Reason,
        d.Permissions,
        d.RequestedPermissions,
        d.AllowedCidrs,
        RateLimitBody.From(d.RateLimit),
        lastUse?.At,
        lastUse?.From);
}

/// <summary>A token's <c>rateLimit</c> as the admin API shows it.</summary>
internal sealed record RateLimitBody(double RequestsPerSecond, int Burst)
{
    public static RateLimitBody? From(TokenRateLimit? limit) => limit is null ? null : new(limit.RequestsPerSecond, limit.Burst);
}
