using ZeroPath.ServiceDefaults;

namespace ZeroPath.Gateway.Authentication;

/// <summary>Where a decision is told: proxied routes, or <c>/auth/check</c> for a forward-auth proxy.</summary>
public enum AuthRoute
{
    Proxy = 0,

    /// <summary>nginx <c>auth_request</c>, Envoy <c>ext_authz</c>, Traefik <c>ForwardAuth</c>: anything but 2xx, 401 and 403 is a server error to them.</summary>
    ForwardAuth = 1,

    /// <summary>
    /// Envoy <c>ext_authz</c> over gRPC (<see cref="ExtAuthzGrpcService"/>): Envoy sends the client whatever status the
    /// answer names, so a locked token is 429 here as on proxied routes.
    /// </summary>
    ExtAuthzGrpc = 2,
}

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
        AuthFailure.TooManyFailures => "too_many_failures",
        AuthFailure.ValidationBusy => "validation_busy",
        AuthFailure.ClusterUnavailable => "cluster_unavailable",
        AuthFailure.AddressNotAllowed => "address_not_allowed",
        AuthFailure.RateLimited => "rate_limited",
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    public static Task WriteFailureAsync(HttpContext context, in AuthDecision decision, AuthRoute route, TimeProvider time)
    {
        var failure = decision.Failure;
        var code = Code(failure);
        var (status, detail) = failure switch
        {
            AuthFailure.MissingCredentials => (401, $"Send both {TokenHeaders.TokenId} and {TokenHeaders.TokenSecret}."),
            AuthFailure.MalformedCredentials => (401, $"{TokenHeaders.TokenId} must be one UUID and {TokenHeaders.TokenSecret} one token secret."),
            AuthFailure.InvalidToken => (401, "The token is not valid."),
            AuthFailure.TokenExpired => (401, "The token has expired; create a new one."),
            // A forward-auth proxy turns a 429 into a 500, so it is told 401 with the same code.
            AuthFailure.TooManyFailures => (route == AuthRoute.ForwardAuth ? 401 : 429, "Too many wrong secrets for this token; retry after the time given."),
            AuthFailure.ValidationBusy => (503, "The token could not be checked right now; retry shortly."),
            AuthFailure.ClusterUnavailable => (503, "The token cluster is unavailable; retry shortly."),
            // 403 on every route: forward-auth proxies pass a 403 on to the client as they do a 401.
            AuthFailure.AddressNotAllowed => (403, "This token is not accepted from this client address."),
            // As too_many_failures: 401 with the same code and Retry-After where a 429 would become a 500.
            AuthFailure.RateLimited => (route == AuthRoute.ForwardAuth ? 401 : 429, "This token is over its rate limit; retry after the time given."),
            _ => throw new ArgumentOutOfRangeException(nameof(decision), failure, null),
        };

        context.Response.Headers.CacheControl = "no-store";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = $"ZeroPath-API-Token realm=\"zeropath\", error=\"{code}\"";
        }

        TimeSpan? retryAfter = decision.RetryAt is { } at ? at - time.GetUtcNow() : null;
        return Problems.Result(status, code, detail, retryAfter).ExecuteAsync(context);
    }

    /// <summary>Writes the identity the upstream may trust, after dropping the secret and anything the client sent in its place.</summary>
    public static void SetIdentity(IHeaderDictionary headers, in AuthDecision decision)
    {
        var identity = decision.Identity!;
        headers[TokenHeaders.IdentityOrgId] = identity.OrganizationId;
        headers[TokenHeaders.IdentityUserId] = identity.UserId;
        headers[TokenHeaders.IdentityTokenId] = identity.TokenId;
        headers[TokenHeaders.IdentityPermissions] = identity.Permissions;
    }

    /// <summary>
    /// Removes every header a client sent under the gateway's names (<see cref="TokenHeaders.IsReserved"/>): the two
    /// credentials, forged identity headers and any spelling of them (<c>X-ZeroPath-Org_Id</c>, <c>x_zeropath_user_id</c>).
    /// The upstream learns the token id from <see cref="TokenHeaders.IdentityTokenId"/>.
    /// </summary>
    public static void RemoveReserved(IHeaderDictionary headers)
    {
        // The two that are always there, without a scan; then whatever else the client sent (usually nothing).
        headers.Remove(TokenHeaders.TokenSecret);
        headers.Remove(TokenHeaders.TokenId);
        List<string>? reserved = null;
        foreach (var header in headers)
        {
            if (TokenHeaders.IsReserved(header.Key))
            {
                (reserved ??= []).Add(header.Key);
            }
        }

        if (reserved is not null)
        {
            foreach (var name in reserved)
            {
                headers.Remove(name);
            }
        }
    }
}
