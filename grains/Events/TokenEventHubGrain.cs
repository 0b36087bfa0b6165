using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Events;

/// <summary>
/// Reentrant: numbering an event and taking the list of gateways happen in one turn, so events are numbered in the
/// order they are sent; while one publication waits for acknowledgements, subscriptions and other publications go on.
/// </summary>
[Reentrant]
public sealed partial class TokenEventHubGrain(TokenMetrics metrics, ILogger<TokenEventHubGrain> logger) : Grain, ITokenEventHubGrain
{
    /// <summary>A gateway that has not re-subscribed for this long is dropped; gateways re-subscribe every second.</summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How long a publication waits for a gateway's acknowledgement. One that does not answer in time is dropped: it
    /// re-subscribes within a second, sees from the event numbers that it missed some, and stops trusting its cache.
    /// </summary>
    public static readonly TimeSpan AcknowledgeWithin = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A gateway counts as live (for <see cref="TokenEventPosition.Gateways"/>, which splits token rate limits) while it
    /// renewed within this long: 10 renewals at the default second, so a slow renewal does not drop it, and a gateway
    /// gone without unsubscribing stops counting after at most this long.
    /// </summary>
    public static readonly TimeSpan LiveWithin = TimeSpan.FromSeconds(10);

    /// <summary>Real time, not the domain clock: subscriptions and acknowledgements are about the network, not tokens.</summary>
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>Subscribed gateways and when they last renewed.</summary>
    private readonly Dictionary<ITokenEventObserver, DateTimeOffset> subscribers = [];

    /// <summary>This activation's stream: events are numbered within it, and a new activation starts a new one.</summary>
    private readonly Guid stream = Guid.NewGuid();
    private long published;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The hub holds only subscriptions: keep it in memory while gateways depend on it.
        DelayDeactivation(TimeSpan.FromDays(365));
        return Task.CompletedTask;
    }

    public Task<TokenEventPosition> Subscribe(ITokenEventObserver observer)
    {
        var now = Clock.GetUtcNow();
        subscribers[observer] = now;
        var live = 0;
        foreach (var renewed in subscribers.Values)
        {
            if (now - renewed <= LiveWithin)
            {
                live++;
            }
        }

        return Task.FromResult(new TokenEventPosition(stream, published, live));
    }

    public Task Unsubscribe(ITokenEventObserver observer)
    {
        subscribers.Remove(observer);
        return Task.CompletedTask;
    }

    public Task PublishEnded(ImmutableArray<Guid> tokenIds) =>
        tokenIds.IsEmpty ? Task.CompletedTask : PublishAsync("ended", (o, position) => o.TokensEnded(position, tokenIds));

    public Task PublishPermissions(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions) =>
        tokenIds.IsEmpty ? Task.CompletedTask : PublishAsync("permissions", (o, position) => o.PermissionsChanged(position, tokenIds, permissions));

    private async Task PublishAsync(string kind, Func<ITokenEventObserver, TokenEventPosition, Task> send)
    {
        // Numbered and addressed in this turn, before any await.
        var position = new TokenEventPosition(stream, ++published);
        var expired = Clock.GetUtcNow() - SubscriptionLifetime;
        foreach (var (observer, renewed) in subscribers.ToList())
        {
            if (renewed < expired)
            {
                subscribers.Remove(observer);
            }
        }

        var sentAt = Clock.GetUtcNow();
        var targets = subscribers.Keys.ToList();
        var started = Stopwatch.GetTimestamp();
        var deliveries = targets.Select(o => DeliverAsync(send(o, position), kind, started)).ToList();
        try
        {
            await Task.WhenAll(deliveries);
        }
        catch (Exception) when (deliveries.Any(d => d.IsFaulted || d.IsCanceled))
        {
            for (var i = 0; i < targets.Count; i++)
            {
                // Dropped unless it renewed while this delivery was failing (then it confirms what it missed itself).
                if ((deliveries[i].IsFaulted || deliveries[i].IsCanceled) &&
                    subscribers.TryGetValue(targets[i], out var renewed) && renewed <= sentAt)
                {
                    subscribers.Remove(targets[i]);
                    LogDeliveryFailed(logger, position.Sequence, deliveries[i].Exception?.InnerException?.GetType().Name ?? "Canceled");
                }
            }
        }
    }

    /// <summary>One gateway's acknowledgement, bounded, its time from publishing reported either way.</summary>
    private async Task DeliverAsync(Task delivery, string kind, long started)
    {
        try
        {
            await delivery.WaitAsync(AcknowledgeWithin, Clock);
            metrics.EventDelivered(kind, Stopwatch.GetElapsedTime(started), acknowledged: true);
        }
        catch (Exception)
        {
            metrics.EventDelivered(kind, Stopwatch.GetElapsedTime(started), acknowledged: false);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A gateway did not acknowledge token event {Sequence} ({ErrorType}); dropped until it re-subscribes")]
    private static partial void LogDeliveryFailed(ILogger logger, long sequence, string errorType);
}
