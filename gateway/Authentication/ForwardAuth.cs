using System.Text;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// What <c>/auth/check</c> tells a forward-auth proxy besides the decision. The gateway cannot strip the original
/// request there, so it names what the proxy must remove: Envoy's <c>ext_authz</c> HTTP service removes the headers
/// listed in <see cref="HeadersToRemoveHeader"/> before forwarding (after it set the identity headers it was told to
/// copy, so names the gateway sets in this answer are not listed: removing them would remove the identity).
/// </summary>
public static class ForwardAuth
{
    /// <summary>Envoy <c>ext_authz</c> (HTTP service): a comma-separated list of request header names to remove.</summary>
    public const string HeadersToRemoveHeader = "x-envoy-auth-headers-to-remove";

    /// <summary>Set by nginx (as configured in deploy/forward-auth) and Traefik: the method of the request being authorized.</summary>
    public const string ForwardedMethod = "X-Forwarded-Method";

    /// <summary>Set by nginx (as configured in deploy/forward-auth) and Traefik: the request target being authorized.</summary>
    public const string ForwardedUri = "X-Forwarded-Uri";

    /// <summary>
    /// The secret header always, then every other header under the gateway's names the client sent (lower case, once
    /// each), except those in <paramref name="setByGateway"/>.
    /// </summary>
    public static string HeadersToRemove(IHeaderDictionary request, IReadOnlyCollection<string> setByGateway)
    {
        var list = new StringBuilder(TokenHeaders.TokenSecret.Length + 32);
        foreach (var name in HeaderNamesToRemove(request, setByGateway))
        {
            (list.Length > 0 ? list.Append(", ") : list).Append(name);
        }

        return list.ToString();
    }

    /// <summary>
    /// <see cref="HeadersToRemove"/> as names (lower case, once each): Envoy's gRPC <c>ext_authz</c> takes them as a
    /// list (<c>OkHttpResponse.headers_to_remove</c>).
    /// </summary>
    public static IEnumerable<string> HeaderNamesToRemove(IHeaderDictionary request, IReadOnlyCollection<string> setByGateway)
    {
        yield return TokenHeaders.TokenSecret.ToLowerInvariant();
        foreach (var header in request)
        {
            var name = header.Key;
            if (TokenHeaders.IsReserved(name) &&
                !name.Equals(TokenHeaders.TokenSecret, StringComparison.OrdinalIgnoreCase) &&
                !setByGateway.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                yield return name.ToLowerInvariant();
            }
        }
    }
}
