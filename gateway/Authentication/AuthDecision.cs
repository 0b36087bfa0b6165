using ZeroPath.Gateway.Caching;

namespace ZeroPath.Gateway.Authentication;

/// <summary>The outcome of authenticating one request: an identity, or the reason there is none (and when to retry).</summary>
public readonly record struct AuthDecision(AuthFailure Failure, AuthenticatedToken? Identity, DateTimeOffset? RetryAt = null)
{
    public bool Succeeded => Failure == AuthFailure.None;

    public static AuthDecision Success(AuthenticatedToken identity) => new(AuthFailure.None, identity);

    public static AuthDecision Fail(AuthFailure failure) => new(failure, null);

    public static AuthDecision Locked(DateTimeOffset until) => new(AuthFailure.TooManyFailures, null, until);

    public static AuthDecision RateLimited(DateTimeOffset retryAt) => new(AuthFailure.RateLimited, null, retryAt);
}
