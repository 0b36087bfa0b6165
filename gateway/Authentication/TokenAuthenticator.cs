using System.Diagnostics.Metrics;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// Authenticates a request by its two token headers: a shape check in process, then one call to the token's grain.
/// Never throws for anything a client can send.
/// </summary>
public sealed partial class TokenAuthenticator
{
    private readonly IGrainFactory grains;
    private readonly ILogger<TokenAuthenticator> logger;
    private readonly Counter<long> decisions;

    private readonly Events.TokenEventFeed feed;

    public TokenAuthenticator(IGrainFactory grains, Events.TokenEventFeed feed, ILogger<TokenAuthenticator> logger, IMeterFactory meters)
    {
        this.grains = grains;
        this.feed = feed;
        this.logger = logger;
        decisions = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
            "zeropath.gateway.authentications", "{request}", "Requests authenticated by the gateway, by result.");
    }

    public async ValueTask<AuthDecision> AuthenticateAsync(HttpRequest request)
    {
        var decision = await DecideAsync(request);
        decisions.Add(1, new KeyValuePair<string, object?>("zeropath.auth.result", AuthResponses.Code(decision.Failure)));
        return decision;
    }

    private async ValueTask<AuthDecision> DecideAsync(HttpRequest request)
    {
        var failure = TokenCredentials.TryParse(request.Headers, out var credentials);
        if (failure != AuthFailure.None)
        {
            return AuthDecision.Fail(failure);
        }

        if (feed.HasEnded(credentials.TokenId))
        {
            // Pushed to us when it was revoked or deleted: no need to ask its grain.
            return AuthDecision.Fail(AuthFailure.InvalidToken, credentials.TokenId);
        }

        TokenValidation validation;
        try
        {
            validation = await grains.GetGrain<ITokenGrain>(credentials.TokenId).Validate(credentials.Secret);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Unreachable, timed out or not yet connected: the caller can retry; it is never the client's fault.
            LogClusterCallFailed(logger, exception, credentials.TokenId);
            return AuthDecision.Fail(AuthFailure.ClusterUnavailable, credentials.TokenId);
        }

        return validation.Outcome switch
        {
            TokenValidationOutcome.Valid => new AuthDecision(AuthFailure.None, credentials.TokenId, validation),
            TokenValidationOutcome.Expired => AuthDecision.Fail(AuthFailure.TokenExpired, credentials.TokenId),
            TokenValidationOutcome.Busy => AuthDecision.Fail(AuthFailure.ValidationBusy, credentials.TokenId),
            _ => AuthDecision.Fail(AuthFailure.InvalidToken, credentials.TokenId),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Validating token {TokenId} failed in the cluster")]
    private static partial void LogClusterCallFailed(ILogger logger, Exception exception, Guid tokenId);
}
