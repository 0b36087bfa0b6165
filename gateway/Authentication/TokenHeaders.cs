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

    /// <summary>Headers only the gateway may set: whatever a client sends under these names is dropped.</summary>
    public static readonly string[] Identity = [IdentityOrgId, IdentityUserId, IdentityTokenId, IdentityPermissions];
}
