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
}
