using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Silo.Apis;

/// <summary>Checks ids taken from the route before any grain is touched.</summary>
internal static class RouteIds
{
    public static IResult? CheckOrganization(string orgId) =>
        TokenRules.IsValidId(orgId) ? null : Problems.BadRequest("invalid_org_id", IdRule("orgId"));

    public static IResult? CheckUser(string userId) =>
        TokenRules.IsValidId(userId) ? null : Problems.BadRequest("invalid_user_id", IdRule("userId"));

    public static IResult? CheckToken(string tokenId, out Guid id) =>
        TokenIdFormat.TryParse(tokenId, out id)
            ? null
            : Problems.BadRequest("invalid_token_id", "tokenId must be a UUID such as 3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0e4f3d.");

    private static string IdRule(string name) =>
        $"{name} must be 1–{TokenRules.MaxIdLength} characters of letters, digits, '-' and '_'.";
}
