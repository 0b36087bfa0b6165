using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

/// <summary>The outcome of authenticating one request: an identity, or the reason there is none.</summary>
public readonly record struct AuthDecision(AuthFailure Failure, Guid TokenId, TokenValidation? Identity)
{
    public bool Succeeded => Failure == AuthFailure.None;

    public static AuthDecision Fail(AuthFailure failure, Guid tokenId = default) => new(failure, tokenId, null);
}
