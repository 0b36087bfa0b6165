using System.Diagnostics.Metrics;
using System.Net;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Usage;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Authentication;

/// <summary>
/// Authenticates a request by its two token headers, deciding locally wherever it can: the secret's shape and checksum,
/// validations already made (the cache), ids known to be gone or locked, and the secret's tag under the format keys.
/// Only what is left is one grain call. Never throws for anything a client can send.
/// </summary>
public sealed partial class TokenAuthenticator
{
    private readonly IGrainFactory grains;
    private readonly SecretFormatKeyRing formatKeys;
    private readonly ValidationCache cache;
    private readonly RefusalCache refusals;
    private readonly LegacyLookupBudget legacyLookups;
    private readonly TokenRateLimiter rateLimits;
    private readonly TimeProvider time;
    private readonly ILogger<TokenAuthenticator> logger;
    private readonly Counter<long> decisions;
    private readonly TokenUseRecorder? uses;

    public TokenAuthenticator(
        IGrainFactory grains,
        SecretFormatKeyRing formatKeys,
        ValidationCache cache,
        RefusalCache refusals,
        LegacyLookupBudget legacyLookups,
        TimeProvider time,
        ILogger<TokenAuthenticator> logger,
        IMeterFactory meters,
        TokenRateLimiter rateLimits,
        TokenUseRecorder? uses = null)
    {
        this.rateLimits = rateLimits;
        this.uses = uses;
        this.grains = grains;
        this.formatKeys = formatKeys;
        this.cache = cache;
        this.refusals = refusals;
        this.legacyLookups = legacyLookups;
        this.time = time;
        this.logger = logger;
        decisions = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
            "zeropath.gateway.authentications", "{request}", "Requests authenticated by the gateway, by result and by where it was decided.");
    }

    /// <summary>
    /// Decides a request by its headers and its client address (the connection's, or from <c>X-Forwarded-For</c> when it
    /// came through a trusted proxy: see <see cref="ClientAddresses"/>).
    /// </summary>
    public ValueTask<AuthDecision> AuthenticateAsync(HttpRequest request) =>
        AuthenticateAsync(request.Headers, request.HttpContext.Connection, null, request.HttpContext.RequestAborted);

    /// <summary>
    /// The same decision from the request's headers and client address alone (Envoy's gRPC <c>ext_authz</c> sends them
    /// in a message); <paramref name="requestAborted"/> drops a verify still waiting for Argon2 when the caller goes away.
    /// A valid token limited to address ranges is refused (<see cref="AuthFailure.AddressNotAllowed"/>) from outside
    /// them, whether the validation came from the cache or the cluster; a token without ranges costs one null check.
    /// </summary>
    public ValueTask<AuthDecision> AuthenticateAsync(IHeaderDictionary headers, IPAddress? client, CancellationToken requestAborted) =>
        AuthenticateAsync(headers, null, client, requestAborted);

    /// <summary>The client address is read from <paramref name="connection"/> (else <paramref name="client"/>) only for a token with ranges.</summary>
    private async ValueTask<AuthDecision> AuthenticateAsync(
        IHeaderDictionary headers, ConnectionInfo? connection, IPAddress? client, CancellationToken requestAborted)
    {
        var (decision, decidedBy) = await DecideAsync(headers, requestAborted);
        if (decision.Identity is { } identity)
        {
            // A token without ranges, limit or use recording costs these null checks; only a request that would be admitted
            // takes from the token's rate limit, and only one admitted is a use.
            if (identity.AllowedNetworks is { } allowed && !ClientAddresses.IsAllowed(allowed, connection is null ? client : connection.RemoteIpAddress))
            {
                decision = AuthDecision.Fail(AuthFailure.AddressNotAllowed);
            }
            else if (identity.RateLimit is { } limit && !rateLimits.TryAcquire(identity.TokenId, limit, out var retryAfter))
            {
                decision = AuthDecision.RateLimited(time.GetUtcNow() + retryAfter);
            }
            else if (uses is { Enabled: true })
            {
                uses.Record(identity, connection is null ? client : connection.RemoteIpAddress);
            }
        }

        decisions.Add(
            1,
            new KeyValuePair<string, object?>("zeropath.auth.result", AuthResponses.Code(decision.Failure)),
            new KeyValuePair<string, object?>("zeropath.auth.decided_by", decidedBy));
        return decision;
    }

    private async ValueTask<(AuthDecision Decision, string DecidedBy)> DecideAsync(IHeaderDictionary headers, CancellationToken requestAborted)
    {
        var failure = TokenCredentials.TryParse(headers, out var credentials);
        if (failure != AuthFailure.None)
        {
            return (AuthDecision.Fail(failure), "headers");
        }

        var tokenId = credentials.TokenId;
        // The cache first: the hot path. An entry never outlives a pushed end (the push removes it), so a hit needs no
        // look at the refusals.
        if (cache.Enabled)
        {
            switch (cache.Lookup(tokenId, credentials.Secret, out var cached))
            {
                case CacheLookup.Hit:
                    return (AuthDecision.Success(cached!), "cache");
                case CacheLookup.Expired:
                    return (AuthDecision.Fail(AuthFailure.TokenExpired), "cache");
                case CacheLookup.Miss:
                    break;
                default:
                    throw new InvalidOperationException("Unknown cache lookup result.");
            }
        }

        if (refusals.IsGone(tokenId))
        {
            // Pushed to us as ended, or the cluster said no such token: no need to ask its grain.
            return (AuthDecision.Fail(AuthFailure.InvalidToken), "refusals");
        }

        // Not a validation made before (the cache compares digests, which subsumes this): the tag proves the cluster
        // issued this secret for this id, or the request dies here without a cluster call or Argon2.
        var verdict = formatKeys.Check(tokenId, credentials.Secret, credentials.Shape);
        switch (verdict)
        {
            case SecretFormatVerdict.Valid:
            case SecretFormatVerdict.Legacy:
                break;
            case SecretFormatVerdict.Malformed:
                return (AuthDecision.Fail(AuthFailure.MalformedCredentials), "format");
            case SecretFormatVerdict.UnknownKey:
            case SecretFormatVerdict.BadTag:
            case SecretFormatVerdict.LegacyRefused:
                return (AuthDecision.Fail(AuthFailure.InvalidToken), "format");
            default:
                throw new InvalidOperationException("Unknown secret format verdict.");
        }

        if (refusals.LockedUntil(tokenId) is { } lockedUntil)
        {
            return (AuthDecision.Locked(lockedUntil), "refusals");
        }

        // An old-format secret carries no tag, so any id with any 43 characters gets this far. For a token cached with a
        // zp_ secret it cannot be right; other lookups share a budget, so a flood of them cannot turn into a flood of
        // activations and storage reads.
        if (verdict == SecretFormatVerdict.Legacy)
        {
            if (cache.Enabled && cache.HasTaggedSecret(tokenId))
            {
                return (AuthDecision.Fail(AuthFailure.InvalidToken), "cache");
            }

            if (refusals.RefusesLegacySecrets(tokenId))
            {
                // The cluster said so before: answered as fast as an unknown id, and no grain call per guess.
                return (AuthDecision.Fail(AuthFailure.InvalidToken), "refusals");
            }

            if (!legacyLookups.TryAcquire())
            {
                return (AuthDecision.Fail(AuthFailure.ValidationBusy), "legacy_budget");
            }
        }

        return (await AskClusterAsync(tokenId, credentials.Secret, requestAborted), "cluster");
    }

    /// <summary>A miss: exactly one grain call, and what it says is remembered where that saves the next one.</summary>
    private async Task<AuthDecision> AskClusterAsync(Guid tokenId, string secret, CancellationToken requestAborted)
    {
        var before = cache.Begin();
        TokenValidation validation;
        try
        {
            // Passed on to the grain: a verify still waiting for Argon2 is dropped when the client goes away.
            validation = await grains.GetGrain<ITokenGrain>(tokenId).Validate(secret, requestAborted);
        }
        catch (OperationCanceledException) when (requestAborted.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            // Unreachable, timed out or not yet connected: the caller can retry; it is never the client's fault.
            LogClusterCallFailed(logger, exception, tokenId);
            return AuthDecision.Fail(AuthFailure.ClusterUnavailable);
        }

        switch (validation.Outcome)
        {
            case TokenValidationOutcome.Valid:
                var identity = AuthenticatedToken.From(tokenId, validation);
                if (cache.Enabled)
                {
                    cache.Store(tokenId, secret, identity, before);
                }

                return AuthDecision.Success(identity);
            case TokenValidationOutcome.Unknown:
                refusals.RememberUnknown(tokenId);
                return AuthDecision.Fail(AuthFailure.InvalidToken);
            case TokenValidationOutcome.Locked:
                var until = validation.LockedUntil ?? time.GetUtcNow().AddSeconds(1);
                refusals.RememberLocked(tokenId, until);
                return AuthDecision.Locked(until);
            case TokenValidationOutcome.Expired:
                return AuthDecision.Fail(AuthFailure.TokenExpired);
            case TokenValidationOutcome.Busy:
                return AuthDecision.Fail(AuthFailure.ValidationBusy);
            case TokenValidationOutcome.Invalid:
                if (validation.TaggedSecretOnly)
                {
                    refusals.RememberTaggedSecretOnly(tokenId);
                }

                return AuthDecision.Fail(AuthFailure.InvalidToken);
            default:
                LogUnexpectedOutcome(logger, tokenId, validation.Outcome);
                return AuthDecision.Fail(AuthFailure.InvalidToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Validating token {TokenId} failed in the cluster")]
    private static partial void LogClusterCallFailed(ILogger logger, Exception exception, Guid tokenId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The cluster answered token {TokenId} with an outcome this gateway does not know ({Outcome}); refused")]
    private static partial void LogUnexpectedOutcome(ILogger logger, Guid tokenId, TokenValidationOutcome outcome);
}
