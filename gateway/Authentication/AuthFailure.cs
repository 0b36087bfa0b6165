namespace ZeroPath.Gateway.Authentication;

public enum AuthFailure
{
    None = 0,
    MissingCredentials,
    MalformedCredentials,
    InvalidToken,
    TokenExpired,
    TooManyFailures,
    ValidationBusy,
    ClusterUnavailable,

    /// <summary>A valid token, from a client address outside its <c>allowedCidrs</c>.</summary>
    AddressNotAllowed,

    /// <summary>A valid token over its <c>rateLimit</c> (this gateway's share of it).</summary>
    RateLimited,
}
