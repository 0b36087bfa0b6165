using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using ZeroPath.Gateway.Authentication;
using ZeroPath.Gateway.Caching;
using ZeroPath.Gateway.Proxy;
using ZeroPath.ServiceDefaults;
using ZeroPath.Tokens;

namespace ZeroPath.Gateway.Events;

/// <summary>
/// This gateway's subscription to the cluster's token events. Ended tokens are refused locally and dropped from the
/// validation cache; tokens whose permissions changed are dropped from it (the next request gets the new permissions
/// from the grain). Every <see cref="EdgeCacheOptions.ConfirmEvery"/> the subscription is renewed, and the hub's answer (the position of its last event) proves no event was missed; a gap or a new hub stream
/// makes every cached validation go back to the cluster. Anything not told here is still answered by the token's grain.
/// </summary>
public sealed partial class TokenEventFeed(
    IClusterClient cluster,
    ValidationCache cache,
    RefusalCache refusals,
    InFlightRequests inFlight,
    EdgeCacheOptions options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<TokenEventFeed> logger,
    TokenRateLimiter rateLimits) : BackgroundService, ITokenEventObserver
{
    private readonly Counter<long> received = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
        "zeropath.gateway.token_events", "{event}", "Token events pushed to this gateway, by zeropath.token_event.kind: ended, permissions.");

    private readonly Counter<long> distrusted = meters.Create(ZeroPathTelemetry.MeterName).CreateCounter<long>(
        "zeropath.gateway.cache.distrusts", "{event}", "Times this gateway distrusted its whole cache, by zeropath.cache.distrust_reason: gap (events missed) or new_stream (the hub moved).");

    /// <summary>How long events the hub reports as published may take to arrive before they count as lost.</summary>
    public static readonly TimeSpan ArrivalGrace = TimeSpan.FromMilliseconds(250);

    private readonly TaskCompletionSource subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TokenEventSequence events = new();
    private ITokenEventObserver? reference;

    /// <summary>Raised for every ended token as it arrives (used to measure propagation).</summary>
    public event Action<Guid>? TokenEnded;

    /// <summary>Completes once the first subscription succeeded.</summary>
    public Task Subscribed => subscribed.Task;

    public bool HasEnded(Guid tokenId) => refusals.IsGone(tokenId);

    public Task TokensEnded(TokenEventPosition position, ImmutableArray<Guid> tokenIds)
    {
        // Refused first: a request authenticated just before this and tracked just after sees it and stops.
        refusals.RememberEnded(tokenIds);
        cache.Forget(tokenIds);
        inFlight.AbortEnded(tokenIds);
        events.Received(position);
        received.Add(1, new KeyValuePair<string, object?>("zeropath.token_event.kind", "ended"));
        foreach (var id in tokenIds)
        {
            TokenEnded?.Invoke(id);
        }

        return Task.CompletedTask;
    }

    public Task PermissionsChanged(TokenEventPosition position, ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions)
    {
        // Dropped, not rewritten: the grains already hold the new permissions, and a late event cannot undo a newer one.
        cache.Forget(tokenIds);
        inFlight.AbortChangedPermissions(tokenIds, permissions);
        events.Received(position);
        received.Add(1, new KeyValuePair<string, object?>("zeropath.token_event.kind", "permissions"));
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = options.ConfirmEvery;
            try
            {
                await ConfirmAsync(stoppingToken);
                subscribed.TrySetResult();
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Unconfirmed: cached validations age out after MaxStaleness and go back to the cluster.
                LogSubscribeFailed(logger, exception);
            }

            try
            {
                await Task.Delay(next, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Renews the subscription and checks the hub's last position against what arrived.</summary>
    private async Task ConfirmAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // Created once the client is connected, and kept for the process lifetime (observers are held weakly).
        reference ??= cluster.CreateObjectReference<ITokenEventObserver>(this);
        var hub = await cluster.GetGrain<ITokenEventHubGrain>(0).Subscribe(reference)
            .WaitAsync(options.MaxStaleness, time, cancellationToken);
        // Each gateway enforces its share of a token's rate limit; a hub too old to count says 0 (taken as 1).
        rateLimits.Gateways = hub.Gateways;

        var check = events.Check(hub);
        if (check == StreamCheck.Behind)
        {
            // Events may still be on their way: a reply can overtake the events it counted.
            await Task.Delay(ArrivalGrace, time, cancellationToken);
            check = events.Check(hub);
            if (check == StreamCheck.Behind)
            {
                LogGap(logger);
            }
        }
        else if (check == StreamCheck.NewStream)
        {
            // A new hub activation (first subscription, or the hub's silo died): what it published before this
            // subscription reached it was not sent here.
            LogNewStream(logger, hub.Sequence);
        }

        if (check != StreamCheck.InSync)
        {
            distrusted.Add(1, new KeyValuePair<string, object?>("zeropath.cache.distrust_reason", check == StreamCheck.NewStream ? "new_stream" : "gap"));
            cache.DistrustUntilNow();
            // Requests in flight were authorized by what the missed events may have ended.
            inFlight.RecheckSoon();
            events.Resync(hub);
        }

        // Every event published before this attempt started has been applied, or the cache trusts nothing validated
        // before now.
        cache.Confirm(started);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to token events failed; retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token events were missed; cached validations go back to the cluster")]
    private static partial void LogGap(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Following a new token event stream (at event {Sequence}); cached validations go back to the cluster")]
    private static partial void LogNewStream(ILogger logger, long sequence);
}
