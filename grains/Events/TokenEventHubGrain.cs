using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using ZeroPath.Tokens;

namespace ZeroPath.Grains.Events;

public sealed class TokenEventHubGrain(ILogger<TokenEventHubGrain> logger) : Grain, ITokenEventHubGrain
{
    /// <summary>A gateway that has not re-subscribed for this long is dropped; gateways re-subscribe every 30 s.</summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromSeconds(90);

    private readonly ObserverManager<ITokenEventObserver> observers = new(SubscriptionLifetime, logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The hub holds only subscriptions: keep it in memory while gateways depend on it.
        DelayDeactivation(TimeSpan.FromDays(365));
        return Task.CompletedTask;
    }

    public Task Subscribe(ITokenEventObserver observer)
    {
        observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(ITokenEventObserver observer)
    {
        observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task PublishEnded(ImmutableArray<Guid> tokenIds) =>
        tokenIds.IsEmpty ? Task.CompletedTask : observers.Notify(o => o.TokensEnded(tokenIds));

    public Task PublishPermissions(ImmutableArray<Guid> tokenIds, ImmutableArray<string> permissions) =>
        tokenIds.IsEmpty ? Task.CompletedTask : observers.Notify(o => o.PermissionsChanged(tokenIds, permissions));
}
