using System.Collections.Immutable;
using System.Text.Json;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

/// <summary>An organization's token policy: <c>GET</c> and <c>PUT /admin/v1/orgs/{orgId}/policy</c>.</summary>
internal static class PolicyApi
{
    public static void MapPolicyApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/orgs/{orgId}/policy", GetPolicy)
            .AdminRoute("GetPolicy", "An organization's token policy (the defaults until one is set)")
            .Produces<PolicyResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id");
        admin.MapPut("/orgs/{orgId}/policy", SetPolicy)
            .AdminRoute("SetPolicy", "Set an organization's token policy (the whole of it: omitted fields take their defaults); recorded in the audit trail")
            .JsonBody<PolicyRequest>()
            .Produces<PolicyResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_max_token_lifetime_days", "invalid_forbidden_permissions", "invalid_require_allowed_cidrs");
    }

    private static async Task<IResult> GetPolicy(string orgId, IGrainFactory grains)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        return TypedResults.Ok(PolicyResponse.From(orgId, await grains.GetGrain<IOrganizationGrain>(orgId).GetPolicy()));
    }

    private static async Task<IResult> SetPolicy(string orgId, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (RouteIds.CheckOrganization(orgId) is { } badId)
        {
            return badId;
        }

        var (body, problem) = await JsonBody.ReadAsync<PolicyRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!TokensApi.TryReadDays(body!.MaxTokenLifetimeDays, TokenRules.MaxExpiresInDays, out var maxDays))
        {
            return Problems.BadRequest(
                "invalid_max_token_lifetime_days",
                $"maxTokenLifetimeDays must be a whole number from {TokenRules.MinExpiresInDays} to {TokenRules.MaxExpiresInDays}.");
        }

        var forbidden = body.ForbiddenPermissions ?? [];
        if (forbidden.Length > OrganizationPolicy.MaxForbiddenPermissions || forbidden.Any(p => p is null || !TokenRules.IsValidPermission(p)))
        {
            return Problems.BadRequest(
                "invalid_forbidden_permissions",
                $"forbiddenPermissions must be an array of at most {OrganizationPolicy.MaxForbiddenPermissions} permissions, each 1–{TokenRules.MaxPermissionLength} characters of letters, digits and ':', '.', '_', '-', '*'.");
        }

        if (body.RequireAllowedCidrs is { } require && require.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return Problems.BadRequest("invalid_require_allowed_cidrs", "requireAllowedCidrs must be true or false.");
        }

        var policy = new OrganizationPolicy(maxDays, TokenRules.NormalizePermissions(forbidden!), body.RequireAllowedCidrs?.ValueKind == JsonValueKind.True);
        return TypedResults.Ok(PolicyResponse.From(orgId, await grains.GetGrain<IOrganizationGrain>(orgId).SetPolicy(policy)));
    }

    /// <summary>Omitted or null: the default (365 days, nothing forbidden, address ranges not required).</summary>
    private sealed record PolicyRequest(JsonElement? MaxTokenLifetimeDays, string?[]? ForbiddenPermissions, JsonElement? RequireAllowedCidrs);

    private sealed record PolicyResponse(string OrgId, int MaxTokenLifetimeDays, ImmutableArray<string> ForbiddenPermissions, bool RequireAllowedCidrs)
    {
        public static PolicyResponse From(string orgId, OrganizationPolicy policy) =>
            new(orgId, policy.MaxTokenLifetimeDays, policy.ForbiddenPermissions, policy.RequireAllowedCidrs);
    }
}
