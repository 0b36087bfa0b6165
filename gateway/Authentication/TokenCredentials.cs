using Microsoft.Extensions.Primitives;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// The two credential headers, checked for shape before anything leaves the process; <see cref="Shape"/> is the secret's
/// (checksum included), judged once here for the rest of the request.
/// </summary>
public readonly record struct TokenCredentials(Guid TokenId, string Secret, SecretShape Shape)
{
    public static AuthFailure TryParse(IHeaderDictionary headers, out TokenCredentials credentials)
    {
        credentials = default;
        var idFailure = Single(headers, TokenHeaders.TokenId, out var id);
        var secretFailure = Single(headers, TokenHeaders.TokenSecret, out var secret);

        // Missing wins over malformed: "send both headers" is the more useful answer.
        if (idFailure == AuthFailure.MissingCredentials || secretFailure == AuthFailure.MissingCredentials)
        {
            return AuthFailure.MissingCredentials;
        }

        if (idFailure != AuthFailure.None || secretFailure != AuthFailure.None)
        {
            return AuthFailure.MalformedCredentials;
        }

        var shape = TokenSecretFormat.Classify(secret);
        if (!TokenIdFormat.TryParse(id, out var tokenId) || shape == SecretShape.Malformed)
        {
            return AuthFailure.MalformedCredentials;
        }

        credentials = new TokenCredentials(tokenId, secret, shape);
        return AuthFailure.None;
    }

    private static AuthFailure Single(IHeaderDictionary headers, string name, out string value)
    {
        value = "";
        if (!headers.TryGetValue(name, out StringValues values) || values.Count == 0)
        {
            return AuthFailure.MissingCredentials;
        }

        if (values.Count > 1)
        {
            return AuthFailure.MalformedCredentials;
        }

        value = values[0] ?? "";
        return string.IsNullOrWhiteSpace(value) ? AuthFailure.MissingCredentials : AuthFailure.None;
    }

    // Never print the secret, whatever logs or debugger displays the struct.
    public override string ToString() => $"TokenCredentials {{ TokenId = {TokenId} }}";
}
