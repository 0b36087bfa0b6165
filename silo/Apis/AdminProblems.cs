using ZeroPath.ServiceDefaults;

namespace ZeroPath.Silo.Apis;

/// <summary>The problem <c>code</c> values the admin API answers with, and the problems its guard writes itself.</summary>
public static class AdminProblems
{
    public const string UnauthorizedCode = "unauthorized";
    public const string ForbiddenCode = "forbidden";
    public const string TooManyFailedAuthentications = "too_many_failed_authentications";
    public const string BodyTooLargeCode = "body_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string InvalidJson = "invalid_json";
    public const string BadRequestCode = "bad_request";
    public const string NotFoundCode = "not_found";
    public const string MethodNotAllowedCode = "method_not_allowed";

    /// <summary>
    /// Every code the admin API can answer with, for clients and tests. <c>forbidden</c> (403) is reserved: no admin
    /// key is scoped today, so a valid key may do everything and nothing answers 403.
    /// </summary>
    public static readonly IReadOnlySet<string> AllCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        UnauthorizedCode, ForbiddenCode, TooManyFailedAuthentications, BodyTooLargeCode, UnsupportedMediaType, InvalidJson,
        BadRequestCode, NotFoundCode, MethodNotAllowedCode,
        "invalid_org_id", "invalid_user_id", "invalid_token_id", "invalid_permissions", "invalid_name",
        "invalid_expires_in_days", "invalid_reason", "invalid_limit", "invalid_cursor", "invalid_actor",
        "invalid_allowed_cidrs", TokensApi.InvalidRateLimit, TokensApi.PermissionNotHeld, TokensApi.InvalidUnusedFor, TokensApi.LifetimeExceedsPolicy, TokensApi.PermissionForbidden,
        TokensApi.AllowedCidrsRequired, "invalid_max_token_lifetime_days", "invalid_forbidden_permissions", "invalid_require_allowed_cidrs",
        "invalid_grace_period_hours", "token_not_active", "token_already_rotated",
        "member_not_found", "token_not_found", "organization_too_large",
        "invalid_webhook_url", "invalid_webhook_events", "invalid_webhook_id", "webhook_not_found", "too_many_webhooks",
        "webhooks_not_configured", "hashing_busy", "cluster_unavailable", "storage_unavailable", "internal_error",
    };

    public static IResult Unauthorized() =>
        Problems.Result(StatusCodes.Status401Unauthorized, UnauthorizedCode, "Send the admin key as 'Authorization: Bearer <key>'.");

    public static IResult BodyTooLarge() =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, BodyTooLargeCode, $"Request bodies are limited to {AdminApiOptions.MaxRequestBodyBytes / 1024} KiB.");

    /// <summary>A problem for a status the routing answered without a body (no such route, no such method, a request it could not read).</summary>
    public static IResult ForBareStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => Problems.NotFound(NotFoundCode, "No admin route has this path; see /admin/v1/openapi.json."),
        StatusCodes.Status405MethodNotAllowed => Problems.Result(status, MethodNotAllowedCode, "This admin route does not take this method; see /admin/v1/openapi.json."),
        StatusCodes.Status413PayloadTooLarge => BodyTooLarge(),
        StatusCodes.Status415UnsupportedMediaType => Problems.Result(status, UnsupportedMediaType, "Send the body as 'Content-Type: application/json'."),
        >= 500 => Problems.Result(status, "internal_error", "An unexpected error occurred."),
        _ => Problems.Result(status, BadRequestCode, "The request could not be read."),
    };
}

/// <summary>A body over the limit found while reading (Kestrel's own limit) is a 413 <c>body_too_large</c>, not a generic 4xx.</summary>
internal sealed class AdminExceptionClassifier : IExceptionClassifier
{
    public ExceptionProblem? Classify(Exception exception) =>
        exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
            ? new ExceptionProblem(StatusCodes.Status413PayloadTooLarge, AdminProblems.BodyTooLargeCode, $"Request bodies are limited to {AdminApiOptions.MaxRequestBodyBytes / 1024} KiB.")
            : null;
}
