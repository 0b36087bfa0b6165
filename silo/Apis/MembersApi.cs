using System.Collections.Immutable;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

internal static class MembersApi
{
    public static void MapMembersApi(this RouteGroupBuilder admin)
    {
        admin.MapPut("/orgs/{orgId}/members/{userId}", SetMember)
            .AdminRoute("SetMember", "Add a member or change their permissions; their tokens follow before the call returns")
            .JsonBody<SetMemberRequest>()
            .Produces<MemberResponse>()
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_user_id", "invalid_permissions")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
        admin.MapDelete("/orgs/{orgId}/members/{userId}", RemoveMember)
            .AdminRoute("RemoveMember", "Remove a member; their tokens have stopped validating when the call returns")
            .Produces(StatusCodes.Status204NoContent)
            .Problem(StatusCodes.Status400BadRequest, "invalid_org_id", "invalid_user_id")
            .Problem(StatusCodes.Status404NotFound, "member_not_found")
            .Problem(StatusCodes.Status409Conflict, "organization_too_large");
    }

    private static async Task<IResult> SetMember(string orgId, string userId, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if ((RouteIds.CheckOrganization(orgId) ?? RouteIds.CheckUser(userId)) is { } badId)
        {
            return badId;
        }

        var (body, problem) = await JsonBody.ReadAsync<SetMemberRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Permissions is not { } permissions || permissions.Length > TokenRules.MaxPermissions)
        {
            return Problems.BadRequest("invalid_permissions", $"permissions must be an array of at most {TokenRules.MaxPermissions} strings.");
        }

        foreach (var permission in permissions)
        {
            if (permission is null || !TokenRules.IsValidPermission(permission))
            {
                return Problems.BadRequest(
                    "invalid_permissions",
                    $"Each permission must be 1–{TokenRules.MaxPermissionLength} characters of letters, digits and ':', '.', '_', '-', '*'.");
            }
        }

        var member = await grains.GetGrain<IOrganizationGrain>(orgId).SetMember(userId, permissions);
        return TypedResults.Ok(new MemberResponse(member.OrganizationId, member.UserId, member.Permissions));
    }

    private static async Task<IResult> RemoveMember(string orgId, string userId, IGrainFactory grains)
    {
        if ((RouteIds.CheckOrganization(orgId) ?? RouteIds.CheckUser(userId)) is { } badId)
        {
            return badId;
        }

        return await grains.GetGrain<IOrganizationGrain>(orgId).RemoveMember(userId)
            ? TypedResults.NoContent()
            : Problems.NotFound("member_not_found", $"User '{userId}' is not a member of organization '{orgId}'.");
    }

    private sealed record SetMemberRequest(ImmutableArray<string>? Permissions);

    private sealed record MemberResponse(string OrgId, string UserId, ImmutableArray<string> Permissions);
}
