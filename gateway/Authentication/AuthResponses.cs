using ZeroPath.ServiceDefaults;

namespace ZeroPath.Gateway.Authentication;

/// <summary>How a decision is told: identity headers on success, problem+json with a stable code on failure.</summary>
public static class AuthResponses
{
    public static string Code(AuthFailure failure) => failure switch
    {
        AuthFailure.None => "ok",
        AuthFailure.MissingCredentials => "missing_credentials",
        AuthFailure.MalformedCredentials => "malformed_credentials",
        AuthFailure.InvalidToken => "invalid_token",
        AuthFailure.TokenExpired => "token_expired",
        AuthFailure.ValidationBusy => "validation_busy",
        AuthFailure.ClusterUnavailable => "cluster_unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    public static Task WriteFailureAsync(HttpContext context, AuthFailure failure)
    {
        var code = Code(failure);
        var (status, detail) = failure switch
        {
            AuthFailure.MissingCredentials => (401, $"Send both {TokenHeaders.TokenId} and {TokenHeaders.TokenSecret}."),
            AuthFailure.MalformedCredentials => (401, $"{TokenHeaders.TokenId} must be one UUID and {TokenHeaders.TokenSecret} one token secret."),
            AuthFailure.InvalidToken => (401, "The token is not valid."),
            AuthFailure.TokenExpired => (401, "The token has expired; create a new one."),
            AuthFailure.ValidationBusy => (503, "The token could not be checked right now; retry shortly."),
            _ => (503, "The token cluster is unavailable; retry shortly."),
        };

        context.Response.Headers.CacheControl = "no-store";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = $"ZeroPath-API-Token realm=\"zeropath\", error=\"{code}\"";
        }

        return Problems.Result(status, code, detail).ExecuteAsync(context);
    }

    /// <summary>Writes the identity the upstream may trust, after dropping the secret and anything the client sent in its place.</summary>
    public static void SetIdentity(IHeaderDictionary headers, in AuthDecision decision)
    {
        var identity = decision.Identity!;
        headers[TokenHeaders.IdentityOrgId] = identity.OrganizationId;
        headers[TokenHeaders.IdentityUserId] = identity.UserId;
        headers[TokenHeaders.IdentityTokenId] = decision.TokenId.ToString("D");
        headers[TokenHeaders.IdentityPermissions] = string.Join(',', identity.Permissions);
    }

    public static void RemoveUntrusted(IHeaderDictionary headers)
    {
        headers.Remove(TokenHeaders.TokenSecret);
        foreach (var name in TokenHeaders.Identity)
        {
            headers.Remove(name);
        }
    }
}
