using System.Security.Cryptography;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;

namespace ZeroPath.Gateway.Signing;

/// <summary>
/// Adds <c>X-ZeroPath-Identity-Signature</c> beside the identity headers, under the current signing key
/// (<see cref="IdentitySigningOptions"/>); does nothing when no key is configured.
/// </summary>
public sealed class IdentitySigner : IDisposable
{
    private const string AuthCheckPrefix = "/auth/check";

    private readonly string keyId;
    private readonly byte[]? key;
    private readonly ThreadLocal<IncrementalHash>? hmacs;
    private readonly TimeProvider time;

    public IdentitySigner(IdentitySigningOptions options, TimeProvider time)
    {
        this.time = time;
        keyId = options.CurrentKeyId;
        key = options.Enabled ? options.CurrentKey() : null;
        // One keyed HMAC per thread: no key set-up per request.
        hmacs = key is null ? null : new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
    }

    public bool Enabled => key is not null;

    /// <summary>A proxied request: signs the method and path the upstream receives (the gateway forwards them unchanged).</summary>
    public void SignProxied(HttpRequest request, AuthenticatedToken identity)
    {
        if (key is not null)
        {
            request.Headers[TokenHeaders.IdentitySignature] = Sign(request.Method, request.Path.Value is { Length: > 0 } path ? path : "/", identity);
        }
    }

    /// <summary>
    /// An <c>/auth/check</c> answer: signs the original request's method and path, from <c>X-Forwarded-Method</c> and
    /// <c>X-Forwarded-Uri</c> (nginx as configured in deploy/forward-auth, Traefik), else from the check request itself
    /// (Envoy: same method, the original path after <c>/auth/check</c>).
    /// </summary>
    public void SignForwardAuth(HttpRequest request, IHeaderDictionary response, AuthenticatedToken identity)
    {
        if (key is not null)
        {
            SignForwardAuth(OriginalMethod(request), OriginalPath(request), response, identity);
        }
    }

    /// <summary>
    /// A forward-auth answer for a request known by its method and decoded path (<see cref="PathOfTarget"/>), as
    /// Envoy's gRPC <c>ext_authz</c> describes it.
    /// </summary>
    public void SignForwardAuth(string method, string path, IHeaderDictionary response, AuthenticatedToken identity)
    {
        if (key is not null)
        {
            response[TokenHeaders.IdentitySignature] = Sign(method, path, identity);
        }
    }

    public static string OriginalMethod(HttpRequest request) =>
        request.Headers[ForwardAuth.ForwardedMethod] is [{ Length: > 0 } method] ? method : request.Method;

    public static string OriginalPath(HttpRequest request)
    {
        if (request.Headers[ForwardAuth.ForwardedUri] is [{ Length: > 0 } uri])
        {
            return PathOfTarget(uri);
        }

        var path = request.Path.Value ?? "";
        var rest = path.StartsWith(AuthCheckPrefix, StringComparison.OrdinalIgnoreCase) ? path[AuthCheckPrefix.Length..] : path;
        return rest.Length > 0 ? rest : "/";
    }

    /// <summary>
    /// The path an upstream reads from a raw request target (<c>/a%20b?q=1</c> → <c>/a b</c>): query and fragment cut,
    /// percent-decoded as <see cref="DecodePath"/>; <c>/</c> when nothing is left.
    /// </summary>
    public static string PathOfTarget(string target)
    {
        var end = target.IndexOfAny(['?', '#']);
        var path = DecodePath(end < 0 ? target : target[..end]);
        return path.Length > 0 ? path : "/";
    }

    /// <summary>Percent-decodes a raw path as ASP.NET Core reads one: everything but an encoded slash (<c>%2F</c>).</summary>
    public static string DecodePath(string raw)
    {
        if (!raw.Contains('%', StringComparison.Ordinal))
        {
            return raw;
        }

        var segments = raw.Split(["%2F", "%2f"], StringSplitOptions.None);
        return string.Join("%2F", segments.Select(Uri.UnescapeDataString));
    }

    private string Sign(string method, string path, AuthenticatedToken identity) => IdentitySignature.Create(
        keyId,
        hmacs!.Value!,
        time.GetUtcNow().ToUnixTimeSeconds(),
        new IdentityFields(method, path, identity.OrganizationId, identity.UserId, identity.TokenId, identity.Permissions));

    public void Dispose() => hmacs?.Dispose();
}
