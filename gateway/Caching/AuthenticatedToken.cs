using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Caching;

/// <summary>The identity a valid token gives a request, with its header values formatted once.</summary>
public sealed class AuthenticatedToken
{
    public AuthenticatedToken(Guid tokenId, string organizationId, string userId, IReadOnlyList<string> permissions, DateTimeOffset expiresAt)
    {
        TokenId = tokenId.ToString("D");
        OrganizationId = organizationId;
        UserId = userId;
        Permissions = string.Join(',', permissions);
        ExpiresAt = expiresAt;
    }

    public string TokenId { get; }
    public string OrganizationId { get; }
    public string UserId { get; }

    /// <summary>Comma-separated, as sent in <c>X-ZeroPath-Permissions</c>.</summary>
    public string Permissions { get; }

    public DateTimeOffset ExpiresAt { get; }

    public static AuthenticatedToken From(Guid tokenId, TokenValidation validation) => new(
        tokenId, validation.OrganizationId!, validation.UserId!, validation.Permissions, validation.ExpiresAt!.Value);
}
