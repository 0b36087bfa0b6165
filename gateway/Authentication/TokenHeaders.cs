namespace ZeroPath.Gateway.Authentication;

/// <summary>The header names of the public contract.</summary>
public static class TokenHeaders
{
    public const string TokenId = "X-ZeroPath-API-Token-Id";
    public const string TokenSecret = "X-ZeroPath-API-Token-Secret";

    public const string IdentityOrgId = "X-ZeroPath-Org-Id";
    public const string IdentityUserId = "X-ZeroPath-User-Id";
    public const string IdentityTokenId = "X-ZeroPath-Token-Id";
    public const string IdentityPermissions = "X-ZeroPath-Permissions";

    /// <summary>The gateway's HMAC over the identity, the time and the request line (set only when signing keys are configured).</summary>
    public const string IdentitySignature = "X-ZeroPath-Identity-Signature";

    /// <summary>The identity headers the gateway sets, as upstreams should read them.</summary>
    public static readonly string[] Identity = [IdentityOrgId, IdentityUserId, IdentityTokenId, IdentityPermissions];

    /// <summary>
    /// Every header name under this prefix belongs to the gateway: compared case-insensitively with <c>_</c> read as
    /// <c>-</c> (CGI, WSGI and many frameworks map both to the same variable), whatever a client sends under such a name
    /// is removed before a request is proxied.
    /// </summary>
    public const string ReservedPrefix = "x-zeropath-";

    /// <summary>True when <paramref name="name"/> is under <see cref="ReservedPrefix"/> (case-insensitive, <c>_</c> as <c>-</c>).</summary>
    public static bool IsReserved(ReadOnlySpan<char> name)
    {
        if (name.Length < ReservedPrefix.Length)
        {
            return false;
        }

        for (var i = 0; i < ReservedPrefix.Length; i++)
        {
            var c = name[i];
            if (c == '_')
            {
                c = '-';
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                c = (char)(c | 0x20);
            }

            if (c != ReservedPrefix[i])
            {
                return false;
            }
        }

        return true;
    }
}
